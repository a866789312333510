"""Elderly visits (走访): who may see and record them, the scoped reads of the pages, and the writes
(record a visit, file a need as a service request, set the visit intervals). Who is due comes from
workforce.visit_selectors; this module decides whose residents a user reaches.

Who reaches a resident's visits:
- the workers over the resident's grid record them and read them in full (needs decrypted): a grid
  worker for the grids of their grid-worker roles, community staff for their community (they stand in
  when the grid worker is away, and the head is community staff too);
- managers (workforce.selectors.managed_paths: a community's head, a subdistrict officer, 民政) read the
  roster, who is overdue and a resident's visits, but not the needs: overseeing the visits does not
  need what an old person told their grid worker;
- nobody else (404 on a resident, 403 on the lists).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from directory.models import Area
from residents.data_rights import DataUse, register_data_uses, register_section
from residents.models import ResidentProfile
from residents.selectors import staff_descriptions
from security import personal_data
from security.audit import audit_record
from security.models import Role, RoleAssignment, User
from security.roles import WORKER_ROLES, WORKFORCE_RULES_ROLES
from security.scoping import area_q, covers_area, has_role
from security.selectors import audit_events_about_subject
from services.models import Channel, Service, ServiceRequest
from services.services import request_file
from workforce.models_visits import Visit, VisitRules
from workforce.selectors import managed_paths
from workforce.visit_selectors import overdue, roster, visit_rules_in_force

NEEDS_MAX = 1000
OLD_AGE_RANGE = (60, 120)
DAYS_RANGE = (1, 365)
RULE_FIELDS = ("old_age", "days_alone_old", "days_alone", "days_other")
OVERDUE_PAGE_SIZE = 25
GRID_GROUPS_SHOWN = 20
BIGINT_MAX = 2**63 - 1


# --- who reaches whom ------------------------------------------------------------------------------
def _within(paths: list[str]) -> Q | None:
    condition = None
    for path in paths:
        term = Q(household__grid__path__startswith=path)
        condition = term if condition is None else condition | term
    return condition


def residents_visited_by(user) -> QuerySet[ResidentProfile]:
    """The residents whose visits `user` records: the grids of their grid-worker roles and the
    communities of their community-staff roles (a handover of the grid role moves them at once)."""
    condition = area_q(user, "household__grid__path", WORKER_ROLES)
    if condition is None:
        return ResidentProfile.objects.none()
    return ResidentProfile.objects.filter(condition)


def residents_overseen_by(user) -> QuerySet[ResidentProfile]:
    """The residents under the areas `user` manages (their visits read, never their needs)."""
    condition = _within(managed_paths(user))
    if condition is None:
        return ResidentProfile.objects.none()
    return ResidentProfile.objects.filter(condition)


def may_record(user, profile: ResidentProfile) -> bool:
    return covers_area(user, profile.household.grid, WORKER_ROLES)


def is_visitor(user) -> bool:
    return has_role(user, WORKER_ROLES)


def visit_resident_get(*, user, public_id) -> tuple[ResidentProfile, bool]:
    """A resident whose visits `user` may open, and whether they may record one (and read the
    needs); the same 404 whether the resident is missing or out of reach."""
    profiles = ResidentProfile.objects.select_related("household__grid", "user")
    try:
        profile = profiles.get(public_id=public_id)
    except (ResidentProfile.DoesNotExist, ValidationError):
        raise Http404 from None
    if may_record(user, profile):
        return profile, True
    if any(profile.household.grid.path.startswith(path) for path in managed_paths(user)):
        return profile, False
    raise Http404


def visit_get_for_recorder(*, user, visit_id: int) -> Visit:
    """A visit whose resident `user` may record visits for; 404 otherwise."""
    if visit_id > BIGINT_MAX:
        raise Http404
    visit = (
        Visit.objects.select_related("resident__household__grid", "resident__user", "request")
        .filter(pk=visit_id)
        .first()
    )
    if visit is None or not may_record(user, visit.resident):
        raise Http404
    return visit


def age_of(profile: ResidentProfile, today: date | None = None) -> int | None:
    """Full years from the birth year and month (the birthday taken as the month's first day)."""
    if profile.birth_year is None:
        return None
    today = today or timezone.localdate()
    return today.year - profile.birth_year - (today.month < (profile.birth_month or 1))


# --- the pages' reads ------------------------------------------------------------------------------
def worker_roster(user) -> QuerySet[ResidentProfile]:
    """The roster of the residents `user` visits, most overdue first."""
    return roster(residents_visited_by(user)).select_related("household__grid")


def overdue_count_for_worker(user) -> int:
    return overdue(residents_visited_by(user)).count()


def overdue_count_for_manager(user) -> int:
    return overdue(residents_overseen_by(user)).count()


@dataclass
class GridOverdue:
    grid: Area
    count: int
    workers: list[User]


@dataclass
class OverdueView:
    page: object  # a Paginator page of ResidentProfile, annotated by visit_selectors.roster
    total: int
    groups: list[GridOverdue]  # the grids with the most overdue visits, for filtering by one
    workers_of_grid: dict[int, list[User]]


def _grid_workers(grid_ids) -> dict[int, list[User]]:
    workers: dict[int, list[User]] = {}
    assignments = RoleAssignment.objects.filter(role=Role.GRID_WORKER, area_id__in=list(grid_ids)).select_related(
        "user"
    )
    for assignment in assignments.order_by("area_id", "user__username"):
        workers.setdefault(assignment.area_id, []).append(assignment.user)
    return workers


def overdue_for_manager(user, *, grid_id: int | None = None, worker_id: int | None = None, page=1) -> OverdueView:
    """The overdue visits under the areas `user` manages, by grid (most overdue first), narrowed to
    one grid or to one grid worker's grids. The roster is computed, never stored, so finding who is
    overdue reads every resident of the area once: that pass fetches only ids, and the counts per
    grid, the total and the page all come from it (a count and a page as two queries would read
    the area twice). Then the page's residents, and the grid workers of the grids shown."""
    residents = residents_overseen_by(user)
    if grid_id is not None:
        residents = residents.filter(household__grid_id=grid_id)
    if worker_id is not None:
        grids = RoleAssignment.objects.filter(user_id=worker_id, role=Role.GRID_WORKER).values("area_id")
        residents = residents.filter(household__grid_id__in=grids)
    late = list(overdue(residents).values_list("pk", "household__grid_id"))  # most overdue first
    per_grid = Counter(grid for _pk, grid in late)
    shown = Paginator(late, OVERDUE_PAGE_SIZE).get_page(page)
    ids = [pk for pk, _grid in shown.object_list]
    shown.object_list = list(roster(ResidentProfile.objects.filter(pk__in=ids)).select_related("household__grid"))
    top = sorted(per_grid.items(), key=lambda item: (-item[1], item[0]))[:GRID_GROUPS_SHOWN]
    grid_ids = {grid for grid, _n in top} | {row.household.grid_id for row in shown.object_list}
    workers = _grid_workers(grid_ids)
    areas = {area.pk: area for area in Area.objects.filter(pk__in=[grid for grid, _n in top])}
    groups = [GridOverdue(grid=areas[grid], count=n, workers=workers.get(grid, [])) for grid, n in top]
    return OverdueView(page=shown, total=len(late), groups=groups, workers_of_grid=workers)


# --- writes --------------------------------------------------------------------------------------
def _audit_area(profile: ResidentProfile) -> Area:
    return profile.household.grid


@transaction.atomic
def visit_record(
    *,
    actor: User,
    resident: ResidentProfile,
    visited_on: date | None,
    mode: str,
    condition: str,
    needs: str = "",
) -> Visit:
    """A worker over the resident's grid records a visit; the needs are stored encrypted."""
    if not may_record(actor, resident):
        raise PermissionDenied
    errors = {}
    today = timezone.localdate()
    if not resident.is_living_here:
        raise ValidationError(_("This resident no longer lives here: record no more visits."))
    if visited_on is None:
        errors["visited_on"] = _("Enter the date of the visit.")
    elif visited_on > today:
        errors["visited_on"] = _("The visit cannot be in the future.")
    elif visited_on.year < timezone.localtime(resident.created_at).year:
        errors["visited_on"] = _("The visit cannot be before the resident entered the register.")
    if mode not in Visit.Mode.values:
        errors["mode"] = _("Choose in person or by phone.")
    if condition not in Visit.Condition.values:
        errors["condition"] = _("Choose how the resident is.")
    needs = (needs or "").strip()
    if len(needs) > NEEDS_MAX:
        errors["needs"] = _("Keep the needs under %(max)s characters.") % {"max": NEEDS_MAX}
    if errors:
        raise ValidationError(errors)
    visit = Visit.objects.create(
        resident=resident,
        visitor=actor,
        visited_on=visited_on,
        mode=mode,
        condition=condition,
        needs_encrypted=personal_data.encrypt(needs) if needs else "",
    )
    audit_record(
        actor=actor,
        action="workforce.visit_record",
        target=resident,
        details={"visit": visit.pk, "visited_on": visited_on.isoformat(), "mode": mode, "condition": condition},
        area=_audit_area(resident),
    )
    return visit


@dataclass
class VisitRead:
    visit: Visit
    needs: str | None  # None: not shown to this reader (a manager), "" when there were none


def visit_history_read(*, actor: User, resident: ResidentProfile, full: bool) -> list[VisitRead]:
    """A resident's visits, newest first; `full` (the workers over their grid) decrypts the needs.
    Opening them is a read of personal data, recorded like opening the register's record, so the
    resident sees it on "who used my data"."""
    visits = list(resident.visits.select_related("visitor", "request").order_by("-visited_on", "-id"))
    audit_record(
        actor=actor,
        action="workforce.visit_read",
        target=resident,
        details={"visits": len(visits), "needs_shown": full},
        area=_audit_area(resident),
    )
    return [
        VisitRead(
            visit=visit,
            needs=(personal_data.decrypt(visit.needs_encrypted) if visit.needs_encrypted else "") if full else None,
        )
        for visit in visits
    ]


def visit_needs(visit: Visit) -> str:
    return personal_data.decrypt(visit.needs_encrypted) if visit.needs_encrypted else ""


@transaction.atomic
def visit_request_file(
    *,
    actor: User,
    visit: Visit,
    service: Service,
    description: str,
    answers: dict | None = None,
    submission_key: str = "",
) -> ServiceRequest:
    """File the need a visit found as a service request on the resident's behalf, through the
    services app's own filing (routing, deadlines, its own `request.file` event). The resident is the
    requester when they have an account, else named as the contact. A visit files one request: a
    second submit returns the first."""
    # Locked first, so two submits take turns and the second sees the first one's request.
    visit = (
        Visit.objects.select_for_update(of=("self",))
        .select_related("resident__household__grid", "request")
        .get(pk=visit.pk)
    )
    resident = visit.resident
    if not may_record(actor, resident):
        raise PermissionDenied
    if visit.request is not None:
        return visit.request
    if not visit.needs_encrypted:
        raise ValidationError(_("This visit recorded no need to file."))
    request = request_file(
        actor=actor,
        service=service,
        description=description,
        answers=answers,
        grid=resident.household.grid,
        address=resident.household.address,
        requester=resident.user if resident.user_id else None,
        # Staff filing for a resident say how the resident reached them, as the services app's form asks.
        channel=Channel.PHONE if visit.mode == Visit.Mode.PHONE else Channel.WALK_IN,
        is_public=False,
        contact_name="" if resident.user_id else resident.full_name,
        submission_key=submission_key,
    )
    visit.request = request
    visit.save(update_fields=["request"])
    audit_record(
        actor=actor,
        action="workforce.visit_request",
        target=resident,
        details={"visit": visit.pk, "request": request.public_id, "service": service.code},
        area=_audit_area(resident),
    )
    return request


@transaction.atomic
def visit_rules_set(*, actor: User, **values) -> VisitRules:
    """A new version of the visit intervals, in force from now (civil-affairs officers only)."""
    if not has_role(actor, WORKFORCE_RULES_ROLES):
        raise PermissionDenied
    errors = {}
    for field in RULE_FIELDS:
        low, high = OLD_AGE_RANGE if field == "old_age" else DAYS_RANGE
        value = values.get(field)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            errors[field] = _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
    if errors:
        raise ValidationError(errors)
    before = visit_rules_in_force()
    rules = VisitRules.objects.create(created_by=actor, **{field: values[field] for field in RULE_FIELDS})
    audit_record(
        actor=actor,
        action="workforce.visit_rules_set",
        target=rules,
        details={
            "before": {field: getattr(before, field) for field in RULE_FIELDS},
            **{field: values[field] for field in RULE_FIELDS},
        },
    )
    return rules


# --- handover, data rights -----------------------------------------------------------------------
def roster_handover(*, leaver: User, successor: User, grids: list[Area], actor: User) -> dict:
    """The roster is not stored: it follows the grid role, which the handover has just moved. Its
    size goes into the handover's audit event, so the log says how many residents changed hands."""
    return {"roster": roster(ResidentProfile.objects.filter(household__grid__in=grids)).count()}


def export_visits(user: User) -> list[dict]:
    """The resident's visits: when, how, how they were and what they needed, and the visitor's role
    (not their name: the community answers to the resident, as on "who used my data")."""
    visits = Visit.objects.filter(resident__user=user).order_by("visited_on", "pk")
    visitors = staff_descriptions(set(visits.values_list("visitor_id", flat=True)))
    return [
        {
            "visited_on": visit.visited_on,
            "mode": visit.get_mode_display(),
            "condition": visit.get_condition_display(),
            "needs": visit_needs(visit),
            "visitor": visitors.get(visit.visitor_id) or str(_("A member of staff")),
        }
        for visit in visits
    ]


_AUDITED_USES = {
    "workforce.visit_record": ("visit", gettext_lazy("Recorded a visit to you")),
    "workforce.visit_read": ("view", gettext_lazy("Read the record of visits to you")),
    "workforce.visit_request": ("visit", gettext_lazy("Filed a service request for a need you told a visitor")),
}


def visit_data_uses(*, user: User, profile: ResidentProfile, limit: int) -> list[DataUse]:
    events = audit_events_about_subject(subject=profile, actions=_AUDITED_USES, exclude_actor=user, limit=limit)
    who = staff_descriptions({event.actor_id for event in events if event.actor_id})
    return [
        DataUse(
            at=event.occurred_at,
            kind=_AUDITED_USES[event.action][0],
            who=who.get(event.actor_id) or _("A member of staff"),
            what=str(_AUDITED_USES[event.action][1]),
        )
        for event in events
    ]


def register() -> None:
    """From WorkforceConfig.ready(): the export section, "who used my data", and the handover hook."""
    from workforce.services import handover_hook_register

    register_section(
        "visits",
        title=gettext_lazy("Visits from my community (走访)"),
        export=export_visits,
        # No erase: the visits belong to the register's record, not to the account (deletion only
        # unlinks that record; residents.data_sections.unlink_profile says why it stays). Once
        # unlinked they are no longer the account's, so there is nothing of the account to erase.
        labels={
            "visited_on": gettext_lazy("Date"),
            "mode": gettext_lazy("Visit mode"),
            "condition": gettext_lazy("Condition"),
            "needs": gettext_lazy("Needs"),
            "visitor": gettext_lazy("Visited by"),
        },
        kept_after_deletion=gettext_lazy(
            "Visits stay with your record in the resident register, which your community keeps for your care."
        ),
    )
    register_data_uses("visits", uses=visit_data_uses)
    handover_hook_register(roster_handover)
