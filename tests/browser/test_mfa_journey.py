"""Two-step verification in a real browser on a phone-sized screen: an official's first sign-in
sends them to enrolment, they set up an authenticator app from the secret the page shows, and
their next sign-in asks for its code."""

import pytest

from security.mfa import mfa_enrolled
from security.models import AuditEvent, Role
from tests.browser.test_phone_journeys import fits_the_screen, sign_in
from tests.factories import PASSWORD, totp_code

pytestmark = pytest.mark.django_db(transaction=True)

ENROL = "/accounts/2fa/totp/activate/"


def test_an_official_enrols_at_first_sign_in_and_signs_in_with_a_code(phone, tree, make_user):
    official = make_user(Role.SUBDISTRICT_OFFICER, tree.s1, mfa=False)
    console = []
    phone.on("console", lambda message: console.append(message.text))

    sign_in(phone, official.username)
    assert phone.url.endswith(ENROL)  # sent to enrolment, not to the dashboards
    phone.goto("/dashboards/")
    assert phone.url.endswith(ENROL)  # ...and no staff page opens before it
    assert phone.locator(".mfa-qr svg").is_visible()
    assert fits_the_screen(phone)
    secret = phone.input_value("#authenticator_secret")
    assert len(secret) == 32

    phone.fill("input[name=code]", "000000" if totp_code(secret) != "000000" else "111111")
    phone.click(f"form[action='{ENROL}'] button[type=submit]")
    phone.wait_for_load_state()
    assert phone.url.endswith(ENROL) and not mfa_enrolled(official)
    assert phone.locator(".errorlist").count() == 1

    phone.fill("input[name=code]", totp_code(secret))
    phone.click(f"form[action='{ENROL}'] button[type=submit]")
    phone.wait_for_load_state()
    assert phone.url.endswith("/accounts/2fa/recovery-codes/")
    assert phone.locator(".mfa-codes li").count() == 10  # recovery codes, shown once enrolled
    assert fits_the_screen(phone)
    phone.click("main a[href='/start/']")
    phone.wait_for_load_state()
    assert phone.url.endswith("/dashboards/")
    assert AuditEvent.objects.filter(action="mfa.enrol", actor=official, details__type="totp").exists()

    phone.click("form[action='/accounts/logout/'] button")
    phone.wait_for_load_state()
    phone.goto("/accounts/login/")
    phone.fill("input[name=login]", official.username)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("form[action='/accounts/login/'] button[type=submit]")
    phone.wait_for_load_state()
    assert phone.url.endswith("/accounts/2fa/authenticate/")
    assert fits_the_screen(phone)
    # The code the app shows a moment later (the enrolment's code is not used up by enrolling).
    phone.fill("input[name=code]", totp_code(secret))
    phone.click("form[action='/accounts/2fa/authenticate/'] button[type=submit]:not([form])")
    phone.wait_for_load_state()
    assert phone.url.endswith("/dashboards/")
    assert not [line for line in console if "Content Security Policy" in line]
