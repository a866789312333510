"""A staff session's end in a real browser: the page warns before it and "continue" keeps it, and
what a form held comes back after signing in again (issue 15, finding 9's session half)."""

import time

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from security.models import Role
from security.session_idle import LAST_ACTIVITY_KEY
from tests.factories import PASSWORD, totp_code

pytestmark = pytest.mark.django_db(transaction=True)

UNLOCK = "/security/sign-in-unlock/"


@pytest.fixture
def staff_page(browser, live_server, tree, make_user):
    """A community staff member's page, signed in with a session cookie made for them."""
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    client = Client()
    client.force_login(staff)
    session_key = client.cookies["sessionid"].value
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, locale="zh-CN", base_url=live_server.url
    )
    context.add_cookies([{"name": "sessionid", "value": session_key, "url": live_server.url}])
    page = context.new_page()
    page.staff = staff
    page.session_key = session_key
    yield page
    context.close()


def test_the_page_warns_before_the_end_and_continue_keeps_the_session(staff_page, settings):
    # Two minutes of warning out of 2 min 5 s: the dialog comes about five seconds after loading.
    settings.SESSION_IDLE_STAFF_SECONDS = 125
    page = staff_page
    page.goto(UNLOCK)
    dialog = page.locator("dialog#session-timeout")
    assert not dialog.is_visible()
    dialog.wait_for(state="visible", timeout=30_000)
    countdown = dialog.locator("[data-countdown]").inner_text()
    minutes, seconds = (int(part) for part in countdown.split(":"))
    assert 100 <= minutes * 60 + seconds <= 125
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    before = SessionStore(session_key=page.session_key)[LAST_ACTIVITY_KEY]
    time.sleep(1.1)
    dialog.locator("button[data-continue]").click()
    dialog.wait_for(state="hidden")
    deadline = time.monotonic() + 5
    while SessionStore(session_key=page.session_key)[LAST_ACTIVITY_KEY] <= before and time.monotonic() < deadline:
        time.sleep(0.1)  # the keep-alive is posted as the dialog closes
    assert SessionStore(session_key=page.session_key)[LAST_ACTIVITY_KEY] > before
    assert page.url.endswith(UNLOCK)  # no navigation: nothing on the page was lost


def test_what_a_form_held_comes_back_after_signing_in_again(staff_page):
    page = staff_page
    page.goto(UNLOCK)
    page.fill("input[name=login]", "laowang")
    page.fill("textarea[name=reason]", "本人来电，已核实身份")

    # Time travel: the session has been idle for 31 minutes.
    session = SessionStore(session_key=page.session_key)
    session[LAST_ACTIVITY_KEY] = int(time.time()) - 31 * 60
    session.save()
    page.reload()
    page.wait_for_load_state()
    assert "/accounts/login/?next=" in page.url

    page.fill("input[name=login]", page.staff.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action^='/accounts/login/'] button[type=submit]")
    page.wait_for_load_state()
    if page.url.endswith("/accounts/2fa/authenticate/"):
        page.fill("input[name=code]", totp_code())
        page.click("form[action='/accounts/2fa/authenticate/'] button[type=submit]:not([form])")
        page.wait_for_load_state()
    assert page.url.endswith(UNLOCK)
    assert page.input_value("input[name=login]") == "laowang"
    assert page.input_value("textarea[name=reason]") == "本人来电，已核实身份"
    # Put back once; the kept copy is gone and no password was ever kept.
    kept = page.evaluate("window.sessionStorage.getItem('portal.unsentForms')")
    assert "laowang" not in kept
    assert PASSWORD not in kept


def test_nothing_is_restored_for_another_user_in_the_same_tab(staff_page, tree, make_user):
    page = staff_page
    page.goto(UNLOCK)
    page.fill("textarea[name=reason]", "前一位工作人员填写的内容")
    session = SessionStore(session_key=page.session_key)
    session[LAST_ACTIVITY_KEY] = int(time.time()) - 31 * 60
    session.save()
    page.reload()
    page.wait_for_load_state()

    colleague = make_user(Role.COMMUNITY_STAFF, tree.c1)
    page.fill("input[name=login]", colleague.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action^='/accounts/login/'] button[type=submit]")
    page.wait_for_load_state()
    if page.url.endswith("/accounts/2fa/authenticate/"):
        page.fill("input[name=code]", totp_code())
        page.click("form[action='/accounts/2fa/authenticate/'] button[type=submit]:not([form])")
        page.wait_for_load_state()
    assert page.url.endswith(UNLOCK)
    assert page.input_value("textarea[name=reason]") == ""
