"""The indicator system's and the assessment rounds' pages: what each role does there, outsiders
(another community's staff, another subdistrict's officer, another district's leader, a resident, a
partner, anonymous), bad input, audit events and query budgets."""

import io
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from directory.models import Area
from programme.assessment import report_check, round_close, round_compute
from programme.models import AssessmentRound, CommunityScore, IndicatorReport, IndicatorSystem
from programme.tests import test_assessment as base
from programme.tests.test_assessment import open_round, pdf, png, reported, submit
from security.models import AuditEvent, Role
from tests.factories import AreaFactory

pytestmark = pytest.mark.django_db
# The services' tests' fixtures: test computations, the people of the district, a system, a round.
registry, people, system, round_ = base.registry, base.people, base.system, base.round_
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def page(client, url, **kwargs) -> str:
    response = client.get(url, **EN, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def is_login(response) -> bool:
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- the indicator system ------------------------------------------------------------------------
def test_a_leader_starts_edits_and_publishes_the_system_on_its_page(registry, people, tree, login):
    client = login(people.leader)
    assert "No version in force yet" in page(client, "/programme/indicators/")
    assert client.post("/programme/indicators/new/").status_code == 302
    draft = IndicatorSystem.objects.get(status="draft")
    text = page(client, "/programme/indicators/")
    assert "Draft: version 1" in text and "The weights must add up to 100; they add up to 18." in text
    response = client.post("/programme/indicators/publish/", **EN, follow=True)
    assert "The weights must add up to 100" in response.content.decode()
    assert IndicatorSystem.objects.get(pk=draft.pk).status == "draft"
    for indicator in draft.indicators.all():
        form = {
            "code": indicator.code,
            "name_zh": indicator.name_zh,
            "name_en": indicator.name_en,
            "group": indicator.group,
            "weight": {"on_time": 40, "incidents": 20, "smart_access_coverage": 30, "video_coverage": 10}[
                indicator.code
            ],
            "target": str(indicator.target),
            "direction": indicator.direction,
            "source": indicator.source,
            "computation": indicator.computation,
            "unit": indicator.unit,
        }
        response = client.post(f"/programme/indicators/draft/{indicator.pk}/", form)
        assert response.status_code == 302, response.content.decode()
    assert client.post("/programme/indicators/publish/").status_code == 302
    assert IndicatorSystem.objects.get(pk=draft.pk).status == "in_force"
    assert "In force: version 1" in page(client, "/programme/indicators/")
    assert AuditEvent.objects.filter(action="programme.system_publish", actor=people.leader).exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weight": "101"}, "Ensure this value is less than or equal to 100."),
        ({"target": "-3"}, "Ensure this value is greater than or equal to 0."),
        ({"computation": ""}, "Choose the computation of a computed indicator."),
        ({"code": "incidents"}, "Another indicator of this version has the code incidents."),
    ],
)
def test_bad_indicator_input_is_shown_next_to_the_field_and_changes_nothing(
    registry, people, tree, login, change, message
):
    client = login(people.leader)
    client.post("/programme/indicators/new/")
    indicator = IndicatorSystem.objects.get().indicators.get(code="on_time")
    form = {
        "code": "on_time",
        "name_zh": "按时",
        "group": "service",
        "weight": "40",
        "target": "90",
        "direction": "higher",
        "source": "computed",
        "computation": "on_time",
    }
    response = client.post(f"/programme/indicators/draft/{indicator.pk}/", form | change, **EN)
    assert response.status_code == 200 and message in response.content.decode()
    indicator.refresh_from_db()
    assert (indicator.weight, indicator.name_zh) == (0, "Test on_time")
    assert not AuditEvent.objects.filter(action="programme.indicator_update").exists()


@pytest.mark.parametrize("who", ["sub1", "staff1", "auditor", "resident", "partner"])
def test_only_district_leaders_open_the_system_pages(registry, people, tree, login, who):
    from programme.assessment import system_draft_start

    draft = system_draft_start(district=tree.d, actor=people.leader)
    indicator = draft.indicators.first()
    client = login(getattr(people, who))
    for url in ("/programme/indicators/", "/programme/indicators/draft/add/", "/programme/rounds/open/"):
        assert client.get(url).status_code == 403, url
    for url in (
        "/programme/indicators/new/",
        "/programme/indicators/publish/",
        "/programme/indicators/discard/",
        f"/programme/indicators/draft/{indicator.pk}/remove/",
    ):
        assert client.post(url).status_code == 403, url
    assert IndicatorSystem.objects.get().indicators.count() == 4


