"""Sessions end after a time without activity: 30 minutes for staff, 14 days for residents
(finding 9, the session half). Time travels by moving the session's last activity back."""

import time

import pytest
from django.contrib.sessions.backends.db import SessionStore

from security.models import AuditEvent, Role, User
from security.session_idle import LAST_ACTIVITY_KEY

pytestmark = pytest.mark.django_db

MINUTE = 60
DAY = 24 * 60 * MINUTE


def idle_for(client, seconds: int) -> None:
    """Pretend the signed-in user did nothing for `seconds`."""
    session = SessionStore(session_key=client.cookies["sessionid"].value)
    session[LAST_ACTIVITY_KEY] = int(time.time()) - seconds
    session.save()


def active(client) -> None:
    response = client.get("/notifications/")
    # Staff who must still enrol a second factor (security.mfa) are sent there, signed in.
    assert response.status_code == 200 or response.url.startswith("/accounts/2fa/"), response
    assert "_auth_user_id" in client.session


def sent_to_sign_in(client) -> bool:
    response = client.get("/notifications/")
    return response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_a_staff_session_ends_after_thirty_idle_minutes(client, people):
    client.force_login(people.worker)
    active(client)
    idle_for(client, 29 * MINUTE)
    active(client)  # still in, and this counts as activity again
    idle_for(client, 31 * MINUTE)
    response = client.get("/requests/workbench/?status=open")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=%2Frequests%2Fworkbench%2F%3Fstatus%3Dopen"
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="auth.session_expired")
    assert event.actor == people.worker
    assert event.details == {"idle_minutes": 31, "limit_minutes": 30}
    # Not recorded as a sign-out the user made.
    assert not AuditEvent.objects.filter(action="auth.sign_out").exists()


def test_activity_keeps_a_staff_session_alive(client, people):
    client.force_login(people.community)
    active(client)
    for _ in range(3):
        idle_for(client, 25 * MINUTE)
        active(client)
    assert "_auth_user_id" in client.session


def test_a_residents_session_lasts_fourteen_idle_days(client, people):
    client.force_login(people.resident)
    active(client)
    idle_for(client, 13 * DAY)
    active(client)
    idle_for(client, 14 * DAY + MINUTE)
    assert sent_to_sign_in(client)
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("role", [Role.PARTNER_OPERATOR, Role.AUDITOR, Role.DISTRICT_LEADER])
def test_every_role_but_resident_is_staff(client, tree, orgs, make_user, role):
    area = tree.s1 if role == Role.PARTNER_OPERATOR else tree.d
    user = make_user(role, area, orgs.partner if role == Role.PARTNER_OPERATOR else None)
    client.force_login(user)
    active(client)
    idle_for(client, 31 * MINUTE)
    assert sent_to_sign_in(client)


def test_django_staff_without_a_role_is_staff(client, make_user):
    user = make_user()
    User.objects.filter(pk=user.pk).update(is_staff=True)
    client.force_login(user)
    active(client)
    idle_for(client, 31 * MINUTE)
    assert sent_to_sign_in(client)


def test_a_form_sent_after_the_end_returns_to_the_page_that_held_it(client, people):
    client.force_login(people.worker)
    active(client)
    idle_for(client, 40 * MINUTE)
    response = client.post(
        "/requests/SQ-1/accept/", {"note": "x"}, HTTP_REFERER="http://testserver/requests/SQ-1/?tab=notes"
    )
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=%2Frequests%2FSQ-1%2F%3Ftab%3Dnotes"


def test_the_status_endpoint_tells_the_time_left_without_counting_as_activity(client, people):
    client.force_login(people.worker)
    active(client)
    idle_for(client, 20 * MINUTE)
    status = client.get("/security/session/", HTTP_ACCEPT="application/json").json()
    assert status["signed_in"] is True
    assert 9 * MINUTE < status["seconds_left"] <= 10 * MINUTE
    # Asking again: still about ten minutes, the question did not reset the clock.
    assert client.get("/security/session/").json()["seconds_left"] <= 10 * MINUTE
    # "Continue": the clock starts again.
    status = client.post("/security/session/").json()
    assert status["seconds_left"] > 29 * MINUTE
    idle_for(client, 31 * MINUTE)
    expired = client.get("/security/session/")
    assert expired.status_code == 401
    assert expired.json() == {"signed_in": False, "seconds_left": 0}


def test_the_status_endpoint_for_an_anonymous_visitor(client):
    assert client.get("/security/session/").status_code == 401
    assert client.post("/security/session/").status_code in (401, 403)


def test_staff_pages_carry_the_warning_and_residents_pages_do_not(client, people):
    client.force_login(people.worker)
    page = client.get("/notifications/").content.decode()
    assert 'id="session-timeout"' in page
    assert 'data-idle-seconds="1800"' in page
    assert "security/session_timeout.js" in page
    client.force_login(people.resident)
    assert 'id="session-timeout"' not in client.get("/notifications/").content.decode()
