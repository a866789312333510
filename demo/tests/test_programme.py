"""The demo's smart-community programme: four projects (one delayed, one accepted with its document,
one nearly spent, one with demo_partner's company), the default indicator system in force, a closed
round of the last half-year in which demo_community's reported indicator was accepted, and an open
round of this half-year; what the demo logins see of it; and a second run adds nothing and records no
audit event."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo.programme import DEMO_PROJECTS, DEMO_REPORTED_INDICATOR, half_years
from programme.models import (
    AssessmentRound,
    CommunityScore,
    ConstructionProject,
    IndicatorReport,
    IndicatorSystem,
    ProjectDocument,
    ProjectSpend,
)
from programme.project_selectors import projects_for_user
from programme.project_status import Status, with_status
from security.models import AuditEvent, User

pytestmark = pytest.mark.django_db

URL = "/dashboards/programme/"


def _state():
    return (
        sorted(
            with_status(ConstructionProject.objects.all()).values_list(
                "name", "funding_source", "budget", "spent", "status"
            )
        ),
        ProjectSpend.objects.count(),
        sorted(ProjectDocument.objects.values_list("project__name", "kind")),
        sorted(IndicatorSystem.objects.values_list("version", "status")),
        sorted(AssessmentRound.objects.values_list("name", "status", "period_start", "period_end")),
        sorted(IndicatorReport.objects.values_list("community__code", "indicator__code", "status", "value")),
        CommunityScore.objects.count(),
        AuditEvent.objects.filter(action__startswith="programme.").count(),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def seeded():
    call_command("seed_demo", force=True, history=0, verbosity=0)


def test_the_demo_has_projects_an_indicator_system_and_a_finished_round(seeded):
    projects, spends, documents, systems, rounds, reports, scores, audited, _all = _state()
    statuses = {name: (source, budget, spent, status) for name, source, budget, spent, status in projects}
    assert len(statuses) == len(DEMO_PROJECTS) == 4
    assert {source for source, _b, _s, _st in statuses.values()} == {
        "district_budget",
        "higher_level",
        "enterprise",
        "social_capital",
    }
    assert statuses["大东街社区智慧门禁改造"][3] == Status.DELAYED
    assert statuses["中城街道智慧养老服务平台"][3] == Status.ACCEPTED
    _source, budget, spent, _status = statuses["全区智慧社区综合信息平台"]
    assert spent / budget > Decimal("0.95")
    assert ("中城街道智慧养老服务平台", ProjectDocument.Kind.ACCEPTANCE) in documents
    assert spends == 7
    partnered = ConstructionProject.objects.get(partners__code="partner-jiahe")
    assert partnered.name == "模范街社区智慧物业与停车改造"

    assert systems == [(1, IndicatorSystem.Status.IN_FORCE)]
    (last_start, last_end), (this_start, this_end) = half_years(timezone.localdate())
    closed = AssessmentRound.objects.get(status=AssessmentRound.Status.CLOSED)
    assert (closed.period_start, closed.period_end) == (last_start, last_end)
    opened = AssessmentRound.objects.get(status=AssessmentRound.Status.OPEN)
    assert (opened.period_start, opened.period_end) == (this_start, this_end)
    assert reports == [("511302001001", DEMO_REPORTED_INDICATOR, IndicatorReport.Status.ACCEPTED, Decimal(85))]
    # Every community of the district is scored and ranked.
    assert scores == CommunityScore.objects.filter(round=closed).count() > 30
    assert audited > 0


def test_a_second_run_adds_nothing_and_records_no_audit_event(seeded):
    first = _state()
    call_command("seed_demo", force=True, history=0, verbosity=0)
    assert _state() == first


def test_what_the_demo_logins_see(seeded, client):
    leader = User.objects.get(username="demo_leader")
    client.force_login(leader)
    response = client.get(URL)
    assert response.status_code == 200
    tables = {table.slug: table for table in response.context["tables"]}
    assert response.context["total"].projects == 4
    assert [row[0] for row in tables["programme-delayed"].rows] == ["大东街社区智慧门禁改造"]
    league = tables["programme-league"]
    assert len(league.rows) == CommunityScore.objects.filter(round__status="closed").count()
    # demo_subdistrict: their subdistrict's three projects and the district's platform covering it;
    # the league of their subdistrict's communities only.
    client.force_login(User.objects.get(username="demo_subdistrict"))
    response = client.get(URL)
    assert response.context["total"].projects == 4
    league = next(table for table in response.context["tables"] if table.slug == "programme-league")
    assert len(league.rows) == 4  # 大东街, 模范街, 文化路, 人民中路
    # demo_partner takes part in one project, and sees that one.
    partner = User.objects.get(username="demo_partner")
    assert [p.name for p in projects_for_user(user=partner)] == ["模范街社区智慧物业与停车改造"]
    # demo_community: the projects covering their community.
    community = User.objects.get(username="demo_community")
    assert sorted(p.name for p in projects_for_user(user=community)) == [
        "全区智慧社区综合信息平台",
        "大东街社区智慧门禁改造",
    ]