def test_another_districts_leader_finds_nothing_of_this_district(registry, people, tree, login):
    from programme.assessment import system_draft_start

    indicator = system_draft_start(district=tree.d, actor=people.leader).indicators.first()
    client = login(people.other_leader)
    assert client.get(f"/programme/indicators/draft/{indicator.pk}/").status_code == 404
    assert client.post(f"/programme/indicators/draft/{indicator.pk}/remove/").status_code == 404
    assert "No version in force yet" in page(client, "/programme/indicators/")
    assert IndicatorSystem.objects.get().indicators.count() == 4


def test_anonymous_visitors_sign_in_first(round_, client):
    for url in (
        "/programme/indicators/",
        "/programme/rounds/",
        "/programme/rounds/open/",
        f"/programme/rounds/{round_.public_id}/",
        f"/programme/rounds/{round_.public_id}/reports/",
        f"/programme/rounds/{round_.public_id}/checks/",
        f"/programme/rounds/{round_.public_id}/export.xlsx",
        "/programme/results/",
    ):
        assert is_login(client.get(url)), url
    for url in ("/programme/indicators/new/", f"/programme/rounds/{round_.public_id}/close/"):
        assert is_login(client.post(url)), url
    assert AssessmentRound.objects.get().status == "open"


# --- rounds --------------------------------------------------------------------------------------
def test_a_leader_opens_a_round_that_shows_computing_until_computed(system, people, tree, login):
    client = login(people.leader)
    form = {"name": "上半年", "period_start": "2026-01-01", "period_end": "2026-06-30", "report_due": "2099-01-01"}
    response = client.post("/programme/rounds/open/", form)
    round_ = AssessmentRound.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/programme/rounds/{round_.public_id}/"
    assert "computing…" in page(client, response["Location"])
    round_compute(round=round_)
    assert "computed 20" in page(client, response["Location"])
    assert client.post(f"/programme/rounds/{round_.public_id}/recompute/").status_code == 302
    assert "computing…" in page(client, response["Location"])
    assert f"/programme/rounds/{round_.public_id}/" in page(client, "/programme/rounds/")


def test_bad_round_input_is_shown_and_opens_nothing(system, people, login):
    client = login(people.leader)
    form = {"name": "x", "period_start": "2026-06-30", "period_end": "2026-01-01", "report_due": "2099-01-01"}
    response = client.post("/programme/rounds/open/", form, **EN)
    assert response.status_code == 200
    assert "The period must end on or after its first day." in response.content.decode()
    response = client.post("/programme/rounds/open/", form | {"period_start": "soon"}, **EN)
    assert "Enter a valid date." in response.content.decode()
    assert not AssessmentRound.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("sub1", 200), ("staff2", 200), ("auditor", 200), ("other_leader", 404)])
def test_a_round_is_seen_in_its_district_only(round_, people, login, who, status):
    assert login(getattr(people, who)).get(f"/programme/rounds/{round_.public_id}/").status_code == status


@pytest.mark.parametrize("who", ["resident", "partner"])
def test_residents_and_partners_see_no_round(round_, people, login, who):
    client = login(getattr(people, who))
    assert client.get(f"/programme/rounds/{round_.public_id}/").status_code == 404
    assert client.get(f"/programme/rounds/{round_.public_id}/export.xlsx").status_code == 404
    assert client.get("/programme/rounds/").status_code == (200 if who == "partner" else 403)


@pytest.mark.parametrize("who", ["sub1", "staff1", "auditor", "other_leader"])
def test_only_the_districts_leaders_recompute_and_close(round_, people, login, who):
    client = login(getattr(people, who))
    assert client.post(f"/programme/rounds/{round_.public_id}/recompute/").status_code in (403, 404)
    assert client.post(f"/programme/rounds/{round_.public_id}/close/").status_code in (403, 404)
    assert AssessmentRound.objects.get().status == "open"
    assert not AuditEvent.objects.filter(action__in=["programme.round_recompute", "programme.round_close"]).exists()


def test_the_rounds_list_costs_the_same_queries_for_more_rounds(system, people, tree, login):
    client = login(people.sub1)
    open_round(people, tree)
    with CaptureQueriesContext(connection) as few:
        page(client, "/programme/rounds/")
    for n in range(1, 6):
        open_round(people, tree, days_back=180 * (n + 1), name=f"round {n}")
    with CaptureQueriesContext(connection) as many:
        assert page(client, "/programme/rounds/").count("/programme/rounds/") >= 6
    assert len(many.captured_queries) == len(few.captured_queries)


