"""The team's workload: each grid's counts and load, the district median and the flagged grids, each
worker's load and casework, the suggested move, and applying it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from residents.models import Household, ResidentProfile
from security.models import AuditEvent, Role, RoleAssignment
from security.services import role_grant
from services.models import RequestStatus, ServiceRequest
from tests.factories import AreaFactory
from workforce import workload
from workforce.models_visits import Visit
from workforce.tests.helpers import profile

pytestmark = pytest.mark.django_db


def homes(grid, n, *, elderly=0, others=0):
    """`n` households in `grid`; the first holds `elderly` elderly residents and `others` younger ones."""
    made = [Household.objects.create(address=f"{grid.code}-{i}号", grid=grid) for i in range(n)]
    for i in range(elderly):
        ResidentProfile.objects.create(household=made[0], full_name=f"老人{i}", is_elderly=True)
    for i in range(others):
        ResidentProfile.objects.create(household=made[0], full_name=f"居民{i}", birth_year=1990, birth_month=1)
    return made


def open_request(service, grid, *, late=False, assignee=None, filed_by):
    due = timezone.now() + (timedelta(hours=-2) if late else timedelta(days=3))
    return ServiceRequest.objects.create(
        service=service,
        description="井盖松动",
        grid=grid,
        filed_by=filed_by,
        status=RequestStatus.ASSIGNED if assignee else RequestStatus.SUBMITTED,
        assignee=assignee,
        accept_due_at=due,
        resolve_due_at=due,
    )


def test_each_grids_counts_and_load_come_from_its_register_roster_and_open_requests(crew, catalogue, tree):
    homes(tree.g1, 4, elderly=3, others=2)
    ResidentProfile.objects.create(
        household=Household.objects.first(), full_name="搬走", is_elderly=True, moved_out_on=timezone.localdate()
    )
    open_request(catalogue.repair, tree.g1, filed_by=crew.resident)
    open_request(catalogue.repair, tree.g1, late=True, filed_by=crew.resident)
    closed = open_request(catalogue.repair, tree.g1, filed_by=crew.resident)
    ServiceRequest.objects.filter(pk=closed.pk).update(status=RequestStatus.CLOSED)
    homes(tree.g2, 1)

    loads = workload.district_grid_loads("D/", today=timezone.localdate())

    g1 = loads[tree.g1.pk]
    assert (g1.households, g1.residents, g1.roster, g1.open_requests, g1.overdue_requests) == (4, 5, 3, 2, 1)
    assert g1.workers == {crew.w1.pk}
    assert g1.load == 4 + workload.ROSTER_WEIGHT * 3 + workload.OPEN_REQUEST_WEIGHT * 2
    assert g1.per_worker == g1.load
    assert loads[tree.g2.pk].load == 1
    assert set(loads) == {tree.g1.pk, tree.g1b.pk, tree.g2.pk}


def test_a_grid_is_flagged_above_one_and_a_half_times_the_district_median_counting_other_communities(
    crew, make_user, tree
):
    # Per worker: G1 10, G1b 4, G2 6 (another subdistrict): median 6, so G1 (10 > 9) is flagged and
    # G1b is not; a new empty grid with no worker is counted apart, not in the median.
    homes(tree.g1, 10)
    homes(tree.g1b, 4)
    homes(tree.g2, 6)
    empty = AreaFactory(code="G1c", kind="grid", parent=tree.c1)
    team = workload.team_workload(crew.head1)
    rows = {row.stats.grid.code: row for row in team.grids}
    assert team.median == 6
    assert set(rows) == {"G1", "G1b", "G1c"}  # C2's grid counts for the median but is not the head's
    assert rows["G1"].flagged and not rows["G1b"].flagged
    assert rows["G1c"].unstaffed and not rows["G1c"].flagged and empty.pk == rows["G1c"].stats.grid.pk
    assert (team.flagged, team.unstaffed) == (1, 1)


def test_each_worker_card_carries_their_grids_load_requests_visits_and_casework(crew, catalogue, tree):
    homes(tree.g1, 3, elderly=2)
    elder = ResidentProfile.objects.filter(household__grid=tree.g1).first()
    Visit.objects.create(
        resident=elder,
        visitor=crew.w1,
        visited_on=timezone.localdate() - timedelta(days=40),
        mode="phone",
        condition="good",
    )
    open_request(catalogue.repair, tree.g1, assignee=crew.w1, filed_by=crew.resident)
    open_request(catalogue.repair, tree.g1, late=True, assignee=crew.w1, filed_by=crew.resident)
    done = open_request(catalogue.repair, tree.g1, assignee=crew.w1, filed_by=crew.resident)
    ServiceRequest.objects.filter(pk=done.pk).update(
        status=RequestStatus.CLOSED, resolved_at=timezone.now() - timedelta(days=3), rating=4
    )
    team = workload.team_workload(crew.head1)
    cards = {row.profile.user_id: row for row in team.workers}
    assert set(cards) == {crew.w1.pk, crew.w1b.pk}  # the head and staff serve no grid
    w1 = cards[crew.w1.pk]
    assert [grid.code for grid in w1.grids] == ["G1"]
    assert w1.load == 3 + 2 * workload.ROSTER_WEIGHT + 2 * workload.OPEN_REQUEST_WEIGHT
    assert (w1.open_requests, w1.overdue_requests) == (2, 1)
    assert w1.overdue_visits == 1  # visited 40 days ago; the other, never visited, entered the register today
    assert (w1.figures.resolved, w1.figures.average_rating, w1.figures.visits) == (1, Decimal("4.0"), 1)
    assert w1.highest and team.workers[0] is w1


def grid_with(community, code, households, *workers):
    grid = AreaFactory(code=code, kind="grid", parent=community)
    homes(grid, households)
    for user in workers:
        role_grant(user=user, role=Role.GRID_WORKER, area=grid)
    return grid


def test_the_overloaded_workers_grid_is_handed_to_the_least_loaded_nearby_worker(crew, make_user, tree):
    # w1 serves G1 (50) and G1c (50); w1b serves G1b (10); w1d serves G1d (20), far away.
    homes(tree.g1, 50)
    homes(tree.g1b, 10)
    g1c = grid_with(tree.c1, "G1c", 50, crew.w1)
    g1d = grid_with(tree.c1, "G1d", 20)
    profile(make_user(Role.GRID_WORKER, g1d))
    for grid, (lat, lng) in {tree.g1: (30.80, 106.08), g1c: (30.81, 106.08), tree.g1b: (30.80, 106.09)}.items():
        grid.centre_lat, grid.centre_lng = Decimal(lat), Decimal(lng)
        grid.save(update_fields=["centre_lat", "centre_lng"])

    move = workload.team_workload(crew.head1).suggestion

    assert move.giver == crew.p1 and move.receiver == crew.p1b
    assert move.grid.code in {"G1", "G1c"}
    assert (move.highest_before, move.highest_after) == (100, 60)
    assert move.distance_km is not None and move.distance_km < 2


def test_a_single_overloaded_grid_gets_a_second_worker(crew, tree):
    homes(tree.g1, 100)
    homes(tree.g1b, 10)
    move = workload.team_workload(crew.head1).suggestion
    assert move.giver is None and move.receiver == crew.p1b and move.grid == tree.g1
    assert (move.highest_before, move.highest_after) == (100, 60)


def test_no_suggestion_when_no_move_lowers_the_highest_load(crew, tree):
    homes(tree.g1, 10)
    homes(tree.g1b, 10)
    # Another worker of the other community is never a receiver for C1's grids.
    assert workload.team_workload(crew.head1).suggestion is None


def test_applying_a_move_hands_the_grid_over_in_one_audited_step(crew, tree):
    homes(tree.g1, 100)
    homes(tree.g1b, 10)
    g1c = grid_with(tree.c1, "G1c", 100, crew.w1)
    move = workload.team_workload(crew.head1).suggestion
    assert move.giver == crew.p1
    before = AuditEvent.objects.count()

    workload.rebalance_apply(
        actor=crew.head1, grid=move.grid, receiver=move.receiver, giver=move.giver, state=move.state
    )

    held = set(RoleAssignment.objects.filter(role=Role.GRID_WORKER).values_list("user_id", "area_id"))
    assert (crew.w1b.pk, move.grid.pk) in held and (crew.w1.pk, move.grid.pk) not in held
    assert {(crew.w1.pk, g) for g in (tree.g1.pk, g1c.pk)} - held == {(crew.w1.pk, move.grid.pk)}
    event = AuditEvent.objects.filter(action="workforce.rebalance").get()
    assert event.actor == crew.head1 and event.details["receiver"] == crew.w1b.username
    assert event.details["giver"] == crew.w1.username and event.details["grid"] == move.grid.code
    assert AuditEvent.objects.count() == before + 3  # the revoke, the grant, the rebalance
    after = workload.team_workload(crew.head1)
    assert after.highest < move.highest_before


def test_a_stale_suggestion_is_refused_and_changes_nothing(crew, tree, make_user):
    homes(tree.g1, 100)
    homes(tree.g1b, 10)
    move = workload.team_workload(crew.head1).suggestion
    # Meanwhile someone else joins G1.
    role_grant(user=make_user(), role=Role.GRID_WORKER, area=tree.g1)
    held = list(RoleAssignment.objects.order_by("pk").values_list("pk", "user_id", "area_id"))
    with pytest.raises(ValidationError, match="changed since the page was shown"):
        workload.rebalance_apply(
            actor=crew.head1, grid=move.grid, receiver=move.receiver, giver=move.giver, state=move.state
        )
    assert list(RoleAssignment.objects.order_by("pk").values_list("pk", "user_id", "area_id")) == held
    assert not AuditEvent.objects.filter(action="workforce.rebalance").exists()


def test_a_manager_cannot_move_a_grid_outside_their_reach_or_to_another_community(crew, tree):
    homes(tree.g1, 100)
    homes(tree.g1b, 10)
    move = workload.team_workload(crew.head1).suggestion
    with pytest.raises(PermissionDenied):
        workload.rebalance_apply(actor=crew.head2, grid=move.grid, receiver=move.receiver, giver=None, state=move.state)
    with pytest.raises(PermissionDenied):
        workload.rebalance_apply(actor=crew.civil, grid=tree.c1, receiver=crew.p1b, giver=None, state=move.state)
    state = workload.roles_state(workload._move_rows(tree.g2.pk, [crew.w1b.pk]).values_list("pk", "user_id", "area_id"))
    with pytest.raises(ValidationError, match="someone other"):
        workload.rebalance_apply(actor=crew.head1, grid=tree.g1, receiver=crew.p1, giver=crew.p1, state=move.state)
    with pytest.raises(ValidationError, match="same community"):
        workload.rebalance_apply(actor=crew.civil, grid=tree.g2, receiver=crew.p1b, giver=None, state=state)
    assert not AuditEvent.objects.filter(action="workforce.rebalance").exists()
