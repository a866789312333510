"""The workload of a manager's team (issue 18, item 6): each grid's load from its register, elderly
roster and open requests, each worker's share of it, the grids whose load per worker stands out in
the district, and one suggested move of a grid role that lowers the team's highest load.

Everything is read in a constant number of grouped queries (one per source, grouped by grid or by
worker), whatever the size of the team: the page must stay fast for a subdistrict of hundreds of
workers. The counts that scan a whole register or every visit are cached for REFRESH_SECONDS; grid
roles and open requests are always read live. Applying a move is rebalance_apply."""

from __future__ import annotations

import hashlib
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Area
from residents.models import Household, ResidentProfile
from security.audit import audit_record
from security.models import Role, RoleAssignment, User
from security.roles import WORKER_ROLES
from security.scoping import area_paths
from security.services import role_grant, role_revoke
from services.models import OPEN_STATUSES, ServiceRequest
from workforce.casework import WorkerFigures, worker_figures
from workforce.models import WorkerProfile
from workforce.selectors import managed_paths, profiles_managed
from workforce.services import HANDOVER_HOOKS
from workforce.visit_selectors import overdue, roster_condition

# --- the load: one formula, here only ------------------------------------------------------------
# A grid's load counts its work in "household-equivalents": every household is one unit of routine
# grid work (register upkeep, inspections, notices); every elderly or living-alone resident on the
# visit roster is two, because each needs a visit at least monthly (weekly for the very old living
# alone) on top of their household; every open request is three, because it needs handling now and
# has a deadline. Living residents and overdue visits are shown but not counted: residents are
# covered by their household, and counting overdue visits would move load to the grids already
# behind and reward falling behind.
ROSTER_WEIGHT = 2
OPEN_REQUEST_WEIGHT = 3
# A grid stands out when its load per worker is above this many times the district's median.
FLAG_RATIO = 1.5
# The casework shown for each worker: the last twelve months.
FIGURES_DAYS = 365
# The counts that scan a whole register or every visit (the register's counts per grid, the visits
# overdue, the casework) are kept this long; open requests and grid roles are always read live.
REFRESH_SECONDS = 600


def grid_load(*, households: int, roster: int, open_requests: int) -> int:
    return households + ROSTER_WEIGHT * roster + OPEN_REQUEST_WEIGHT * open_requests


class GridPlace(NamedTuple):
    """What the loads need of a grid: read as plain values, as a district has thousands."""

    pk: int
    code: str
    parent_id: int
    path: str
    centre_lat: Decimal | None
    centre_lng: Decimal | None


@dataclass(slots=True)
class GridLoad:
    grid: GridPlace
    households: int
    residents: int
    roster: int
    open_requests: int
    overdue_requests: int
    workers: frozenset[int]  # user ids of its grid workers
    overdue_visits: int = 0  # read for the manager's own grids only
    # Worked out once when made (a district has thousands of grids and they are read often):
    load: int = field(init=False)
    per_worker: float | None = field(init=False)  # None for a grid nobody serves

    def __post_init__(self):
        self.load = grid_load(households=self.households, roster=self.roster, open_requests=self.open_requests)
        self.per_worker = self.load / len(self.workers) if self.workers else None


@dataclass(frozen=True)
class GridRow:
    """One grid on the team page."""

    area: Area
    stats: GridLoad
    worker_names: list[str]
    flagged: bool  # load per worker above FLAG_RATIO × the district median
    unstaffed: bool  # no grid worker at all


@dataclass(frozen=True)
class WorkerRow:
    """One worker's card on the team page."""

    profile: WorkerProfile
    grids: list[Area]
    load: float
    figures: WorkerFigures
    open_requests: int
    overdue_requests: int
    overdue_visits: int
    highest: bool = False


@dataclass(frozen=True)
class Move:
    """A suggested move: `receiver` takes a grid-worker role on `grid`; with a `giver` it is handed
    over (the giver's role on it revoked), without one the receiver joins the grid's workers."""

    grid: Area
    giver: WorkerProfile | None
    receiver: WorkerProfile
    distance_km: float | None
    highest_before: float
    highest_after: float
    state: str  # the grid roles it was computed from (roles_state), so a stale move is refused


@dataclass
class Team:
    grids: list[GridRow]
    workers: list[WorkerRow]
    median: float | None
    suggestion: Move | None
    highest: float = 0.0
    flagged: int = 0
    unstaffed: int = 0
    start: date | None = None
    end: date | None = None


