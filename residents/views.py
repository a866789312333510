from allauth.account.decorators import reauthentication_required
from allauth.account.decorators import reauthentication_required
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_POST

from residents.selectors import resident_get_for_user, resident_own_profile, resident_search
from residents.services import can_reveal, resident_identity_reveal
from security.decorators import role_required
from security.roles import AREA_ROLES


@role_required(AREA_ROLES)
def staff_list(request):
    query = request.GET.get("q", "")
    error = ""
    try:
        residents = resident_search(user=request.user, query=query)
    except ValidationError as exc:
        residents, error = resident_search(user=request.user, query=""), exc.messages[0]
    page = Paginator(residents, 50).get_page(request.GET.get("page"))
    return render(request, "residents/staff_list.html", {"page": page, "query": query, "error": error})


@login_required
def resident_detail(request, public_id):
    profile = resident_get_for_user(user=request.user, public_id=public_id)
    return render(
        request,
        "residents/resident_detail.html",
        {"profile": profile, "can_reveal": can_reveal(actor=request.user, profile=profile)},
    )


@require_POST
@login_required
@reauthentication_required
def resident_reveal(request, public_id):
    profile = resident_get_for_user(user=request.user, public_id=public_id)
    revealed = resident_identity_reveal(actor=request.user, profile=profile)
    return render(
        request, "residents/resident_detail.html", {"profile": profile, "can_reveal": True, "revealed": revealed}
    )


@login_required
def my_profile(request):
    return render(request, "residents/my_profile.html", {"profile": resident_own_profile(user=request.user)})
