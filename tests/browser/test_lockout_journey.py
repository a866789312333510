"""A locked-out owner gets back in (issue 15, finding 10): an attacker's wrong passwords lock a
resident's account, the right password no longer opens it, and the owner resets the password by
e-mail and signs in, on a phone-sized screen."""

import re

import pytest
from django.core import mail

from security.models import AuditEvent, Role
from security.sign_in_protection import sign_in_is_locked
from tests.browser.test_phone_journeys import fits_the_screen
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

ACCOUNT_LIMIT = 10
NEW_PASSWORD = "a-new-pass-phrase-after-the-attack"


def try_password(page, login, password):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_load_state()


def test_an_attacker_locks_an_account_and_the_owner_gets_back_in_by_e_mail(browser, live_server, tree, make_user):
    owner = make_user(Role.RESIDENT, tree.g1, username="laozhou")
    attacker = browser.new_context(base_url=live_server.url, locale="zh-CN")
    owner_phone = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, locale="zh-CN", base_url=live_server.url
    )
    try:
        guessing = attacker.new_page()
        for number in range(ACCOUNT_LIMIT + 2):
            try_password(guessing, owner.username, f"guess-{number}")
        assert sign_in_is_locked(user=owner)
        assert AuditEvent.objects.filter(action="auth.sign_in_throttled", details__login="laozhou").exists()

        page = owner_phone.new_page()
        try_password(page, owner.username, PASSWORD)
        # The right password is refused, and the message says how to get back in.
        assert page.url.endswith("/accounts/login/")
        message = page.locator(".errorlist, .errors, [role=alert]").first.inner_text()
        assert "重置密码" in message or "reset your password" in message
        assert fits_the_screen(page)

        page.click("a[href='/accounts/password/reset/']")
        page.wait_for_load_state()
        page.fill("input[name=email]", owner.email)
        page.click("form[action='/accounts/password/reset/'] button[type=submit]")
        page.wait_for_load_state()
        assert len(mail.outbox) == 1 and mail.outbox[0].to == [owner.email]
        link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[0].body).group(1)

        page.goto(link)
        page.wait_for_load_state()
        page.fill("input[name=password1]", NEW_PASSWORD)
        page.fill("input[name=password2]", NEW_PASSWORD)
        page.click("form[action$='-set-password/'] button[name=action]")
        page.wait_for_load_state()
        assert not sign_in_is_locked(user=owner)

        try_password(page, owner.username, NEW_PASSWORD)
        assert page.url.endswith("/requests/mine/")
        assert AuditEvent.objects.filter(
            action="auth.password_reset", object_id=str(owner.pk), details__sign_in_unlocked=True
        ).exists()
        # The attacker's old guesses, and the old password, stay useless.
        try_password(guessing, owner.username, PASSWORD)
        assert guessing.url.endswith("/accounts/login/")
    finally:
        attacker.close()
        owner_phone.close()