# --- reading the loads ---------------------------------------------------------------------------
def late_request(now) -> Q:
    """An open request past its resolve-by time. Read from the deadline itself rather than the
    deadline task's flag, so the count is answered from the open requests' index alone."""
    return Q(resolve_due_at__lt=now)


def _district_path(path: str) -> str:
    return path.split("/", 1)[0] + "/"


def _cached(key: str, compute):
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, REFRESH_SECONDS)
    return value


def _key(*parts) -> str:
    return "workload:" + hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def register_counts(district_path: str, *, today: date) -> dict[int, tuple[int, int, int]]:
    """{grid id: (households, living residents, residents on the visit roster)} over the district:
    two grouped queries, cached for REFRESH_SECONDS because they scan every resident of the
    district and the register changes slowly."""

    def compute():
        households = dict(
            Household.objects.filter(grid__path__startswith=district_path)
            .order_by()
            .values("grid_id")
            .annotate(n=Count("pk"))
            .values_list("grid_id", "n")
        )
        people = {
            row["household__grid_id"]: (row["living"], row["roster"])
            for row in ResidentProfile.objects.living()
            .filter(household__grid__path__startswith=district_path)
            .order_by()
            .values("household__grid_id")
            .annotate(living=Count("pk"), roster=Count("pk", filter=roster_condition(today)))
        }
        return {
            grid_id: (households.get(grid_id, 0), *people.get(grid_id, (0, 0)))
            for grid_id in households.keys() | people.keys()
        }

    return _cached(_key("register", district_path, today), compute)


def district_grid_loads(district_path: str, *, today: date) -> dict[int, GridLoad]:
    """Every grid of the district with its counts: the district median needs all of them, and the
    manager's grids are a part of them. Three grouped queries and the cached register counts; the
    open requests and the grid workers are always read live, as the suggestion moves roles."""
    grids = {
        row[0]: GridPlace(*row)
        for row in Area.objects.filter(kind=Area.Kind.GRID, path__startswith=district_path).values_list(
            "pk", "code", "parent_id", "path", "centre_lat", "centre_lng"
        )
    }
    if not grids:
        return {}
    register = register_counts(district_path, today=today)
    requests = {
        row["grid_id"]: row
        for row in ServiceRequest.objects.filter(status__in=sorted(OPEN_STATUSES), grid__path__startswith=district_path)
        .order_by()
        .values("grid_id")
        .annotate(open=Count("pk"), late=Count("pk", filter=late_request(timezone.now())))
    }
    # By the district's path rather than a list of its thousands of grid ids, which costs more to
    # write out than to run. Whether each worker is active is a lookup per role (a scalar subquery):
    # a join would make PostgreSQL read every user.
    active = User.objects.filter(pk=OuterRef("user_id")).values("is_active")[:1]
    roles = (
        RoleAssignment.objects.filter(role=Role.GRID_WORKER, area__path__startswith=district_path)
        .annotate(active=Subquery(active))
        .values_list("area_id", "user_id", "active")
    )
    workers = defaultdict(set)
    for area_id, user_id, is_active in roles:
        if is_active:
            workers[area_id].add(user_id)
    loads = {}
    for pk, grid in grids.items():
        households, residents, on_roster = register.get(pk, (0, 0, 0))
        open_rows = requests.get(pk, {})
        loads[pk] = GridLoad(
            grid=grid,
            households=households,
            residents=residents,
            roster=on_roster,
            open_requests=open_rows.get("open", 0),
            overdue_requests=open_rows.get("late", 0),
            workers=frozenset(workers.get(pk, ())),
        )
    return loads


def district_median(loads: dict[int, GridLoad]) -> float | None:
    """The median load per worker over the district's grids that have a worker."""
    shares = [load.per_worker for load in loads.values() if load.per_worker is not None]
    return statistics.median(shares) if shares else None


def is_flagged(load: GridLoad, median: float | None) -> bool:
    return median is not None and load.per_worker is not None and load.per_worker > FLAG_RATIO * median


def _within(path: str, paths: list[str]) -> bool:
    return any(path.startswith(root) for root in paths)


