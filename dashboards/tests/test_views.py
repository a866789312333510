"""The dashboard pages: who sees what, drill-down, league tables, hot spots, request lists,
exports, the command-centre screen, bad input and query budgets."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from dashboards.services import summaries_rebuild
from dashboards.tests.generate import generate, world
from security.models import AuditEvent, Role
from services.models import OPEN_STATUSES, ServiceRequest

pytestmark = pytest.mark.django_db

PAGES = ("overview", "league", "hotspots", "requests", "screen")


@pytest.fixture
def data(tree, orgs, catalogue, people, make_user, residents):
    w = world(tree=tree, orgs=orgs, catalogue=catalogue, people=people, make_user=make_user)
    now = timezone.now()
    requests = generate(w, n=24, now=now, max_days_ago=25)
    # A caller's phone on one request, to check it is shown masked only.
    ServiceRequest.objects.filter(pk=requests[1].pk).update(
        contact_name="王秀英", contact_phone_masked="138****5678", contact_phone_encrypted="x"
    )
    summaries_rebuild(now=now)
    return w


def _total(client, url="/dashboards/", **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.context["page"].figures.total


def test_district_leader_sees_the_whole_district(client, login, people, data):
    login(people.leader)
    total = _total(client)
    assert total.new == ServiceRequest.objects.count()
    assert total.open == ServiceRequest.objects.filter(status__in=OPEN_STATUSES).count()


def test_subdistrict_officer_sees_only_their_subtree(client, login, people, tree, data):
    login(people.subdistrict)
    total = _total(client)
    assert total.new == ServiceRequest.objects.filter(grid__path__startswith=tree.s1.path).count()
    assert 0 < total.new < ServiceRequest.objects.count()
    # Another subdistrict's area: refused with a message, the officer's own figures instead.
    response = client.get("/dashboards/", {"area": tree.s2.pk})
    assert "该区域不在您的监管范围内。" in response.content.decode()  # "That area is not one you oversee."
    assert response.context["page"].filters.area_path == tree.s1.path


def test_department_officer_sees_the_requests_their_department_handles(client, login, people, orgs, data):
    login(people.dept)
    total = _total(client)
    assert total.new == ServiceRequest.objects.filter(handling_organisation=orgs.dept).count() > 0
    league = client.get("/dashboards/league/").context["tables"]
    departments = {row[0] for row in league[0].rows}
    assert departments == {orgs.dept.name_zh}


def test_drill_down_goes_from_district_to_grid(client, login, people, tree, data):
    login(people.leader)
    page = client.get("/dashboards/", {"area": tree.c1.pk}).content.decode()
    assert tree.g1.name_zh in page and tree.g1b.name_zh in page
    assert tree.g2.name_zh not in page
    response = client.get("/dashboards/", {"area": tree.d.pk})
    areas = next(t for t in response.context["tables"] if t.slug == "areas")
    assert [row[0] for row in areas.rows] == [tree.s1.name_zh, tree.s2.name_zh]
    assert sum(row[1] for row in areas.rows) == ServiceRequest.objects.count()
    # Each area leads one level down, and its numbers to the requests behind them.
    assert f"area={tree.s1.pk}" in areas.links[0][0]
    assert "/dashboards/requests/" in areas.links[0][1]


def test_request_list_behind_a_figure_is_scoped_and_masked(client, login, people, tree, data):
    login(people.subdistrict)
    response = client.get("/dashboards/requests/", {"figure": "new", "period": "90d"})
    page = response.content.decode()
    listed = response.context["page_obj"].paginator.count
    assert listed == ServiceRequest.objects.filter(grid__path__startswith=tree.s1.path).count()
    assert "王秀英" not in page
    assert "第1件诉求" not in page  # no free text
    overdue = client.get("/dashboards/requests/", {"figure": "overdue", "period": "90d"}).context["page_obj"]
    assert overdue.paginator.count == _total(client, period="90d").overdue > 0
    # The count (from the summaries) and the list (from the requests) agree, figure by figure.
    for figure in ("new", "open", "overdue", "closed", "rejected", "reopened", "late"):
        listed = client.get("/dashboards/requests/", {"figure": figure, "period": "90d"}).context["page_obj"]
        assert listed.paginator.count == listed.paginator.object_list.count(), figure


def test_exports_csv_and_xlsx_are_audited(client, login, people, data):
    login(people.leader)
    response = client.get(reverse("dashboards:export", args=["areas", "csv"]))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "区域" or rows[0][0] == "Area"
    assert len(rows) == 3
    response = client.get(reverse("dashboards:export", args=["departments", "xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row >= 2
    response = client.get(reverse("dashboards:export", args=["requests", "csv"]), {"period": "90d"})
    text = response.content.decode("utf-8-sig")
    assert "138****5678" in text and "王秀英" not in text
    assert len(text.strip().splitlines()) == ServiceRequest.objects.count() + 1
    events = AuditEvent.objects.filter(action="dashboards.export").order_by("id")
    assert [(e.details["table"], e.details["format"]) for e in events] == [
        ("areas", "csv"),
        ("departments", "xlsx"),
        ("requests", "csv"),
    ]
    assert client.get("/dashboards/export/nothing.csv").status_code == 404
    assert client.get("/dashboards/export/areas.pdf").status_code == 404


def test_every_page_renders_with_charts_and_tables(client, login, people, data):
    login(people.leader)
    for name in PAGES:
        response = client.get(reverse(f"dashboards:{name}"), {"period": "7d"})
        assert response.status_code == 200, name
    page = client.get("/dashboards/").content.decode()
    assert "vendor/chartjs/chart.umd.min.js" in page
    assert 'data-chart="chart-series"' in page and "<table>" in page
    # The series has a step for every day (week, month) of the period, empty ones as zero.
    for period, steps in (("7d", {7}), ("90d", {13, 14}), ("1y", {12, 13})):
        response = client.get("/dashboards/", {"period": period})
        series = next(t for t in response.context["tables"] if t.slug == "series")
        assert len(series.rows) in steps, period
        assert sum(row[1] for row in series.rows) == response.context["page"].figures.total.new > 0
    # The screen reloads itself every minute with a script that can be paused (a meta refresh cannot:
    # axe's critical finding), and without scripts offers a link that refreshes it.
    screen = client.get("/dashboards/screen/", {"period": "7d"}).content.decode()
    assert 'http-equiv="refresh"' not in screen
    assert 'data-auto-refresh="60"' in screen and "portal/auto_refresh.js" in screen
    assert 'href="/dashboards/screen/?period=7d">立即刷新</a>' in screen  # "refresh now"


def test_hot_spots_rank_grids(client, login, people, tree, residents, data):
    login(people.leader)
    response = client.get("/dashboards/hotspots/", {"period": "90d"})
    by_household, by_overdue = response.context["tables"]
    names = {row[0] for row in by_household.rows}
    assert names == {tree.g1.name_zh, tree.g1b.name_zh, tree.g2.name_zh}
    ratios = [row[3] for row in by_household.rows]
    assert ratios == sorted(ratios, reverse=True)
    shares = [row[3] for row in by_overdue.rows]
    assert shares == sorted(shares, reverse=True)


def test_bad_filters_get_a_message_and_the_defaults(client, login, people, data):
    login(people.leader)
    today = timezone.localdate()
    for params in (
        {"period": "custom", "start": today.isoformat(), "end": (today - timedelta(days=3)).isoformat()},
        {"period": "custom", "start": "2020-01-01", "end": (today + timedelta(days=1)).isoformat()},
        {"period": "forever"},
        {"area": "999999"},
        {"organisation": "abc"},
    ):
        response = client.get("/dashboards/", params)
        assert response.status_code == 200
        assert response.context["page"].form.errors, params
        assert response.context["page"].filters.days == 30, params


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.PARTNER_OPERATOR])
def test_outsiders_get_nothing(client, login, make_user, tree, orgs, data, role):
    organisation = orgs.partner if role == Role.PARTNER_OPERATOR else None
    area = {Role.RESIDENT: tree.g1, Role.GRID_WORKER: tree.g1, Role.COMMUNITY_STAFF: tree.c1}.get(role, tree.s1)
    login(make_user(role, area, organisation))
    for name in PAGES:
        assert client.get(reverse(f"dashboards:{name}")).status_code == 403, name
    assert client.get(reverse("dashboards:export", args=["areas", "csv"])).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, data):
    for name in (*PAGES, "scorecard"):
        assert client.get(reverse(f"dashboards:{name}"))["Location"].startswith("/accounts/login/")


def test_partner_sees_only_their_own_scorecard(client, login, people, orgs, data):
    login(people.partner)
    response = client.get("/dashboards/scorecard/", {"period": "90d"})
    assert response.status_code == 200
    total = response.context["page"].figures.total
    assert total.new == ServiceRequest.objects.filter(handling_organisation=orgs.partner).count() > 0
    # Asking for another organisation's figures changes nothing: the scope is the partner's own.
    other = client.get("/dashboards/scorecard/", {"period": "90d", "organisation": orgs.partner_other.pk})
    assert other.context["page"].figures.total.new in (0, total.new)
    assert other.context["page"].form.errors
    login(people.leader)
    assert client.get("/dashboards/scorecard/").status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_query_budget_does_not_grow_with_the_data(
    client, login, people, tree, data, name, django_assert_max_num_queries
):
    login(people.leader)
    url = reverse(f"dashboards:{name}")
    with django_assert_max_num_queries(18) as counted:
        client.get(url, {"period": "90d"})
    generate(data, n=6, now=timezone.now(), max_days_ago=20, seed=9)
    summaries_rebuild()
    with django_assert_max_num_queries(len(counted.captured_queries)):
        client.get(url, {"period": "90d"})


def test_household_and_resident_counts_roll_up_and_stay_in_scope(client, login, make_user, tree, residents):
    from residents.models import ResidentProfile

    ResidentProfile.objects.filter(pk=residents.r1.pk).update(is_elderly=True, lives_alone=True)
    login(make_user(Role.SUBDISTRICT_OFFICER, tree.s1))
    areas = next(t for t in client.get("/dashboards/").context["tables"] if t.slug == "areas")
    assert [(row[0], *row[-3:]) for row in areas.rows] == [(tree.c1.name_zh, 2, 2, 1)]
    login(make_user(Role.DISTRICT_LEADER, tree.d))
    areas = next(t for t in client.get("/dashboards/").context["tables"] if t.slug == "areas")
    assert {(row[0], row[-2]) for row in areas.rows} == {(tree.s1.name_zh, 2), (tree.s2.name_zh, 1)}


def _selected_periods(content: bytes) -> list[str]:
    import re

    select = re.search(r'<select name="period"[^>]*>(.*?)</select>', content.decode(), re.S).group(1)
    return re.findall(r'<option value="([^"]*)" selected>', select)


def test_the_period_chooser_shows_the_period_the_figures_cover(client, login, people, tree, data):
    """The chooser once read "last 7 days" (the first option, nothing being selected) above the
    30 days' figures: on a page opened without filters, on a drill-down link (an area and no
    period), and whenever the filters were not valid and the defaults were shown."""
    login(people.leader)
    for params in ({}, {"area": tree.s1.pk}, {"period": "forever"}, {"area": "999999", "period": "7d"}):
        response = client.get("/dashboards/", params)
        assert response.context["page"].filters.days == 30, params
        assert _selected_periods(response.content) == ["30d"], params
    # A chosen period stays chosen, and drilling down keeps it.
    response = client.get("/dashboards/", {"period": "90d"})
    assert _selected_periods(response.content) == ["90d"]
    drill = next(t for t in response.context["tables"] if t.slug == "areas").links[0][0]
    assert "period=90d" in drill
    assert _selected_periods(client.get(drill).content) == ["90d"]


def test_the_open_column_means_requests_still_open(client, login, people, data):
    """The "Open" column counts the requests not yet closed: it once read "查看" (view, the inbox
    button's word) in the area, service, league, hot-spot and command-centre tables."""
    import re

    login(people.leader)
    for url in ("/dashboards/", "/dashboards/league/", "/dashboards/hotspots/", "/dashboards/screen/"):
        page = client.get(url).content.decode()
        headers = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', page)
        assert "未办结" in headers, url
        assert "查看" not in headers, url
    response = client.get("/dashboards/")
    for slug in ("areas", "services", "series"):
        table = next(t for t in response.context["tables"] if t.slug == slug)
        assert "未办结" in [str(column.label) for column in table.columns], slug
    # The export says the same; English keeps "Open".
    header = client.get(reverse("dashboards:export", args=["areas", "csv"])).content.decode("utf-8-sig").splitlines()[0]
    assert "未办结" in header.split(",")
    english = client.get("/dashboards/hotspots/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<th scope="col" class="num">Open</th>' in english


def test_page_titles_speak_the_reader_s_language(client, login, people, data):
    """The titles were translated once, when the module was imported, so a page's title was in
    whichever language was active then: "Dashboard · 顺庆智慧社区" on a Chinese page."""
    login(people.leader)
    for url, chinese, english in (
        ("/dashboards/", "数据看板", "Dashboard"),
        ("/dashboards/hotspots/", "热点", "Hot spots"),
    ):
        assert f"<title>{chinese} · " in client.get(url).content.decode(), url
        assert f"<title>{english} · " in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode(), url


def test_the_ranking_chooser_shows_the_ranking_used(client, login, people, tree, data):
    """Filters that were not valid rank the communities by the default; the chooser showed the
    ranking asked for all the same."""
    import re

    login(people.leader)
    response = client.get("/dashboards/participation/", {"rank": "proposals", "area": "999999"})
    assert response.context["page"].form.ranking() == "rate"
    select = re.search(r'<select name="rank"[^>]*>(.*?)</select>', response.content.decode(), re.S).group(1)
    assert re.findall(r'<option value="([^"]*)" selected>', select) == ["rate"]
    assert _selected_periods(response.content) == ["30d"]
    chosen = client.get("/dashboards/participation/", {"rank": "proposals"}).content.decode()
    assert '<option value="proposals" selected>' in chosen
