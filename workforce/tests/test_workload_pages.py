"""The team page and applying its suggestion: who may, what they see, the query budget, bad input."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from residents.models import Household
from security.models import AuditEvent, Role, RoleAssignment
from security.services import role_grant
from services.models import RequestStatus, ServiceRequest
from tests.factories import AreaFactory
from workforce import workload
from workforce.tests.helpers import profile

pytestmark = pytest.mark.django_db
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
TEAM = reverse("workforce:team")
APPLY = reverse("workforce:team_rebalance")


def homes(grid, n):
    Household.objects.bulk_create(Household(address=f"{grid.code}-{i}", grid=grid) for i in range(n))


def held():
    return set(RoleAssignment.objects.filter(role=Role.GRID_WORKER).values_list("user_id", "area_id"))


@pytest.fixture
def heavy(crew, tree):
    """G1 carries 100 households, G1b 10: the page suggests adding w1b to G1."""
    homes(tree.g1, 100)
    homes(tree.g1b, 10)
    return crew


def posted(move):
    return {
        "grid": move.grid.pk,
        "receiver": move.receiver.pk,
        "giver": move.giver.pk if move.giver else "",
        "state": move.state,
    }


@pytest.mark.parametrize("who", ["head1", "sub1", "civil"])
def test_managers_see_their_team_side_by_side_with_the_flag_and_the_suggestion(heavy, login, who):
    page = login(getattr(heavy, who)).get(TEAM, **ENGLISH)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'class="card team-worker" data-worker="{heavy.w1.username}"' in html
    assert 'data-grid="G1"' in html and "Overloaded" in html
    assert f"Add {heavy.p1b} as a second worker of" in html
    assert "<table" not in html


def test_a_workers_card_shows_their_casework(heavy, login, catalogue, tree):
    due = timezone.now() + timedelta(days=1)
    ServiceRequest.objects.create(
        service=catalogue.repair,
        description="路灯",
        grid=tree.g1,
        filed_by=heavy.resident,
        status=RequestStatus.CLOSED,
        assignee=heavy.w1,
        accept_due_at=due,
        resolve_due_at=due,
        resolved_at=timezone.now(),
        rating=4,
    )
    html = login(heavy.head1).get(TEAM, **ENGLISH).content.decode()
    card = html[html.index(f'data-worker="{heavy.w1.username}"') :]
    card = card[: card.index("</article>")]
    assert "4.0 from 1 rating" in card and "1, 0 late" in card


def test_the_workforce_home_links_to_the_team_page(heavy, login):
    assert TEAM in login(heavy.head1).get(reverse("workforce:home")).content.decode()


@pytest.mark.parametrize("who", ["w1", "staff1", "resident", "partner"])
def test_workers_residents_and_partners_may_not_open_or_apply(heavy, login, who):
    move = workload.team_workload(heavy.head1).suggestion
    client = login(getattr(heavy, who))
    assert client.get(TEAM).status_code == 403
    assert client.post(APPLY, posted(move)).status_code == 403
    assert (heavy.w1b.pk, move.grid.pk) not in held()


def test_anonymous_is_sent_to_sign_in(heavy, client):
    move = workload.team_workload(heavy.head1).suggestion
    assert client.get(TEAM).status_code == 302
    assert client.post(APPLY, posted(move)).status_code == 302
    assert (heavy.w1b.pk, move.grid.pk) not in held()


def test_another_communitys_head_sees_only_their_own_team_and_cannot_apply_here(heavy, login):
    move = workload.team_workload(heavy.head1).suggestion
    client = login(heavy.head2)
    html = client.get(TEAM).content.decode()
    assert 'data-grid="G2"' in html and 'data-grid="G1"' not in html
    assert heavy.w1.username not in html
    assert client.post(APPLY, posted(move)).status_code == 404
    assert (heavy.w1b.pk, move.grid.pk) not in held()
    assert not AuditEvent.objects.filter(action="workforce.rebalance").exists()


def test_applying_the_suggestion_moves_the_role_and_says_so(heavy, login, tree):
    move = workload.team_workload(heavy.head1).suggestion
    client = login(heavy.head1)
    page = client.post(APPLY, posted(move), follow=True, **ENGLISH)
    assert page.status_code == 200
    assert f"{heavy.p1b} now also serves" in page.content.decode()
    assert (heavy.w1b.pk, tree.g1.pk) in held() and (heavy.w1.pk, tree.g1.pk) in held()
    assert AuditEvent.objects.filter(action="workforce.rebalance", actor=heavy.head1).count() == 1
    # The same form again is stale now: refused with a message, nothing more changes.
    before = held()
    again = client.post(APPLY, posted(move), follow=True, **ENGLISH)
    assert "changed since the page was shown" in again.content.decode()
    assert held() == before
    assert AuditEvent.objects.filter(action="workforce.rebalance").count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"grid": "x"},
        {"state": "not-a-state"},
        {"receiver": ""},
        {"giver": "-3"},
    ],
)
def test_bad_input_gives_a_message_and_changes_nothing(heavy, login, change):
    move = workload.team_workload(heavy.head1).suggestion
    before = held()
    page = login(heavy.head1).post(APPLY, {**posted(move), **change}, follow=True, **ENGLISH)
    assert page.status_code == 200
    assert "nothing was changed" in page.content.decode()
    assert held() == before


def test_a_grid_or_worker_outside_the_managers_reach_is_404(heavy, login, tree):
    move = workload.team_workload(heavy.head1).suggestion
    client = login(heavy.head1)
    before = held()
    assert client.post(APPLY, {**posted(move), "grid": tree.g2.pk}).status_code == 404
    assert client.post(APPLY, {**posted(move), "grid": tree.c1.pk}).status_code == 404
    assert client.post(APPLY, {**posted(move), "receiver": heavy.p2.pk}).status_code == 404
    assert client.post(APPLY, {**posted(move), "grid": 999999}).status_code == 404
    assert held() == before
    assert not AuditEvent.objects.filter(action="workforce.rebalance").exists()


def grow(crew, tree, make_user, n):
    """`n` more grids in C1, each with its households and a grid worker with a profile."""
    for i in range(n):
        grid = AreaFactory(code=f"G1-{n}-{i}", kind="grid", parent=tree.c1)
        homes(grid, 5 + i)
        worker = make_user(Role.GRID_WORKER, grid)
        profile(worker)
        role_grant(user=worker, role=Role.GRID_WORKER, area=tree.g1b)


def test_the_team_page_reads_in_a_constant_number_of_queries(
    heavy, login, tree, make_user, django_assert_max_num_queries
):
    client = login(heavy.head1)
    grow(heavy, tree, make_user, 2)
    cache.clear()  # the register counts, overdue visits and casework are cached: read them all
    with django_assert_max_num_queries(40) as few:
        assert client.get(TEAM).status_code == 200
    grow(heavy, tree, make_user, 12)
    cache.clear()
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(TEAM)
    assert page.content.decode().count('class="card team-worker"') == 2 + 14
    # Warm, the page reads only what moves: roles, open requests, the team.
    with django_assert_max_num_queries(len(few.captured_queries) - 4):
        client.get(TEAM)


def test_a_big_team_comes_a_page_at_a_time_most_loaded_first(heavy, login, tree, make_user):
    grow(heavy, tree, make_user, 25)
    client = login(heavy.head1)
    first = client.get(TEAM).content.decode()
    assert first.count('class="card team-worker"') == 20
    assert f'data-worker="{heavy.w1.username}"' in first  # G1's 100 households: the highest load
    second = client.get(TEAM, {"page": 2}).content.decode()
    assert second.count('class="card team-worker"') == 2 + 25 - 20
    assert first.count('class="team-grid') == 20 and 'data-grid="G1"' in first
    assert client.get(TEAM, {"grids": 2}).content.decode().count('class="team-grid') == 2 + 25 - 20


def test_a_worker_reads_their_own_casework_on_their_profile_and_a_colleague_cannot(
    heavy, login, catalogue, tree, django_assert_max_num_queries
):
    due = timezone.now() - timedelta(days=1)
    ServiceRequest.objects.create(
        service=catalogue.repair,
        description="路灯",
        grid=tree.g1,
        filed_by=heavy.resident,
        status=RequestStatus.RESOLVED,
        assignee=heavy.w1,
        accept_due_at=due,
        resolve_due_at=due,
        resolved_at=timezone.now(),
        rating=5,
    )
    page = reverse("workforce:detail", args=[heavy.p1.pk])
    own = login(heavy.w1).get(page, **ENGLISH).content.decode()
    managed = login(heavy.head1).get(page, **ENGLISH).content.decode()
    for html in (own, managed):
        panel = html[html.index('id="worker-casework"') :]
        assert "1, 1 late" in panel[: panel.index("</section>")]
        assert "5.0 from 1 rating" in panel
    assert login(heavy.w1b).get(page).status_code == 404
