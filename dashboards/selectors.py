"""Reads for the dashboards, always for an acting user and scoped through `security`.

- a district leader (or admin) sees the whole district, a subdistrict officer their subtree: every
  request placed in those areas;
- a department officer sees the requests their department handles, wherever they are;
- a partner operator sees only their own organisation's scorecard;
- anyone else sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import F, Q, QuerySet

from dashboards.figures import ALL_GROUPINGS, Figures, Filters, Measures, Scope
from dashboards.reads import summary_figures
from dashboards.services import day_start, month_start, next_month
from directory.models import Area, Organisation
from residents.selectors import resident_counts_by_grid
from security.models import Role, User
from security.roles import OVERSIGHT_ROLES, SCORECARD_ROLES
from security.scoping import area_paths, organisation_ids
from services.models import OPEN_STATUSES, RequestEvent, RequestStatus, Service, ServiceRequest


def dashboard_scope(user: User) -> Scope:
    return Scope(
        paths=tuple(area_paths(user, OVERSIGHT_ROLES)),
        organisation_ids=tuple(organisation_ids(user, {Role.DEPARTMENT_OFFICER})),
    )


def scorecard_scope(user: User) -> Scope:
    return Scope(organisation_ids=tuple(organisation_ids(user, SCORECARD_ROLES)))


def scope_root(scope: Scope) -> Area | None:
    """Where the drill-down starts: the user's (first) area, or for an organisation's officer the
    district, since their department's requests may lie anywhere."""
    if scope.paths:
        return Area.objects.filter(path=scope.paths[0]).first()
    if scope.organisation_ids:
        return Area.objects.filter(parent__isnull=True).order_by("path").first()
    return None


def scope_covers(scope: Scope, area: Area) -> bool:
    if scope.organisation_ids and not scope.paths:
        return True
    return any(area.path.startswith(path) for path in scope.paths)


def service_groups() -> list[str]:
    return list(Service.objects.order_by("group").values_list("group", flat=True).distinct())


def organisations_for(scope: Scope) -> list[Organisation]:
    """The organisations the user may filter by: their own ones, or all for an area overseer."""
    organisations = Organisation.objects.order_by("kind", "code")
    if not scope.paths:
        organisations = organisations.filter(pk__in=scope.organisation_ids)
    return list(organisations)


def figures_for(
    *, scope: Scope, filters: Filters, now: datetime | None = None, groupings: tuple[str, ...] = ALL_GROUPINGS
) -> Figures:
    return summary_figures(filters=filters, scope=scope, now=now, groupings=groupings)


@dataclass
class Row:
    """One line of a dashboard table: what it is about, its figures, and where it leads."""

    label: str
    measures: Measures
    obj: object = None
    households: int | None = None
    residents: int | None = None
    elderly_alone: int | None = None


def drilldown_rows(*, user: User, scope: Scope, figures: Figures) -> tuple[Area, list[Row]]:
    """The areas one level below the drill-down area, with their figures and, for area overseers,
    their household and resident counts."""
    area = Area.objects.get(pk=figures.filters.area_id)
    children = list(Area.objects.filter(parent=area).order_by("path"))
    counts = resident_counts_by_grid(user=user) if scope.paths else {}
    rows = []
    for child in children:
        row = Row(label=child.name, measures=figures.by_child.get(child.path, Measures()), obj=child)
        if scope.paths:
            inside = [c for path, c in counts.items() if path.startswith(child.path)]
            row.households = sum(c["households"] for c in inside)
            row.residents = sum(c["residents"] for c in inside)
            row.elderly_alone = sum(c["elderly_alone"] for c in inside)
        rows.append(row)
    return area, rows


def area_trail(area: Area, root: Area) -> list[Area]:
    """The areas from the user's root down to `area`, for the breadcrumb."""
    paths = []
    path = area.path
    while path and path.startswith(root.path):
        paths.append(path)
        path = path[: path[:-1].rfind("/") + 1]
    return list(Area.objects.filter(path__in=paths).order_by("path"))


def service_rows(figures: Figures) -> list[Row]:
    """Services by how many requests they had, most first."""
    services = Service.objects.in_bulk(list(figures.by_service))
    rows = [Row(label=services[pk].name, measures=m, obj=services[pk]) for pk, m in figures.by_service.items()]
    return sorted(rows, key=lambda row: (-row.measures.new, row.label))


# The league tables: which kinds of organisation each one ranks against each other.
LEAGUE_GROUPS = {
    "departments": {
        Organisation.Kind.DEPARTMENT,
        Organisation.Kind.SUBDISTRICT_OFFICE,
        Organisation.Kind.COMMUNITY_COMMITTEE,
    },
    "partners": {Organisation.Kind.PARTNER},
    "social": {Organisation.Kind.SOCIAL_ORGANISATION},
}