# --- reports and checks --------------------------------------------------------------------------
def test_community_staff_report_on_the_page_and_bad_input_changes_nothing(round_, people, tree, login):
    client = login(people.staff1)
    url = f"/programme/rounds/{round_.public_id}/reports/"
    text = page(client, url)
    assert "Smart access control coverage" in text and "Not reported yet." in text
    indicator = reported(round_, "smart_access_coverage")
    bad = client.post(url, {"indicator": indicator.pk, "community": tree.c1.pk, "value": "-5"}, **EN)
    assert "Ensure this value is greater than or equal to 0." in bad.content.decode()
    missing = client.post(url, {"indicator": indicator.pk, "community": tree.c1.pk, "value": "80"}, **EN)
    assert "Attach the evidence: a photo or a PDF." in missing.content.decode()
    assert not IndicatorReport.objects.exists()
    response = client.post(
        url, {"indicator": indicator.pk, "community": tree.c1.pk, "value": "80", "note": "", "evidence": png()}
    )
    assert response.status_code == 302
    report = IndicatorReport.objects.get()
    assert (report.community, report.value, report.reported_by) == (tree.c1, D(80), people.staff1)
    assert "Waiting for the subdistrict" in page(client, f"{url}?community={tree.c1.pk}")


def test_another_communitys_staff_report_only_for_their_own(round_, people, tree, login):
    client = login(people.staff2)
    url = f"/programme/rounds/{round_.public_id}/reports/"
    assert tree.c1.name not in page(client, f"{url}?community={tree.c1.pk}")
    indicator = reported(round_, "smart_access_coverage")
    client.post(url, {"indicator": indicator.pk, "community": tree.c1.pk, "value": "80", "evidence": png()})
    assert list(IndicatorReport.objects.values_list("community", flat=True)) == [tree.c2.pk]


@pytest.mark.parametrize("who", ["sub1", "leader", "resident", "partner"])
def test_only_community_staff_open_the_report_page(round_, people, login, who):
    response = login(getattr(people, who)).get(f"/programme/rounds/{round_.public_id}/reports/")
    assert response.status_code == 403


def test_the_subdistrict_checks_and_the_community_appeals_on_the_pages(round_, people, tree, login):
    report = submit(round_, people, tree)
    officer = login(people.sub1)
    assert f"/programme/reports/{report.pk}/" in page(officer, f"/programme/rounds/{round_.public_id}/checks/")
    text = page(officer, f"/programme/reports/{report.pk}/")
    assert "Check the report" in text and f"/programme/reports/{report.pk}/evidence/" in text
    evidence = officer.get(f"/programme/reports/{report.pk}/evidence/")
    assert evidence.status_code == 200 and evidence["Content-Type"] == "image/png"
    assert "no-store" in evidence["Cache-Control"]
    refused = officer.post(f"/programme/reports/{report.pk}/check/", {"decision": "reject", "reason": ""}, **EN)
    assert refused.status_code == 200 and "Say why the report is rejected." in refused.content.decode()
    assert IndicatorReport.objects.get().status == "submitted"
    officer.post(f"/programme/reports/{report.pk}/check/", {"decision": "reject", "reason": "照片模糊"})
    assert IndicatorReport.objects.get().status == "rejected"

    staff = login(people.staff1)
    text = page(staff, f"/programme/reports/{report.pk}/")
    assert "照片模糊" in text and "Appeal (once)" in text
    bad = staff.post(f"/programme/reports/{report.pk}/appeal/", {"grounds": "重拍"}, **EN)
    assert "This field is required." in bad.content.decode()
    response = staff.post(f"/programme/reports/{report.pk}/appeal/", {"grounds": "重拍", "evidence": pdf()})
    assert response.status_code == 302 and IndicatorReport.objects.get().status == "appealed"
    appeal_evidence = staff.get(f"/programme/reports/{report.pk}/appeal-evidence/")
    assert appeal_evidence["Content-Type"] == "application/pdf"
    assert "attachment" in appeal_evidence["Content-Disposition"]

    officer = login(people.sub1)
    assert "Decide the appeal (final)" in page(officer, f"/programme/reports/{report.pk}/")
    officer.post(f"/programme/reports/{report.pk}/check/", {"decision": "accept"})
    assert IndicatorReport.objects.get().status == "appeal_accepted"
    assert "Decide the appeal" not in page(officer, f"/programme/reports/{report.pk}/")


