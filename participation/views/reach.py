"""Who a notice reached: the publisher's reach per grid, and the grid worker's list of living-alone
elderly residents not yet reached by an urgent notice, with the "told them" buttons."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from participation.models import NoticeInformed
from participation.notice_reach import (
    NOTICE_INFORM_ROLES,
    elderly_not_reached,
    elderly_resident_for_informing,
    notice_informed_record,
    notice_reach,
)
from participation.notice_selectors import notice_get_for_manager
from security.decorators import role_required


@login_required
def reach(request, public_id):
    """The publisher's (and the area staff's) reach per grid; 404 for anyone else."""
    notice = notice_get_for_manager(user=request.user, public_id=public_id)
    return render(request, "participation/reach/reach.html", {"notice": notice, "reach": notice_reach(notice=notice)})


@role_required(NOTICE_INFORM_ROLES)
def elderly_list(request):
    return render(
        request,
        "participation/reach/elderly_list.html",
        {"groups": elderly_not_reached(user=request.user), "how_choices": NoticeInformed.How.choices},
    )


@require_POST
@role_required(NOTICE_INFORM_ROLES)
def elderly_informed(request, notice_public_id, resident_public_id):
    notice, resident = elderly_resident_for_informing(
        user=request.user, notice_public_id=notice_public_id, resident_public_id=resident_public_id
    )
    try:
        notice_informed_record(actor=request.user, notice=notice, resident=resident, how=request.POST.get("how", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Recorded: %(name)s has been told.") % {"name": resident.full_name})
    return redirect("participation:notice_elderly")