def organisation_rows(figures: Figures, *, group: str) -> list[Row]:
    """A league table of one of LEAGUE_GROUPS (departments and offices, enterprise partners or
    social organisations), best SLA compliance first."""
    kinds = LEAGUE_GROUPS[group]
    organisations = Organisation.objects.in_bulk([pk for pk in figures.by_organisation if pk is not None])
    rows = []
    for pk, measures in figures.by_organisation.items():
        organisation = organisations.get(pk)
        if organisation is None or organisation.kind not in kinds:
            continue
        rows.append(Row(label=organisation.name, measures=measures, obj=organisation))

    def rank(row: Row):
        share = row.measures.resolve_sla_share
        return (share is None, -(share or 0), -row.measures.new, row.label)

    return sorted(rows, key=rank)


def series_steps(filters: Filters) -> list[date]:
    """The first day of every step of the period, so days without requests show as zero."""
    step = filters.start
    if filters.granularity == "week":
        step -= timedelta(days=step.weekday())
    elif filters.granularity == "month":
        step = month_start(step)
    steps = []
    while step <= filters.end:
        steps.append(step)
        if filters.granularity == "month":
            step = next_month(step)
        else:
            step += timedelta(days=7 if filters.granularity == "week" else 1)
    return steps


def series_rows(figures: Figures) -> list[Row]:
    return [
        Row(label=step.isoformat(), measures=figures.series.get(step, Measures()), obj=step)
        for step in series_steps(figures.filters)
    ]


@dataclass
class HotSpot:
    grid: Area
    measures: Measures
    households: int

    @property
    def per_household(self) -> float | None:
        return self.measures.new / self.households if self.households else None


def hot_spots(*, user: User, scope: Scope, figures: Figures) -> list[HotSpot]:
    """Every grid with requests in the period, with its households (for area overseers)."""
    grids = Area.objects.in_bulk(list(figures.by_grid))
    counts = resident_counts_by_grid(user=user) if scope.paths else {}
    return [
        HotSpot(grid=grids[pk], measures=m, households=counts.get(grids[pk].path, {}).get("households", 0))
        for pk, m in figures.by_grid.items()
    ]


def by_requests_per_household(spots: list[HotSpot]) -> list[HotSpot]:
    return sorted(spots, key=lambda s: (s.per_household is None, -(s.per_household or 0), -s.measures.new))


def by_overdue_share(spots: list[HotSpot]) -> list[HotSpot]:
    return sorted(
        (s for s in spots if s.measures.open),
        key=lambda s: (-(s.measures.overdue_share or 0), -s.measures.overdue, s.grid.path),
    )


def figure_count(figures: Figures, figure: str, service_id: int | None) -> int:
    """How many requests `requests_behind` lists for the same filters, from the figures."""
    measures = figures.by_service.get(service_id, Measures()) if service_id is not None else figures.total
    if figure == "late":
        return measures.resolved - measures.resolved_in_sla
    return getattr(measures, figure)


# The figure a request list shows: what a number on a page links to.
FIGURES = ("new", "open", "overdue", "closed", "rejected", "reopened", "late")


def requests_behind(
    *, scope: Scope, filters: Filters, figure: str, service_id: int | None = None, now: datetime
) -> QuerySet[ServiceRequest]:
    """The requests counted in one figure, newest first, within the user's scope."""
    if scope.is_empty:
        return ServiceRequest.objects.none()
    # The grids are settled first, in Python, so the planner sees a plain list of grid ids and can
    # walk the filing-time index newest first, whatever it knows of the area table.
    grids = Area.objects.filter(kind=Area.Kind.GRID, path__startswith=filters.area_path).values_list("id", "path")
    in_area = [pk for pk, _path in grids]
    in_scope = [pk for pk, path in grids if any(path.startswith(root) for root in scope.paths)]
    visible = Q(grid_id__in=in_scope)
    if scope.organisation_ids:
        visible |= Q(grid_id__in=in_area, handling_organisation_id__in=scope.organisation_ids)
    requests = ServiceRequest.objects.filter(
        visible,
        created_at__gte=day_start(filters.start),
        created_at__lt=day_start(filters.end + timedelta(days=1)),
    )
    if filters.service_group:
        requests = requests.filter(service__group=filters.service_group)
    if filters.organisation_id is not None:
        requests = requests.filter(handling_organisation_id=filters.organisation_id)
    if service_id is not None:
        requests = requests.filter(service_id=service_id)
    condition = {
        "new": Q(),
        "open": Q(status__in=OPEN_STATUSES),
        "overdue": Q(status__in=OPEN_STATUSES, is_overdue=True),
        "closed": Q(status=RequestStatus.CLOSED),
        "rejected": Q(status=RequestStatus.REJECTED),
        "reopened": Q(pk__in=RequestEvent.objects.filter(kind=RequestEvent.Kind.REOPENED).values("request_id")),
        "late": Q(resolved_at__gt=F("resolve_due_at")),
    }[figure]
    return (
        requests.filter(condition)
        .select_related("service", "grid", "handling_organisation")
        .order_by("-created_at", "-pk")
    )