@pytest.mark.parametrize("who", ["staff2", "sub2", "other_leader", "resident", "partner"])
def test_outsiders_find_no_report_nor_its_evidence(round_, people, tree, login, who):
    report = submit(round_, people, tree)
    client = login(getattr(people, who))
    for url in (
        f"/programme/reports/{report.pk}/",
        f"/programme/reports/{report.pk}/evidence/",
        f"/programme/reports/{report.pk}/appeal-evidence/",
    ):
        assert client.get(url).status_code == 404, url
    status = client.post(f"/programme/reports/{report.pk}/check/", {"decision": "accept"}).status_code
    assert status in (403, 404)
    assert IndicatorReport.objects.get().status == "submitted"


def test_the_check_queue_costs_the_same_queries_for_more_reports(round_, people, tree, login, make_user):
    submit(round_, people, tree)
    client = login(people.sub1)
    url = f"/programme/rounds/{round_.public_id}/checks/"
    with CaptureQueriesContext(connection) as few:
        page(client, url)
    for n in range(4):
        community = AreaFactory(code=f"C1{n}", kind=Area.Kind.COMMUNITY, parent=tree.s1)
        submit(round_, people, tree, community=community, actor=make_user(Role.COMMUNITY_STAFF, community))
    with CaptureQueriesContext(connection) as many:
        assert page(client, url).count("/programme/reports/") == 5
    assert len(many.captured_queries) == len(few.captured_queries)


# --- results, league and export ------------------------------------------------------------------
@pytest.fixture
def closed(round_, people, tree, registry):
    registry.values.update({("on_time", tree.c1.pk): D(90), ("incidents", tree.c1.pk): D(1)})
    report = submit(round_, people, tree)
    report_check(report=report, actor=people.sub1, accept=True)
    return round_close(round=round_, actor=people.leader)


def test_community_staff_see_their_score_and_what_pulls_it_down(closed, people, tree, login):
    client = login(people.staff1)
    response = client.get("/programme/results/")
    assert response["Location"] == f"/programme/rounds/{closed.public_id}/communities/{tree.c1.pk}/"
    text = page(client, response["Location"])
    assert "74.00" in text and "first round" in text
    assert text.index("row-incidents") < text.index("row-smart_access_coverage") < text.index("row-on_time")


@pytest.mark.parametrize(("who", "status"), [("staff2", 404), ("sub2", 404), ("sub1", 200), ("auditor", 200)])
def test_a_communitys_results_are_for_its_staff_and_the_officials_over_it(closed, people, tree, login, who, status):
    url = f"/programme/rounds/{closed.public_id}/communities/{tree.c1.pk}/"
    assert login(getattr(people, who)).get(url).status_code == status


@pytest.mark.parametrize("who", ["resident", "partner", "other_leader"])
def test_outsiders_find_no_results(closed, people, tree, login, who):
    url = f"/programme/rounds/{closed.public_id}/communities/{tree.c1.pk}/"
    assert login(getattr(people, who)).get(url).status_code == 404


def test_officials_see_their_subtrees_league_and_staff_none(closed, people, tree, login):
    url = f"/programme/rounds/{closed.public_id}/"
    leader = page(login(people.leader), url)
    assert f"/communities/{tree.c1.pk}/" in leader and f"/communities/{tree.c2.pk}/" in leader
    officer = page(login(people.sub2), url)
    assert f"/communities/{tree.c2.pk}/" in officer and f"/communities/{tree.c1.pk}/" not in officer
    staff = page(login(people.staff1), url)
    assert 'id="league"' not in staff and f"/communities/{tree.c1.pk}/" in staff


def test_the_league_costs_the_same_queries_for_more_communities(system, people, tree, login):
    round_ = open_round(people, tree)
    round_close(round=round_, actor=people.leader)
    client = login(people.leader)
    with CaptureQueriesContext(connection) as few:
        page(client, f"/programme/rounds/{round_.public_id}/")
    for n in range(6):
        AreaFactory(code=f"C8{n}", kind=Area.Kind.COMMUNITY, parent=tree.s2)
    later = open_round(people, tree, days_back=30, length=20, name="later")
    round_close(round=later, actor=people.leader)
    with CaptureQueriesContext(connection) as many:
        assert page(client, f"/programme/rounds/{later.public_id}/").count("/communities/") == 8
    assert len(many.captured_queries) == len(few.captured_queries)