def _overdue_visits(grid_ids: list[int], today: date) -> dict[int, int]:
    """{grid id: residents overdue a visit}, through the same selector as the visit pages; cached
    for REFRESH_SECONDS (it looks up every roster resident's last visit)."""
    if not grid_ids:
        return {}

    def compute():
        late = overdue(ResidentProfile.objects.filter(household__grid_id__in=grid_ids), today=today)
        rows = late.order_by().values("household__grid_id").annotate(n=Count("pk"))
        return dict(rows.values_list("household__grid_id", "n"))

    return _cached(_key("overdue", sorted(grid_ids), today), compute)


def worker_loads(loads: dict[int, GridLoad]) -> dict[int, float]:
    """{user id: the sum of their grids' load per worker}."""
    carried: dict[int, float] = defaultdict(float)
    for load in loads.values():
        for user_id in load.workers:
            carried[user_id] += load.load / len(load.workers)
    return carried


# --- the suggestion ------------------------------------------------------------------------------
def haversine_km(a: GridPlace | Area, b: GridPlace | Area) -> float | None:
    """Great-circle distance between two areas' centres; None when either has none."""
    if None in (a.centre_lat, a.centre_lng, b.centre_lat, b.centre_lng):
        return None
    lat1, lng1, lat2, lng2 = map(math.radians, map(float, (a.centre_lat, a.centre_lng, b.centre_lat, b.centre_lng)))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


@dataclass(frozen=True)
class Candidate:
    grid_id: int
    giver: int | None  # user id; None: the receiver joins instead
    receiver: int
    highest_after: float
    distance_km: float | None


def moved(loads: dict[int, float], holders: dict[int, frozenset[int]], grid_load_of: dict[int, float], c) -> dict:
    """The workers' loads after candidate `c` (grid_id, giver, receiver): the grid's load shared out
    again among its new workers. Workers of the grid outside `loads` (not in the team) appear with
    the change only; callers take the highest over the team."""
    after = dict(loads)
    on_grid = set(holders.get(c.grid_id, ()))
    load = grid_load_of[c.grid_id]
    for user_id in on_grid:
        after[user_id] = after.get(user_id, 0.0) - load / len(on_grid)
    if c.giver is not None:
        on_grid.discard(c.giver)
    on_grid.add(c.receiver)
    for user_id in on_grid:
        after[user_id] = after.get(user_id, 0.0) + load / len(on_grid)
    return after


def best_move(
    *,
    loads: dict[int, float],
    holders: dict[int, frozenset[int]],
    grid_load_of: dict[int, float],
    movable: set[int],
    receivers: dict[int, set[int]],
    distance=lambda grid_id, user_id: None,
) -> Candidate | None:
    """The move that lowers the team's highest load the most, or None when none lowers it.

    `loads`: {user id: load} for the team; `holders`: {grid id: its workers' user ids};
    `grid_load_of`: {grid id: load}; `movable`: the grids the manager may move; `receivers`: {grid id:
    the team's user ids who may take it (the grid's community's workers)}; `distance(grid, user)`: km
    or None. Only the grids of the most loaded workers can lower the highest load; for each, every
    receiver either takes it over from one of them or joins its workers. Ties go to the nearest
    receiver (unknown distances last), then the least loaded, then handing over before joining."""
    if not loads:
        return None
    highest = max(loads.values())
    top = {user_id for user_id, load in loads.items() if math.isclose(load, highest) or load > highest}
    ranked = sorted(loads.items(), key=lambda item: -item[1])
    candidates = []
    for grid_id in sorted(movable):
        on_grid = holders.get(grid_id, frozenset())
        if not on_grid & top:
            continue
        for receiver in sorted(receivers.get(grid_id, ())):
            if receiver in on_grid:
                continue
            for giver in [*sorted(on_grid & top), None]:
                affected = on_grid | {receiver}
                rest = next((load for user_id, load in ranked if user_id not in affected), 0.0)
                c = Candidate(grid_id, giver, receiver, 0.0, None)
                after = moved({u: loads[u] for u in affected if u in loads}, holders, grid_load_of, c)
                new_highest = max(rest, *(v for u, v in after.items() if u in loads or u == receiver))
                if new_highest < highest and not math.isclose(new_highest, highest):
                    candidates.append(Candidate(grid_id, giver, receiver, new_highest, distance(grid_id, receiver)))
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda c: (
            round(c.highest_after, 6),
            c.distance_km is None,
            c.distance_km or 0.0,
            loads.get(c.receiver, 0.0),
            c.giver is None,
            c.grid_id,
            c.receiver,
        ),
    )


