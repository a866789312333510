"""On a 360 px phone: a resident signs up for a full event and is put on the waiting list; when the
person holding the place cancels, they move up and their page shows a large check-in code; the
community's staff check them in at the door with it."""

from datetime import timedelta

import pytest

from participation import events as steps
from participation.models import EventSignup, EventSignupStatus
from participation.tests.event_helpers import make_event, verified_resident
from security.models import Role
from tests.browser.test_phone_journeys import fits_the_screen, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_waiting_list_moves_up_and_staff_check_in_with_the_code(phone, tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    event = make_event(actor=staff, area=tree.c1, capacity=1, starts_in=timedelta(hours=2), title="楼道议事会")
    holder = verified_resident(grid=tree.g1, staff=staff)
    steps.event_signup(user=holder, event=event)
    resident = verified_resident(grid=tree.g1b, staff=staff)

    sign_in(phone, resident.username)
    phone.goto("/events/")
    assert fits_the_screen(phone)
    phone.click(f"a[href='/events/{event.public_id}/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.click(f"form[action='/events/{event.public_id}/signup/'] button[type=submit]")
    phone.wait_for_load_state()
    signup = EventSignup.objects.get(event=event, user=resident)
    assert signup.status == EventSignupStatus.WAITING
    assert phone.locator("#check-in-code").count() == 0
    assert fits_the_screen(phone)

    # The person holding the place cancels: the resident moves up by themselves.
    steps.event_signup_cancel(user=holder, event=event)
    phone.reload()
    code = phone.locator("#check-in-code")
    assert code.inner_text().strip() == signup.code
    assert phone.evaluate("parseFloat(getComputedStyle(document.getElementById('check-in-code')).fontSize)") >= 40
    assert fits_the_screen(phone)

    phone.context.clear_cookies()
    sign_in(phone, staff.username)
    phone.goto("/events/manage/")
    phone.click(f"a[href='/events/manage/{event.public_id}/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.fill("input[name=code]:not([type=hidden])", signup.code)
    phone.click(".event-checkin button[type=submit]")
    phone.wait_for_load_state()
    signup.refresh_from_db()
    assert signup.status == EventSignupStatus.ATTENDED and signup.checked_in_by == staff
    assert phone.locator("#attended-count").inner_text() == "1"
    assert fits_the_screen(phone)
