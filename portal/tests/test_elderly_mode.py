"""长辈模式 (elderly mode): the switch, where the choice is remembered, and the home page's large buttons."""

import pytest

from portal.display_mode import COOKIE_NAME
from security.models import DisplayPreference, Role
from tests.factories import PASSWORD, HouseholdFactory, ResidentFactory
from workforce.tests.helpers import profile

pytestmark = pytest.mark.django_db

ELDERLY_HTML = '<html lang="zh-hans" class="elderly">'
STANDARD_HTML = '<html lang="zh-hans">'


def test_anonymous_switch_sets_a_long_lived_cookie_only(client):
    response = client.post("/display-mode/", {"mode": "elderly", "next": "/requests/public/"})
    assert response.status_code == 302
    assert response["Location"] == "/requests/public/"
    cookie = response.cookies[COOKIE_NAME]
    assert cookie.value == "elderly"
    assert cookie["max-age"] >= 365 * 24 * 3600
    assert cookie["httponly"]
    assert not DisplayPreference.objects.exists()
    page = client.get("/").content.decode()
    assert ELDERLY_HTML in page
    assert "portal/elderly.css" in page
    assert 'name="mode" value="standard"' in page  # the switch offers the way back

    client.post("/display-mode/", {"mode": "standard", "next": "/"})
    page = client.get("/").content.decode()
    assert STANDARD_HTML in page
    assert "portal/elderly.css" not in page


def test_standard_mode_is_the_default_and_the_switch_is_on_every_page(client):
    for url in ("/", "/requests/public/", "/notices/"):
        page = client.get(url).content.decode()
        assert STANDARD_HTML in page
        assert 'action="/display-mode/"' in page
        assert 'name="mode" value="elderly"' in page


def test_the_switch_needs_a_csrf_token(tree):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post("/display-mode/", {"mode": "elderly", "next": "/"})
    assert response.status_code == 403
    assert COOKIE_NAME not in response.cookies


def test_a_get_changes_nothing(client):
    response = client.get("/display-mode/?mode=elderly")
    assert response.status_code == 405
    assert COOKIE_NAME not in response.cookies