def roles_state(keys) -> str:
    """A short fingerprint of grid-worker role assignments, given as (pk, user id, area id): it
    changes when any of them is granted or revoked."""
    keys = sorted(":".join(map(str, key)) for key in keys)
    return hashlib.sha256("|".join(keys).encode()).hexdigest()[:16]


def _move_rows(grid_id: int, user_ids: list[int]):
    return RoleAssignment.objects.filter(role=Role.GRID_WORKER).filter(Q(area_id=grid_id) | Q(user_id__in=user_ids))


# --- the team ------------------------------------------------------------------------------------
def team_workload(user, *, today: date | None = None) -> Team:
    """The team page's content for a manager: a constant number of queries."""
    today = today or timezone.localdate()
    paths = managed_paths(user)
    if not paths:
        return Team(grids=[], workers=[], median=None, suggestion=None)
    district = _district_path(paths[0])
    loads = district_grid_loads(district, today=today)
    median = district_median(loads)
    mine = [pk for pk, load in loads.items() if _within(load.grid.path, paths)]
    late_visits = _overdue_visits(mine, today)

    # The team: managed workers who serve a grid. Their cards carry all their grids, even one the
    # manager does not reach (it is still their work), but only the manager's grids move.
    # Only what the cards show: a subdistrict's hundreds of profiles are otherwise slow to build.
    shown = ("user_id", "user__username", "user__first_name", "user__last_name", "user__is_active")
    profiles = list(profiles_managed(user).prefetch_related(None).only(*shown).order_by("user__username"))
    holding = defaultdict(list)
    for pk, load in loads.items():
        for user_id in load.workers:
            holding[user_id].append(pk)
    team = [p for p in profiles if holding.get(p.user_id)]
    by_user = {p.user_id: p for p in team}
    areas = Area.objects.only("code", "kind", "name_zh", "name_en", "path", "parent_id").in_bulk(
        {*mine, *(pk for p in team for pk in holding[p.user_id])}
    )
    start = today - timedelta(days=FIGURES_DAYS - 1)
    figures = _cached(
        _key("figures", sorted(p.pk for p in team), start, today), lambda: worker_figures(team, start=start, end=today)
    )
    assigned = {
        row["assignee_id"]: row
        for row in ServiceRequest.objects.filter(assignee_id__in=list(by_user), status__in=sorted(OPEN_STATUSES))
        .order_by()
        .values("assignee_id")
        .annotate(open=Count("pk"), late=Count("pk", filter=late_request(timezone.now())))
    }

    carried = worker_loads(loads)
    team_loads = {user_id: carried.get(user_id, 0.0) for user_id in by_user}
    names = {p.user_id: str(p) for p in profiles}

    # Who may receive a grid: the team's grid workers of its community.
    community_workers = defaultdict(set)
    for user_id in by_user:
        for pk in holding[user_id]:
            community_workers[loads[pk].grid.parent_id].add(user_id)
    movable = set(mine)
    receivers = {pk: community_workers.get(loads[pk].grid.parent_id, set()) for pk in movable}

    def distance(grid_id: int, user_id: int) -> float | None:
        known = [
            d for d in (haversine_km(loads[grid_id].grid, loads[pk].grid) for pk in holding[user_id]) if d is not None
        ]
        return min(known) if known else None

    pick = best_move(
        loads=team_loads,
        holders={pk: loads[pk].workers for pk in loads},
        grid_load_of={pk: float(loads[pk].load) for pk in loads},
        movable=movable,
        receivers=receivers,
        distance=distance,
    )
    highest = max(team_loads.values(), default=0.0)
    suggestion = None
    if pick is not None:
        involved = [pick.receiver] + ([pick.giver] if pick.giver else [])
        state_rows = _move_rows(pick.grid_id, involved).order_by().values_list("pk", "user_id", "area_id")
        suggestion = Move(
            grid=areas[pick.grid_id],
            giver=by_user.get(pick.giver) if pick.giver else None,
            receiver=by_user[pick.receiver],
            distance_km=pick.distance_km,
            highest_before=highest,
            highest_after=pick.highest_after,
            state=roles_state(state_rows),
        )

    grid_rows = []
    for pk in sorted(mine, key=lambda pk: loads[pk].grid.path):
        stats = loads[pk]
        stats = replace(stats, overdue_visits=late_visits.get(pk, 0))  # load and per_worker made again
        grid_rows.append(
            GridRow(
                area=areas[pk],
                stats=stats,
                worker_names=sorted(names[u] for u in stats.workers if u in names),
                flagged=is_flagged(stats, median),
                unstaffed=not stats.workers,
            )
        )
    worker_rows = []
    for p in team:
        grids = sorted((areas[pk] for pk in holding[p.user_id]), key=lambda g: g.path)
        row = assigned.get(p.user_id, {})
        worker_rows.append(
            WorkerRow(
                profile=p,
                grids=grids,
                load=team_loads[p.user_id],
                figures=figures[p.pk],
                open_requests=row.get("open", 0),
                overdue_requests=row.get("late", 0),
                overdue_visits=sum(late_visits.get(pk, 0) for pk in holding[p.user_id]),
                highest=highest > 0 and math.isclose(team_loads[p.user_id], highest),
            )
        )
    worker_rows.sort(key=lambda row: (-row.load, row.profile.user.username))
    # The grids needing attention first: flagged, then with no worker, then by load per worker.
    grid_rows.sort(key=lambda row: (not row.flagged, not row.unstaffed, -(row.stats.per_worker or 0), row.area.path))
    return Team(
        grids=grid_rows,
        workers=worker_rows,
        median=median,
        suggestion=suggestion,
        highest=highest,
        flagged=sum(row.flagged for row in grid_rows),
        unstaffed=sum(row.unstaffed for row in grid_rows),
        start=start,
        end=today,
    )


