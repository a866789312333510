"""The visit pages (走访), under /workforce/visits/: a worker's roster, a manager's overdue visits,
one resident's visits (record one, read the earlier ones), filing a need as a service request, and
the intervals 民政 set. Thin: workforce.visits decides who reaches what."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.forms import form_add_service_errors
from security.decorators import role_required
from security.roles import WORKFORCE_RULES_ROLES
from services.selectors import services_active
from workforce import visits
from workforce.forms_visits import VisitForm, VisitRequestForm, VisitRulesForm
from workforce.models_visits import VisitRules
from workforce.selectors import is_manager
from workforce.visit_selectors import visit_rules_in_force

ROSTER_PAGE_SIZE = 25


def _rows(residents, today):
    return [(resident, visits.age_of(resident, today)) for resident in residents]


@login_required
def roster(request):
    """The residents a worker visits, the most overdue first."""
    if not visits.is_visitor(request.user):
        if is_manager(request.user):
            return redirect("workforce:visits_overdue")
        raise PermissionDenied
    today = timezone.localdate()
    page = Paginator(visits.worker_roster(request.user), ROSTER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "workforce/visits/roster.html",
        {
            "page": page,
            "rows": _rows(page.object_list, today),
            "today": today,
            "overdue_count": visits.overdue_count_for_worker(request.user),
            "manages": is_manager(request.user),
        },
    )


def _int_or_none(value):
    # An id the database could not hold (over 18 digits) is no id at all, not a 500.
    return int(value) if value and value.isdigit() and len(value) <= 18 else None


@login_required
def overdue(request):
    """A manager's overdue visits, by grid, narrowed to one grid or one grid worker."""
    if not is_manager(request.user):
        raise PermissionDenied
    grid_id, worker_id = _int_or_none(request.GET.get("grid")), _int_or_none(request.GET.get("worker"))
    view = visits.overdue_for_manager(
        request.user, grid_id=grid_id, worker_id=worker_id, page=request.GET.get("page") or 1
    )
    today = timezone.localdate()
    return render(
        request,
        "workforce/visits/overdue.html",
        {
            "view": view,
            "page": view.page,
            "rows": [
                (resident, visits.age_of(resident, today), view.workers_of_grid.get(resident.household.grid_id, []))
                for resident in view.page.object_list
            ],
            "filtered": grid_id is not None or worker_id is not None,
            "today": today,
        },
    )


@login_required
def resident(request, public_id):
    """Record a visit to one resident, and read their earlier visits."""
    profile, may_record = visits.visit_resident_get(user=request.user, public_id=public_id)
    form = VisitForm(request.POST or None) if may_record else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                visits.visit_record(actor=request.user, resident=profile, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_errors(form, error)
            else:
                messages.success(request, _("The visit is recorded."))
                return redirect("workforce:visit_resident", public_id=profile.public_id)
        status = 400
    history = visits.visit_history_read(actor=request.user, resident=profile, full=may_record)
    return render(
        request,
        "workforce/visits/resident.html",
        {
            "profile": profile,
            "age": visits.age_of(profile),
            "form": form,
            "history": history,
            "may_record": may_record,
        },
        status=status,
    )


@login_required
def visit_request(request, visit_id: int):
    """File the need a visit found as a service request for the resident, in one step."""
    visit = visits.visit_get_for_recorder(user=request.user, visit_id=visit_id)
    if visit.request is not None:
        messages.info(request, _("A request was already filed for this visit's need."))
        return redirect("services:detail", public_id=visit.request.public_id)
    if not visit.needs_encrypted:
        messages.error(request, _("This visit recorded no need to file."))
        return redirect("workforce:visit_resident", public_id=visit.resident.public_id)
    code = request.POST.get("service") or request.GET.get("service") or ""
    service = services_active().filter(code=code).first() if code else None
    form = None
    if service is not None:
        form = VisitRequestForm(
            request.POST or None, service=service, initial={"description": visits.visit_needs(visit)}
        )
        if request.method == "POST" and form.is_valid():
            try:
                filed = visits.visit_request_file(
                    actor=request.user,
                    visit=visit,
                    service=service,
                    description=form.cleaned_data["description"],
                    answers=form.answers(),
                    submission_key=form.cleaned_data["submission_key"],
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    form.add_service_errors(error.message_dict)
                else:
                    form.add_error(None, error.messages)
            else:
                messages.success(
                    request, _("Request %(number)s is filed for the resident.") % {"number": filed.public_id}
                )
                return redirect("services:detail", public_id=filed.public_id)
    elif request.method == "POST":
        messages.error(request, _("Choose a service."))
    return render(
        request,
        "workforce/visits/request.html",
        {
            "visit": visit,
            "service": service,
            "form": form,
            "services": [] if service is not None else list(services_active()),
        },
        status=400 if request.method == "POST" else 200,
    )


@role_required(WORKFORCE_RULES_ROLES)
def rules(request):
    in_force = visit_rules_in_force()
    form = VisitRulesForm(
        request.POST or None, initial={field: getattr(in_force, field) for field in visits.RULE_FIELDS}
    )
    if request.method == "POST" and form.is_valid():
        try:
            visits.visit_rules_set(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("The new visit intervals are in force."))
            return redirect("workforce:visit_rules")
    return render(
        request,
        "workforce/visits/rules.html",
        {"form": form, "versions": VisitRules.objects.select_related("created_by")[:10]},
        status=400 if request.method == "POST" else 200,
    )
