"""The team's workload page and applying its suggested rebalancing (workforce.workload). Managers
only: others get 403; a grid or worker outside the manager's reach 404."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from directory.models import Area
from workforce import selectors, workload

PER_PAGE = 20


class RebalanceForm(forms.Form):
    """The move the page suggested, as hidden fields; `state` is the roles it was computed from."""

    grid = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    receiver = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    giver = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    state = forms.RegexField(regex=r"^[0-9a-f]{16}$", widget=forms.HiddenInput)


def _form_for(move: workload.Move | None) -> RebalanceForm | None:
    if move is None:
        return None
    return RebalanceForm(
        initial={
            "grid": move.grid.pk,
            "receiver": move.receiver.pk,
            "giver": move.giver.pk if move.giver else None,
            "state": move.state,
        }
    )


@login_required
def team(request):
    if not selectors.is_manager(request.user):
        raise PermissionDenied
    result = workload.team_workload(request.user)
    return render(
        request,
        "workforce/workload/team.html",
        {
            "team": result,
            # A subdistrict has hundreds of workers: a phone gets them a page at a time, the most
            # loaded and the grids needing attention first.
            "page": Paginator(result.workers, PER_PAGE).get_page(request.GET.get("page")),
            "grid_page": Paginator(result.grids, PER_PAGE).get_page(request.GET.get("grids")),
            "form": _form_for(result.suggestion),
            "flag_ratio": workload.FLAG_RATIO,
            "roster_weight": workload.ROSTER_WEIGHT,
            "request_weight": workload.OPEN_REQUEST_WEIGHT,
            "refresh_minutes": workload.REFRESH_SECONDS // 60,
        },
    )


@require_POST
@login_required
def rebalance(request):
    if not selectors.is_manager(request.user):
        raise PermissionDenied
    form = RebalanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That move could not be read; nothing was changed. Try again from the page."))
        return redirect("workforce:team")
    data = form.cleaned_data
    paths = selectors.managed_paths(request.user)
    grid = Area.objects.filter(pk=data["grid"], kind=Area.Kind.GRID).select_related("parent").first()
    if grid is None or not any(grid.path.startswith(path) for path in paths):
        raise Http404
    managed = selectors.profiles_managed(request.user).select_related("user")
    receiver = managed.filter(pk=data["receiver"]).first()
    giver = managed.filter(pk=data["giver"]).first() if data["giver"] else None
    if receiver is None or (data["giver"] and giver is None):
        raise Http404
    try:
        workload.rebalance_apply(actor=request.user, grid=grid, receiver=receiver, giver=giver, state=data["state"])
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        if giver is not None:
            messages.success(
                request,
                _("%(receiver)s now serves %(grid)s in place of %(giver)s.")
                % {"receiver": receiver, "grid": grid.name, "giver": giver},
            )
        else:
            messages.success(
                request, _("%(receiver)s now also serves %(grid)s.") % {"receiver": receiver, "grid": grid.name}
            )
    return redirect("workforce:team")