# --- applying a move -----------------------------------------------------------------------------
@transaction.atomic
def rebalance_apply(
    *, actor: User, grid: Area, receiver: WorkerProfile, giver: WorkerProfile | None, state: str
) -> RoleAssignment:
    """Move a grid-worker role as the team page suggested, in one transaction: grant `grid` to
    `receiver` and, with a `giver`, revoke the giver's role on it. Refused, with nothing changed,
    when the grid is outside the actor's reach (PermissionDenied) or when the roles involved changed
    since the suggestion was shown or the move no longer makes sense (ValidationError)."""
    paths = managed_paths(actor)
    if grid.kind != Area.Kind.GRID or not _within(grid.path, paths):
        raise PermissionDenied
    if giver is not None and giver.pk == receiver.pk:
        raise ValidationError(_("Choose someone other than the worker who hands the grid over."))
    managed = profiles_managed(actor)
    involved = [receiver] + ([giver] if giver else [])
    if managed.filter(pk__in=[p.pk for p in involved]).count() != len(involved):
        raise PermissionDenied
    rows = list(
        _move_rows(grid.pk, [p.user_id for p in involved])
        .select_for_update(of=("self",))
        .select_related("area", "organisation", "user")
        .order_by("pk")
    )
    if roles_state((a.pk, a.user_id, a.area_id) for a in rows) != state:
        raise ValidationError(
            _("The grid roles changed since the page was shown, so nothing was moved. Look at the new suggestion.")
        )
    on_grid = {a.user_id: a for a in rows if a.area_id == grid.pk}
    if giver is not None and giver.user_id not in on_grid:
        raise ValidationError(_("The worker handing over no longer serves this grid."))
    if receiver.user_id in on_grid:
        raise ValidationError(_("The receiving worker already serves this grid."))
    if not receiver.user.is_active:
        raise ValidationError(_("The receiving worker's account is not active."))
    community = grid.parent
    if community is None or not any(
        path.startswith(community.path) for path in area_paths(receiver.user, WORKER_ROLES)
    ):
        raise ValidationError(_("The receiving worker must serve the same community."))
    if giver is not None:
        handed = on_grid[giver.user_id]
        role_revoke(assignment=handed, revoked_by=actor)
        for hook in HANDOVER_HOOKS:
            hook(leaver=giver.user, successor=receiver.user, grids=[grid], actor=actor)
        organisation = handed.organisation
    else:
        organisation = None
    granted = role_grant(
        user=receiver.user, role=Role.GRID_WORKER, area=grid, organisation=organisation, granted_by=actor
    )
    audit_record(
        actor=actor,
        action="workforce.rebalance",
        target=grid,
        details={
            "grid": grid.code,
            "giver": giver.user.get_username() if giver else None,
            "receiver": receiver.user.get_username(),
        },
        area=grid,
    )
    return granted