@pytest.mark.parametrize("mode", ["", "big", "ELDERLY", "1"])
def test_bad_input_changes_nothing_and_says_why(client, make_user, tree, login, mode):
    resident = make_user(Role.RESIDENT, tree.g1)
    login(resident)
    response = client.post("/display-mode/", {"mode": mode, "next": "/"}, follow=True)
    assert response.status_code == 200
    assert COOKIE_NAME not in client.cookies
    assert not DisplayPreference.objects.exists()
    assert STANDARD_HTML in response.content.decode()
    english = client.post("/display-mode/", {"mode": mode, "next": "/"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "Choose elderly mode or standard mode." in english.content.decode()
    assert not DisplayPreference.objects.exists()


def test_a_foreign_next_goes_home(client):
    response = client.post("/display-mode/", {"mode": "elderly", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_a_signed_in_choice_is_stored_on_the_account_and_followed_on_another_device(client, make_user, tree, login):
    resident = make_user(Role.RESIDENT, tree.g1)
    login(resident)
    response = client.post("/display-mode/", {"mode": "elderly", "next": "/"})
    assert response.cookies[COOKIE_NAME].value == "elderly"
    assert DisplayPreference.objects.get(user=resident).elderly is True
    assert ELDERLY_HTML in client.get("/").content.decode()

    # Another device: no cookie, and even a cookie saying standard — the account's choice wins.
    from django.test import Client

    phone = Client()
    phone.cookies[COOKIE_NAME] = "standard"
    assert STANDARD_HTML in phone.get("/").content.decode()
    assert phone.login(username=resident.username, password=PASSWORD)
    assert ELDERLY_HTML in phone.get("/").content.decode()

    # Back to standard on the phone: stored on the account too.
    phone.post("/display-mode/", {"mode": "standard", "next": "/"})
    assert DisplayPreference.objects.get(user=resident).elderly is False
    assert STANDARD_HTML in phone.get("/").content.decode()


def test_without_an_account_choice_the_device_choice_applies(client, make_user, tree):
    resident = make_user(Role.RESIDENT, tree.g1)
    client.cookies[COOKIE_NAME] = "elderly"
    assert client.login(username=resident.username, password=PASSWORD)
    assert ELDERLY_HTML in client.get("/").content.decode()


def test_one_residents_choice_does_not_change_anothers(client, make_user, tree, login):
    alice = make_user(Role.RESIDENT, tree.g1)
    bob = make_user(Role.RESIDENT, tree.g2)
    login(alice)
    client.post("/display-mode/", {"mode": "elderly", "next": "/"})
    client.logout()
    client.cookies.pop(COOKIE_NAME, None)

    assert client.login(username=bob.username, password=PASSWORD)
    assert STANDARD_HTML in client.get("/").content.decode()
    assert not DisplayPreference.objects.filter(user=bob).exists()
    assert DisplayPreference.objects.get(user=alice).elderly is True


def test_pages_read_the_mode_without_a_query(client, make_user, tree, login):
    """The account's choice is read at sign-in, so the switch adds no query to any page."""
    resident = make_user(Role.RESIDENT, tree.g1)
    login(resident)
    client.get("/notices/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as standard:
        client.get("/notices/")
    client.post("/display-mode/", {"mode": "elderly", "next": "/"})
    with CaptureQueriesContext(connection) as elderly:
        page = client.get("/notices/").content.decode()
    assert ELDERLY_HTML in page
    assert len(elderly) == len(standard)
    assert not any("display_preference" in q["sql"] for q in elderly.captured_queries)


# --- the home page's large buttons ---------------------------------------------------------------------
def _big_actions(page: str) -> str:
    start = page.index('class="big-actions"')
    return page[start : page.index("</ul>", start)]


def test_a_resident_sees_the_four_large_buttons_with_their_grid_workers_phone(client, make_user, tree, login):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    profile(worker, work_phone="08172223333")
    resident = make_user(Role.RESIDENT, tree.g1)
    ResidentFactory(household=HouseholdFactory(grid=tree.g1), user=resident)
    login(resident)
    buttons = _big_actions(client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert 'href="/requests/new/">Report a problem' in buttons
    assert 'href="/requests/mine/">My requests' in buttons
    assert 'href="/notices/">Notices' in buttons
    assert 'href="tel:08172223333">Contact my grid worker' in buttons


def test_no_call_button_without_a_work_phone(client, make_user, tree, login):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    profile(worker)  # no work phone
    resident = make_user(Role.RESIDENT, tree.g1)
    ResidentFactory(household=HouseholdFactory(grid=tree.g1), user=resident)
    login(resident)
    buttons = _big_actions(client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "Report a problem" in buttons
    assert "tel:" not in buttons
    assert "Contact my grid worker" not in buttons


def test_another_grids_worker_is_not_offered(client, make_user, tree, login):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    profile(worker, work_phone="08172223333")
    resident = make_user(Role.RESIDENT, tree.g2)
    ResidentFactory(household=HouseholdFactory(grid=tree.g2), user=resident)
    login(resident)
    assert "08172223333" not in client.get("/").content.decode()


def test_visitors_are_led_to_sign_in_first(client):
    buttons = _big_actions(client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert 'href="/accounts/login/?next=/requests/new/">Report a problem' in buttons
    assert 'href="/accounts/login/?next=/requests/mine/">My requests' in buttons
    assert "tel:" not in buttons


def test_staff_do_not_get_the_residents_buttons(client, make_user, tree, login):
    login(make_user(Role.COMMUNITY_STAFF, tree.c1))
    assert 'class="big-actions"' not in client.get("/").content.decode()


def test_english_labels(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Report a problem" in page
    assert "Elderly mode" in page
