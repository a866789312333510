"""The programme dashboard: construction projects by the area they are registered for and by funding
source, the delayed ones and the assessment league, against a small world counted by hand; the scope
rules (a subdistrict officer sees their subdistrict and the district's projects covering it, never
another subdistrict's; residents, community staff, partners, department officers and anonymous
visitors are refused), bad input, the export and its audit event, and a query budget that does not
grow with the projects or the communities."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from directory.models import Area
from programme.models import AcceptanceDecision, AssessmentRound, CommunityScore, IndicatorSystem
from programme.projects import PlannedMilestone, acceptance_record, milestone_reach, project_create, spend_record
from security.models import AuditEvent, Role
from tests.factories import AreaFactory

pytestmark = pytest.mark.django_db

URL = "/dashboards/programme/"


def _pdf(name: str = "invoice.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", content_type="application/pdf")


def _days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def _project(actor, area, communities, department, *, name, funding, budget, milestones, partners=()):
    return project_create(
        actor=actor,
        name=name,
        area=area,
        communities=communities,
        department=department,
        partners=partners,
        funding_source=funding,
        budget=Decimal(budget),
        milestones=[PlannedMilestone(label, _days(offset)) for label, offset in milestones],
    )


def _spend(actor, project, amount: str, days_ago: int = 0):
    spend_record(
        actor=actor,
        project=project,
        amount=Decimal(amount),
        spent_on=_days(-days_ago),
        purpose="材料费",
        document=_pdf(),
    )


def build_projects(*, tree, orgs, leader, s1_officer, s2_officer, prefix=""):
    """Three projects: S1's, delayed 20 days; S2's, accepted; the district's, covering C1 and C2 with a
    partner, not started."""
    s1 = _project(
        s1_officer,
        tree.s1,
        [tree.c1],
        orgs.dept,
        name=f"{prefix}智慧门禁",
        funding="district_budget",
        budget="100000.00",
        milestones=[("设计完成", -20), ("施工完成", 30)],
    )
    _spend(s1_officer, s1, "30000.00")
    _spend(s1_officer, s1, "10000.00", days_ago=60)  # before the default period of 30 days
    s2 = _project(
        s2_officer,
        tree.s2,
        [tree.c2],
        orgs.dept,
        name=f"{prefix}智慧养老驿站",
        funding="higher_level",
        budget="50000.00",
        milestones=[("建成", -10)],
    )
    _spend(s2_officer, s2, "49000.00", days_ago=5)
    milestone_reach(actor=s2_officer, milestone=s2.milestones.get(), actual_date=_days(-12))
    acceptance_record(
        actor=s2_officer,
        project=s2,
        decision=AcceptanceDecision.ACCEPTED,
        acceptance_date=_days(-1),
        opinion="验收合格",
        documents=[_pdf("acceptance.pdf")],
    )
    district = _project(
        leader,
        tree.d,
        [tree.c1, tree.c2],
        orgs.dept,
        name=f"{prefix}全区智慧安防",
        funding="enterprise",
        budget="200000.00",
        milestones=[("招标", 10)],
        partners=[orgs.partner],
    )
    return SimpleNamespace(s1=s1, s2=s2, district=district)


def build_league(*, tree, leader):
    """A closed round with C1 first and C2 second (rows written directly: the dashboards read them,
    programme.assessment's tests prove how a round closes)."""
    system = IndicatorSystem.objects.create(
        district=tree.d, version=1, status=IndicatorSystem.Status.IN_FORCE, created_by=leader
    )
    closed = AssessmentRound.objects.create(
        district=tree.d,
        system=system,
        name="2026年上半年",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
        report_due=date(2026, 7, 15),
        status=AssessmentRound.Status.CLOSED,
        created_by=leader,
    )
    for community, total, rank, previous in ((tree.c1, "91.50", 1, "88.00"), (tree.c2, "78.25", 2, None)):
        CommunityScore.objects.create(
            round=closed,
            community=community,
            subdistrict=community.parent,
            total=Decimal(total),
            rank_in_subdistrict=1,
            rank_in_district=rank,
            previous_total=None if previous is None else Decimal(previous),
        )
    return closed


@pytest.fixture
def s2_officer(tree, make_user):
    return make_user(Role.SUBDISTRICT_OFFICER, tree.s2)


@pytest.fixture
def world(tree, orgs, people, s2_officer):
    projects = build_projects(
        tree=tree, orgs=orgs, leader=people.leader, s1_officer=people.subdistrict, s2_officer=s2_officer
    )
    return SimpleNamespace(projects=projects, round=build_league(tree=tree, leader=people.leader))


def _tables(response):
    assert response.status_code == 200
    return {table.slug: table for table in response.context["tables"]}


def _by_label(table):
    return {row[0]: row[1:] for row in table.rows}


# Projects, approved budget, spent, share spent, spent in the period, then the count in each status:
# not started, in progress, delayed, awaiting acceptance, accepted.
S1 = [1, Decimal("100000.00"), Decimal("40000.00"), 0.4, Decimal("30000.00"), 0, 0, 1, 0, 0]
S2 = [1, Decimal("50000.00"), Decimal("49000.00"), 0.98, Decimal("49000.00"), 0, 0, 0, 0, 1]
DISTRICT = [1, Decimal("200000.00"), Decimal(0), 0.0, Decimal(0), 1, 0, 0, 0, 0]


def test_a_district_leader_sees_projects_by_area_and_funding_the_delays_and_the_league(
    client, login, people, tree, world
):
    login(people.leader)
    response = client.get(URL)
    tables = _tables(response)
    areas = tables["programme-areas"]
    assert [row[0] for row in areas.rows] == [tree.d.name_zh, tree.s1.name_zh, tree.s2.name_zh]
    assert _by_label(areas) == {tree.d.name_zh: DISTRICT, tree.s1.name_zh: S1, tree.s2.name_zh: S2}
    # A subdistrict leads one level down; the district's own projects lead nowhere.
    assert areas.links[0][0] is None
    assert f"area={tree.s1.pk}" in areas.links[1][0]
    funding = _by_label(tables["programme-funding"])
    assert len(funding) == 4  # every funding source, in the order of FundingSource
    rows = list(funding.values())
    assert rows[0] == S1 and rows[1] == S2 and rows[2] == DISTRICT
    assert rows[3] == [0, Decimal(0), Decimal(0), None, Decimal(0), 0, 0, 0, 0, 0]
    delayed = tables["programme-delayed"]
    assert delayed.rows == [["智慧门禁", tree.s1.name_zh, 20, "设计完成", _days(-20).isoformat()]]
    assert delayed.links[0][0] == reverse("programme:project_detail", args=[world.projects.s1.public_id])
    league = tables["programme-league"]
    assert league.title.endswith("2026年上半年")
    assert league.rows == [
        [tree.c1.name_zh, tree.s1.name_zh, 1, 1, Decimal("91.50"), Decimal("3.50")],
        [tree.c2.name_zh, tree.s2.name_zh, 2, 1, Decimal("78.25"), None],
    ]
    total = response.context["total"]
    assert (total.projects, total.budget, total.spent) == (3, Decimal("350000.00"), Decimal("89000.00"))
    assert response.context["delayed"] == 1
    page = response.content.decode()
    assert "200,000.00" in page and "25.4%" in page and "+3.50" in page
    assert '<span class="value">35.0</span>' in page  # the approved budget in 万元
    # Charts beside the tables of money draw the approved budget and the spending, as numbers.
    chart = response.context["charts"]["funding"]
    assert chart["datasets"][0]["data"] == [100000.0, 50000.0, 200000.0, 0.0]
    assert chart["datasets"][1]["data"] == [40000.0, 49000.0, 0.0, 0.0]
    assert 'data-chart="chart-programme-funding"' in page


def test_the_period_decides_only_what_was_spent_in_it(client, login, people, world):
    login(people.leader)
    response = client.get(URL, {"period": "90d"})
    assert response.context["total"].spent_in_period == Decimal("89000.00")
    old = _days(-60).isoformat()
    response = client.get(URL, {"period": "custom", "start": old, "end": old})
    total = response.context["total"]
    assert (total.spent_in_period, total.spent, total.projects) == (Decimal("10000.00"), Decimal("89000.00"), 3)


def test_a_subdistrict_officer_sees_their_subdistrict_and_the_district_projects_covering_it(
    client, login, people, tree, world
):
    login(people.subdistrict)
    response = client.get(URL)
    tables = _tables(response)
    assert _by_label(tables["programme-areas"]) == {tree.d.name_zh: DISTRICT, tree.s1.name_zh: S1}
    assert tables["programme-areas"].links[1][0] is None  # their own subdistrict: they stand in it
    assert [row[0] for row in tables["programme-league"].rows] == [tree.c1.name_zh]
    page = response.content.decode()
    for other in ("智慧养老驿站", tree.s2.name_zh, tree.c2.name_zh, "49,000.00", "78.25"):
        assert other not in page, other
    # Another subdistrict: refused with a message, their own figures instead.
    response = client.get(URL, {"area": tree.s2.pk}, HTTP_ACCEPT_LANGUAGE="en")
    assert "That area is not one you oversee." in response.content.decode()
    assert response.context["area"] == tree.s1
    assert "智慧养老驿站" not in response.content.decode()
    for table in ("programme-areas", "programme-funding", "programme-delayed", "programme-league"):
        export = client.get(reverse("dashboards:export", args=[table, "csv"]), {"area": tree.s2.pk})
        text = export.content.decode("utf-8-sig")
        assert "智慧养老驿站" not in text and tree.c2.name_zh not in text, table


def test_the_other_subdistrict_officer_sees_nothing_of_the_first(client, login, tree, world, s2_officer):
    login(s2_officer)
    response = client.get(URL)
    tables = _tables(response)
    assert _by_label(tables["programme-areas"]) == {tree.d.name_zh: DISTRICT, tree.s2.name_zh: S2}
    assert tables["programme-delayed"].rows == []
    page = response.content.decode()
    for other in ("智慧门禁", "设计完成", tree.s1.name_zh, tree.c1.name_zh, "91.50"):
        assert other not in page, other


def test_a_community_shows_the_projects_covering_it_and_a_grid_is_refused(client, login, people, tree, world):
    login(people.leader)
    response = client.get(URL, {"area": tree.c2.pk})
    assert response.context["area"] == tree.c2
    assert _by_label(_tables(response)["programme-areas"]) == {tree.d.name_zh: DISTRICT, tree.s2.name_zh: S2}
    assert [row[0] for row in _tables(response)["programme-league"].rows] == [tree.c2.name_zh]
    response = client.get(URL, {"area": tree.g1.pk}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Projects cover communities" in response.content.decode()
    assert response.context["area"] == tree.d


def test_bad_filters_get_a_clear_message_and_the_defaults(client, login, people, world):
    login(people.leader)
    today = timezone.localdate()
    for params, message in (
        (
            {"period": "custom", "start": today.isoformat(), "end": (today - timedelta(days=3)).isoformat()},
            "The start must not be after the end.",
        ),
        ({"period": "custom", "start": "yesterday", "end": today.isoformat()}, "Enter a valid date."),
        ({"period": "forever"}, "Select a valid choice."),
        ({"area": "not-a-number"}, "Enter a whole number."),
        ({"area": "999999999"}, "That area is not one you oversee."),
    ):
        response = client.get(URL, params, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, params
        page = response.content.decode()
        assert "Some filters were not valid; the defaults are shown." in page, params
        assert message in page, params
        assert response.context["total"].projects == 3, params


def test_an_empty_district_says_so(client, login, make_user):
    district = AreaFactory(code="E", kind=Area.Kind.DISTRICT)
    login(make_user(Role.DISTRICT_LEADER, district))
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    tables = _tables(response)
    assert tables["programme-delayed"].rows == [] and tables["programme-league"].rows == []
    page = response.content.decode()
    assert "No project is delayed." in page and "No assessment round has been closed yet." in page
    assert "No project to show." in page


def test_export_has_the_page_figures_and_is_audited(client, login, people, tree, world):
    login(people.leader)
    response = client.get(reverse("dashboards:export", args=["programme-areas", "csv"]))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[2] == [tree.s1.name_zh, "1", "100000.00", "40000.00", "40.0%", "30000.00", "0", "0", "1", "0", "0"]
    response = client.get(reverse("dashboards:export", args=["programme-league", "xlsx"]))
    values = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert values[1] == (tree.c1.name_zh, tree.s1.name_zh, 1, 1, 91.5, 3.5)
    response = client.get(reverse("dashboards:export", args=["programme-delayed", "csv"]), {"period": "90d"})
    assert response.status_code == 200
    events = AuditEvent.objects.filter(action="dashboards.export").order_by("id")
    assert [(e.details["table"], e.details["format"], e.details["rows"]) for e in events] == [
        ("programme-areas", "csv", 3),
        ("programme-league", "xlsx", 2),
        ("programme-delayed", "csv", 1),
    ]
    assert events[2].details["filters"] == {"period": "90d"}


def test_the_tab_sits_beside_the_other_dashboards_for_area_overseers_only(client, login, people, world):
    login(people.leader)
    assert f'href="{URL}' in client.get("/dashboards/").content.decode()
    assert 'aria-current="page"' in client.get(URL).content.decode()
    login(people.dept)
    assert f'href="{URL}' not in client.get("/dashboards/").content.decode()


@pytest.mark.parametrize("who", ["resident", "community", "worker", "partner", "dept", "no_role"])
def test_outsiders_are_refused(client, login, people, make_user, world, who):
    """Residents, community staff, grid workers, partners (even the district project's partner) and
    accounts with no role are refused, as on every dashboard; so are department officers, who follow
    their department's projects on the programme's own pages."""
    login(make_user() if who == "no_role" else getattr(people, who))
    assert client.get(URL).status_code == 403
    for table in ("programme-areas", "programme-funding", "programme-delayed", "programme-league"):
        assert client.get(reverse("dashboards:export", args=[table, "csv"])).status_code == 403
    assert not AuditEvent.objects.filter(action="dashboards.export").exists()


def test_anonymous_is_sent_to_sign_in(client, world):
    assert client.get(URL)["Location"].startswith("/accounts/login/")
    export = reverse("dashboards:export", args=["programme-league", "csv"])
    assert client.get(export)["Location"].startswith("/accounts/login/")


def test_query_budget_does_not_grow_with_the_projects_or_the_communities(
    client, login, people, tree, orgs, s2_officer, world, django_assert_max_num_queries
):
    login(people.leader)
    with django_assert_max_num_queries(25) as page:
        assert client.get(URL).status_code == 200
    # As much again, and more communities in the league.
    build_projects(
        tree=tree, orgs=orgs, leader=people.leader, s1_officer=people.subdistrict, s2_officer=s2_officer, prefix="二期"
    )
    for index in range(3):
        community = AreaFactory(code=f"C1-{index}", kind=Area.Kind.COMMUNITY, parent=tree.s1)
        CommunityScore.objects.create(
            round=world.round,
            community=community,
            subdistrict=tree.s1,
            total=Decimal(50),
            rank_in_subdistrict=2 + index,
            rank_in_district=3 + index,
        )
    with django_assert_max_num_queries(len(page.captured_queries)):
        response = client.get(URL)
    assert response.context["total"].projects == 6
    assert response.context["delayed"] == 2
    assert len(_tables(response)["programme-league"].rows) == 5
