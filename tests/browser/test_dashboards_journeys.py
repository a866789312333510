"""The dashboards in a real browser on a phone-sized screen: a district leader, a subdistrict
officer and a department officer each sign in and see their own figures; a resident sees none."""

import pytest
from django.utils import timezone

from dashboards.services import summaries_rebuild
from dashboards.tests.generate import generate, world
from services.models import ServiceRequest
from tests.browser.test_phone_journeys import fits_the_screen, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def requests(tree, orgs, catalogue, people, make_user):
    w = world(tree=tree, orgs=orgs, catalogue=catalogue, people=people, make_user=make_user)
    made = generate(w, n=16, now=timezone.now(), max_days_ago=20)
    summaries_rebuild()
    return made


def _new_requests_shown(page) -> int:
    return int(page.locator(".kpi .value").first.inner_text())


def sign_out(page):
    page.click("form[action='/accounts/logout/'] button")
    page.wait_for_load_state()


def test_each_official_sees_their_own_figures(phone, people, tree, orgs, requests):
    everything = ServiceRequest.objects.count()
    in_s1 = ServiceRequest.objects.filter(grid__path__startswith=tree.s1.path).count()
    by_department = ServiceRequest.objects.filter(handling_organisation=orgs.dept).count()
    assert len({everything, in_s1, by_department}) == 3, "the data must tell the three apart"

    sign_in(phone, people.leader.username)  # lands on the dashboard
    assert phone.url.endswith("/dashboards/")
    assert "数据看板" in phone.title()  # "Dashboards"
    assert _new_requests_shown(phone) == everything
    areas = phone.locator("#table-areas tbody th").all_inner_texts()
    assert areas == [tree.s1.name_zh, tree.s2.name_zh]
    # The chart is drawn by the vendored Chart.js next to its table.
    phone.wait_for_function("document.querySelector('canvas[data-chart]').width > 0")
    assert fits_the_screen(phone)
    # Drill down into a subdistrict, then to the requests behind its "new" figure.
    phone.click(f"#table-areas a:has-text('{tree.s1.name_zh}')")
    phone.wait_for_load_state()
    assert _new_requests_shown(phone) == in_s1
    phone.click(".kpi >> nth=0")
    phone.wait_for_load_state()
    assert phone.locator("#table-requests tbody tr").count() == in_s1
    sign_out(phone)

    sign_in(phone, people.subdistrict.username)
    assert _new_requests_shown(phone) == in_s1
    assert tree.s2.name_zh not in phone.locator("main").inner_text()
    sign_out(phone)

    sign_in(phone, people.dept.username)  # lands on the workbench; the dashboard is in the menu
    phone.click("nav.nav a[href='/dashboards/']")
    phone.wait_for_load_state()
    assert _new_requests_shown(phone) == by_department
    assert fits_the_screen(phone)
    sign_out(phone)

    sign_in(phone, people.resident.username)
    assert phone.locator("nav.nav a[href='/dashboards/']").count() == 0
    response = phone.goto("/dashboards/")
    assert response.status == 403


def test_the_command_centre_screen_refreshes_itself(phone, people, requests):
    sign_in(phone, people.leader.username)
    phone.goto("/dashboards/screen/")
    # A script that can be paused reloads it (tests/browser/test_command_centre_screen.py), not a meta refresh.
    assert phone.locator("meta[http-equiv=refresh]").count() == 0
    assert phone.locator("[data-auto-refresh]").get_attribute("data-auto-refresh") == "60"
    assert phone.get_by_role("button", name="暂停自动刷新").is_visible()  # "pause the automatic refresh"
    assert int(phone.locator(".screen-kpis .value").nth(2).inner_text()) == ServiceRequest.objects.count()


def test_the_participation_page_fits_a_phone(phone, people, tree, make_user):
    from dashboards.tests.participation_world import build_world

    build_world(tree=tree, people=people, make_user=make_user)
    sign_in(phone, people.subdistrict.username)
    phone.click(".dash-tabs a[href^='/dashboards/participation/']")
    phone.wait_for_load_state()
    assert phone.url.split("?")[0].endswith("/dashboards/participation/")
    assert int(phone.locator(".kpi .value").first.inner_text()) == 4  # C1's verified residents
    assert phone.locator("#table-participation-communities tbody th").all_inner_texts() == [tree.c1.name_zh]
    assert fits_the_screen(phone)
    # The big figures stay readable on the phone.
    assert phone.evaluate("parseFloat(getComputedStyle(document.querySelector('.kpi .label')).fontSize)") >= 16
