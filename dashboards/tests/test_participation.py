"""The participation dashboard: every figure against a small world counted by hand, the scope
rules (a subdistrict officer sees their subdistrict only; residents, community staff, partners,
department officers and anonymous visitors are refused), the ranking, the export and its audit
event, bad input, and a query budget that does not grow with the data."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from dashboards.participation_tables import AREAS_RATE_COLUMN, PARTICIPATION_COLUMNS
from dashboards.tests.participation_world import LONG_AGO, build_world
from security.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/dashboards/participation/"


@pytest.fixture
def world(tree, people, make_user, residents):
    # `residents` adds three register entries with no account: not verified, never counted.
    return build_world(tree=tree, people=people, make_user=make_user)


def _figures(response):
    assert response.status_code == 200
    return {table.slug: table for table in response.context["tables"]}


def _row(table, name):
    """The figures of the row of `name`, by their English labels (pages speak Chinese by default)."""
    row = next(row for row in table.rows if row[0] == name)
    with translation.override("en"):
        labels = [str(label) for label, _kind, _value in PARTICIPATION_COLUMNS]
    return dict(zip(labels, row[-len(labels) :], strict=True))


# The hand-counted figures of each community (see build_world).
C1 = {
    "Verified residents": 4,
    "Residents taking part": 3,  # a, b, c (d only proposed 100 days ago)
    "Participation rate": 0.75,
    "Proposals": 3,
    "Supports": 5,
    "Proposals reaching the threshold": 2,
    "Answered on time": 0.5,  # P1 on time, P2 late
    "Ballots cast": 3,  # a and c in X, a in Y
    "Poll turnout": 3 / 8,  # X and Y were each open to C1's 4 verified residents
    "Event attendances": 2,
    "Volunteer hours": Decimal("4.0"),
}
C2 = {
    "Verified residents": 3,
    "Residents taking part": 2,  # e, f (g attended 100 days ago)
    "Participation rate": 2 / 3,
    "Proposals": 1,
    "Supports": 1,
    "Proposals reaching the threshold": 1,
    "Answered on time": None,  # P4 is not yet due
    "Ballots cast": 2,
    "Poll turnout": 2 / 3,  # only Y, open to C2's 3
    "Event attendances": 1,
    "Volunteer hours": Decimal("3.0"),
}


def _assert_figures(row, expected):
    for label, value in expected.items():
        if isinstance(value, float):
            assert row[label] == pytest.approx(value), label
        else:
            assert row[label] == value, label


def test_a_district_leader_sees_every_figure_as_counted_by_hand(client, login, people, tree, world):
    login(people.leader)
    response = client.get(URL)
    tables = _figures(response)
    communities = tables["participation-communities"]
    _assert_figures(_row(communities, tree.c1.name_zh), C1)
    _assert_figures(_row(communities, tree.c2.name_zh), C2)
    # One level down: the subdistricts, each holding its one community's figures and leading down.
    areas = tables["participation-areas"]
    assert [row[0] for row in areas.rows] == [tree.s1.name_zh, tree.s2.name_zh]
    _assert_figures(_row(areas, tree.s1.name_zh), C1)
    _assert_figures(_row(areas, tree.s2.name_zh), C2)
    assert f"area={tree.s1.pk}" in areas.links[0][0]
    total = response.context["total"]
    assert (total.verified, total.active, total.proposals, total.supports) == (7, 5, 4, 6)
    assert (total.reached, total.answered_on_time, total.answer_due) == (3, 1, 2)
    assert (total.poll_voters, total.poll_eligible, total.attended) == (5, 11, 3)
    assert total.volunteer_hours == Decimal("7.0")
    assert total.participation_rate == pytest.approx(5 / 7)
    assert response.context["rate"] == "71.4%"


def test_communities_are_ranked_by_participation_rate_or_the_chosen_figure(client, login, people, tree, world):
    login(people.leader)
    for rank, order in (
        (None, [tree.c1, tree.c2]),  # 75 % before 66.7 %
        ("turnout", [tree.c2, tree.c1]),  # 66.7 % before 37.5 %
        ("on_time", [tree.c1, tree.c2]),  # C2 has no answer due: last
        ("hours", [tree.c1, tree.c2]),
    ):
        params = {"rank": rank} if rank else {}
        table = _figures(client.get(URL, params))["participation-communities"]
        assert [row[0] for row in table.rows] == [c.name_zh for c in order], rank
        assert [row[1] for row in table.rows] == [1, 2]


def test_the_period_decides_what_counts(client, login, people, tree, world):
    login(people.leader)
    today = timezone.localdate()
    old = today - LONG_AGO
    response = client.get(URL, {"period": "custom", "start": old.isoformat(), "end": old.isoformat()})
    total = response.context["total"]
    # 100 days ago: P5 by d, and g's attendance; poll Z opened then, open to all 7 verified residents.
    assert (total.proposals, total.attended, total.poll_eligible, total.poll_voters) == (1, 1, 7, 0)
    assert total.active == 2 and total.verified == 7
    assert total.supports == 0 and total.volunteer_hours == 0


def test_a_subdistrict_officer_sees_only_their_subdistrict(client, login, people, tree, world):
    login(people.subdistrict)
    response = client.get(URL)
    tables = _figures(response)
    assert [row[0] for row in tables["participation-communities"].rows] == [tree.c1.name_zh]
    assert [row[0] for row in tables["participation-areas"].rows] == [tree.c1.name_zh]
    _assert_figures(_row(tables["participation-areas"], tree.c1.name_zh), C1)
    # A community row leads nowhere: participation is not counted per grid.
    assert tables["participation-areas"].links[0][0] is None
    assert response.context["total"].verified == 4
    assert tree.c2.name_zh not in response.content.decode()
    # Another subdistrict: refused with a message, their own figures instead.
    response = client.get(URL, {"area": tree.s2.pk}, HTTP_ACCEPT_LANGUAGE="en")
    assert "That area is not one you oversee." in response.content.decode()
    assert response.context["area"] == tree.s1
    assert tree.c2.name_zh not in response.content.decode()
    export = client.get(reverse("dashboards:export", args=["participation-communities", "csv"]), {"area": tree.s2.pk})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [tree.c1.name_zh]


def test_a_community_can_be_chosen_but_not_a_grid(client, login, people, tree, world):
    login(people.subdistrict)
    response = client.get(URL, {"area": tree.c1.pk})
    assert response.context["area"] == tree.c1
    assert _figures(response)["participation-areas"].rows == []
    _assert_figures(_row(_figures(response)["participation-communities"], tree.c1.name_zh), C1)
    response = client.get(URL, {"area": tree.g1.pk}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Participation is counted per community and above" in response.content.decode()
    assert response.context["area"] == tree.s1


def test_bad_periods_get_a_clear_message_and_the_defaults(client, login, people, world):
    login(people.leader)
    today = timezone.localdate()
    for params, message in (
        (
            {"period": "custom", "start": today.isoformat(), "end": (today - timedelta(days=3)).isoformat()},
            "The start must not be after the end.",
        ),
        ({"period": "custom", "start": "2020-01-01", "end": (today + timedelta(days=1)).isoformat()}, "cannot end"),
        ({"period": "custom", "start": "yesterday", "end": today.isoformat()}, "Enter a valid date."),
        ({"period": "forever"}, "Select a valid choice."),
        ({"rank": "luck"}, "Select a valid choice."),
    ):
        response = client.get(URL, params, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, params
        page = response.content.decode()
        assert '<html lang="en"' in page  # English asked for, so the messages below hold once translated
        assert "Some filters were not valid; the defaults are shown." in page, params
        assert message in page, params
        assert response.context["page"].filters.days == 30, params
        assert response.context["total"].proposals == 4, params


def test_export_has_the_page_figures_and_is_audited(client, login, people, tree, world):
    login(people.leader)
    response = client.get(reverse("dashboards:export", args=["participation-communities", "csv"]), {"rank": "turnout"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 3
    assert [row[0] for row in rows[1:]] == [tree.c2.name_zh, tree.c1.name_zh]
    c1 = rows[2]
    # Community, rank, verified, taking part, rate, proposals, supports, reached, on time, ballots,
    # turnout, attendances, hours.
    assert c1 == [tree.c1.name_zh, "2", "4", "3", "75.0%", "3", "5", "2", "50.0%", "3", "37.5%", "2", "4.0"]
    assert rows[1][8] == "—"
    response = client.get(reverse("dashboards:export", args=["participation-areas", "xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][0] == tree.s1.name_zh
    assert values[1][1:5] == (4, 3, 75.0, 3)
    assert values[1][-1] == 4.0
    response = client.get(reverse("dashboards:export", args=["participation-summary", "csv"]))
    assert response.status_code == 200
    events = AuditEvent.objects.filter(action="dashboards.export").order_by("id")
    assert [(e.details["table"], e.details["format"], e.details["rows"]) for e in events] == [
        ("participation-communities", "csv", 2),
        ("participation-areas", "xlsx", 2),
        ("participation-summary", "csv", 14),
    ]
    assert events[0].details["filters"] == {"rank": "turnout"}


def test_the_tab_sits_beside_the_other_dashboards_for_area_overseers_only(client, login, people, world):
    login(people.leader)
    page = client.get("/dashboards/").content.decode()
    assert f'href="{URL}' in page
    participation = client.get(URL).content.decode()
    assert 'aria-current="page"' in participation and 'data-chart="chart-participation-areas"' in participation
    # The chart beside the table of areas draws their participation rates, in percent.
    response = client.get(URL)
    chart = response.context["charts"]["areas"]
    areas = next(table for table in response.context["tables"] if table.slug == "participation-areas")
    assert chart["datasets"][0]["label"] == str(areas.columns[AREAS_RATE_COLUMN].label)
    assert chart["datasets"][0]["data"] == [75.0, 66.7]
    login(people.dept)
    assert f'href="{URL}' not in client.get("/dashboards/").content.decode()


@pytest.mark.parametrize("who", ["verified_resident", "resident", "community", "worker", "partner", "dept", "no_role"])
def test_outsiders_are_refused(client, login, people, make_user, world, who):
    """Residents (verified or not), community staff, grid workers, partners and accounts with no
    role are refused, as on every dashboard; so are department officers, who may read the request
    dashboards for their department but oversee no area and so no residents."""
    user = {"verified_resident": world.a, "no_role": make_user()}.get(who) or getattr(people, who)
    login(user)
    assert client.get(URL).status_code == 403
    for table in ("participation-summary", "participation-areas", "participation-communities"):
        assert client.get(reverse("dashboards:export", args=[table, "csv"])).status_code == 403
    assert not AuditEvent.objects.filter(action="dashboards.export").exists()


def test_anonymous_is_sent_to_sign_in(client, world):
    assert client.get(URL)["Location"].startswith("/accounts/login/")
    export = reverse("dashboards:export", args=["participation-areas", "csv"])
    assert client.get(export)["Location"].startswith("/accounts/login/")


def test_query_budget_does_not_grow_with_the_data(
    client, login, people, tree, make_user, world, django_assert_max_num_queries
):
    login(people.leader)
    export = reverse("dashboards:export", args=["participation-communities", "xlsx"])
    with django_assert_max_num_queries(20) as page:
        assert client.get(URL).status_code == 200
    with django_assert_max_num_queries(25) as exported:
        assert client.get(export).status_code == 200
    # As much again: every figure has more rows behind it.
    build_world(tree=tree, people=people, make_user=make_user)
    with django_assert_max_num_queries(len(page.captured_queries)):
        response = client.get(URL)
    assert response.context["total"].verified == 14
    assert response.context["total"].proposals == 8
    with django_assert_max_num_queries(len(exported.captured_queries)):
        client.get(export)