def test_officials_export_their_league_and_breakdown_audited(closed, people, tree, login):
    response = login(people.sub1).get(f"/programme/rounds/{closed.public_id}/export.xlsx")
    assert response.status_code == 200 and response["Content-Disposition"].endswith('.xlsx"')
    workbook = load_workbook(io.BytesIO(response.content))
    league, breakdown = workbook.worksheets
    rows = list(league.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == tree.c1.name_zh and rows[1][2] == 74
    assert {row[0] for row in list(breakdown.iter_rows(values_only=True))[1:]} == {tree.c1.name_zh}
    event = AuditEvent.objects.get(action="programme.round_export")
    assert event.actor == people.sub1 and event.details == {"communities": 1, "values": 4}


@pytest.mark.parametrize("who", ["staff1", "resident", "other_leader"])
def test_outsiders_export_nothing(closed, people, login, who):
    assert login(getattr(people, who)).get(f"/programme/rounds/{closed.public_id}/export.xlsx").status_code == 404
    assert not AuditEvent.objects.filter(action="programme.round_export").exists()


def test_an_open_round_has_no_export_and_no_scores(round_, people, login):
    assert login(people.leader).get(f"/programme/rounds/{round_.public_id}/export.xlsx").status_code == 404
    assert not CommunityScore.objects.exists()


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [
        ("leader", ["/programme/indicators/", "/programme/rounds/open/"], ["/programme/results/"]),
        ("staff1", ["/programme/rounds/", "/programme/results/"], ["/programme/indicators/"]),
        ("sub1", ["/programme/rounds/"], ["/programme/indicators/", "/programme/results/"]),
    ],
)
def test_the_programme_home_shows_each_role_its_ways_into_the_assessment(people, login, who, shown, hidden):
    text = page(login(getattr(people, who)), "/programme/")
    assert all(f'href="{url}"' in text for url in shown)
    assert not any(f'href="{url}"' in text for url in hidden)


def test_a_report_sent_after_its_check_or_the_due_date_says_why(round_, people, tree, login):
    report = submit(round_, people, tree)
    report_check(report=report, actor=people.sub1, accept=True)
    client = login(people.staff1)
    url = f"/programme/rounds/{round_.public_id}/reports/"
    form = {"indicator": report.indicator_id, "community": tree.c1.pk, "value": "10", "evidence": png()}
    response = client.post(url, form, **EN)
    assert response.status_code == 200
    assert "This report has been checked already: it can no longer be replaced." in response.content.decode()
    AssessmentRound.objects.filter(pk=round_.pk).update(report_due=round_.period_end)
    text = page(client, url)
    assert 'name="value"' not in text
    other = reported(round_, "video_coverage")
    response = client.post(url, form | {"indicator": other.pk, "evidence": png()}, **EN)
    assert "Reports were due by" in response.content.decode()
    assert list(IndicatorReport.objects.values_list("value", flat=True)) == [D(80)]


def test_the_report_page_costs_the_same_queries_for_more_reports(round_, people, tree, login):
    client = login(people.staff1)
    url = f"/programme/rounds/{round_.public_id}/reports/"
    with CaptureQueriesContext(connection) as few:
        page(client, url)
    submit(round_, people, tree)
    submit(round_, people, tree, code="video_coverage")
    with CaptureQueriesContext(connection) as many:
        assert page(client, url).count("/programme/reports/") == 2
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_system_page_costs_the_same_queries_for_more_indicators(registry, people, tree, login):
    from programme.assessment import indicator_save, system_draft_start

    publish_system = base.publish_system
    publish_system(people.leader, tree.d)
    draft = system_draft_start(district=tree.d, actor=people.leader)
    client = login(people.leader)
    with CaptureQueriesContext(connection) as few:
        page(client, "/programme/indicators/")
    for n in range(5):
        indicator_save(
            system=draft,
            actor=people.leader,
            code=f"extra-{n}",
            group="infrastructure",
            name_zh=f"新增{n}",
            name_en="",
            weight=0,
            target="1",
            direction="higher",
            source="reported",
            computation="",
            unit="",
        )
    with CaptureQueriesContext(connection) as many:
        assert page(client, "/programme/indicators/").count("/remove/") == 9
    assert len(many.captured_queries) == len(few.captured_queries)
    text = page(client, "/programme/indicators/draft/add/")
    assert 'value="on_time"' in text and "Test on_time" in text
