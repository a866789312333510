from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from participation.notice_selectors import notices_latest_for_reader
from portal.health import health_report
from residents.models import ResidentProfile
from security.decorators import role_required
from security.models import Role
from security.roles import ORGANISATION_ROLES
from security.scoping import has_role, primary_role, role_assignments
from workforce.selectors import grid_contacts

# Where each role starts after signing in.
LANDING_BY_ROLE = {
    Role.ADMIN: "admin:index",
    Role.DISTRICT_LEADER: "dashboards:overview",
    Role.SUBDISTRICT_OFFICER: "dashboards:overview",
    Role.AUDITOR: "security:audit_log",
    Role.CIVIL_AFFAIRS_OFFICER: "workforce:home",
    Role.COMMUNITY_STAFF: "services:workbench",
    Role.GRID_WORKER: "services:workbench",
    Role.DEPARTMENT_OFFICER: "services:workbench",
    Role.PARTNER_OPERATOR: "services:workbench",
    Role.RESIDENT: "services:mine",
}


def home(request):
    # The latest notices for the person (their area's when verified), urgent first.
    context = {"notices": notices_latest_for_reader(user=request.user)}
    user = request.user
    # The large buttons (长辈模式's few most-used things): for residents, and for visitors, who sign in first.
    context["show_big_actions"] = not user.is_authenticated or has_role(user, {Role.RESIDENT})
    context["grid_worker_phone"] = grid_worker_phone(user) if user.is_authenticated else ""
    return render(request, "portal/home.html", context)


def grid_worker_phone(user) -> str:
    """The work phone of the resident's grid worker, for 联系网格员's tap-to-call button; "" when none."""
    grid_id = ResidentProfile.objects.filter(user=user).values_list("household__grid_id", flat=True).first()
    if grid_id is None:
        return ""
    contacts = grid_contacts(grid_id)
    return contacts[0].work_phone if contacts else ""


@login_required
def landing(request):
    """After sign-in: send each user to the page their main role works from."""
    role = primary_role(request.user)
    return redirect(LANDING_BY_ROLE.get(role, "services:mine"))


@role_required(ORGANISATION_ROLES)
def organisation_home(request):
    assignments = [a for a in role_assignments(request.user) if a.role in ORGANISATION_ROLES]
    return render(request, "portal/organisation_home.html", {"assignments": assignments})


@never_cache
@require_GET
def healthz(request):
    healthy, report = health_report(include_errors=False)
    return JsonResponse(report, status=200 if healthy else 503, json_dumps_params={"ensure_ascii": False})
