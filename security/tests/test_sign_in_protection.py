"""Sign-in limits per address and per account, everywhere including the admin (finding 2), and the
owner's ways back in so an attacker cannot lock them out (finding 10)."""

import os
import re
import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail

from security.mfa import mfa_totp_enrol
from security.models import AuditEvent, Role
from security.sign_in_protection import sign_in_is_locked, sign_in_unlock
from tests.factories import PASSWORD, STAFF_TOTP_SECRET

pytestmark = pytest.mark.django_db

ACCOUNT_LIMIT = 10  # ACCOUNT_RATE_LIMITS["login_failed"]'s per-account part


def sign_in(client, login, password, **extra):
    return client.post("/accounts/login/", {"login": login, "password": password}, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def admin_user(make_user):
    user = make_user(username="siteadmin")
    user.is_staff = True
    user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    mfa_totp_enrol(user=user, secret=STAFF_TOTP_SECRET)
    return user


def test_admin_login_goes_through_the_portal_sign_in_keeping_next(client):
    response = client.get("/admin/login/?next=/admin/security/user/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=%2Fadmin%2Fsecurity%2Fuser%2F"
    # The admin's own pages send an anonymous visitor the same way.
    first = client.get("/admin/")
    assert first.url.startswith("/admin/login/")
    assert client.get(first.url).url.startswith("/accounts/login/?next=")


def test_admin_login_refuses_a_next_on_another_site(client):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response.url == "/accounts/login/?next=%2Fadmin%2F"


def test_thirty_wrong_passwords_then_the_right_one_is_refused_on_the_admin_sign_in(client, admin_user):
    """Finding 2: today all 31 are accepted on /admin/login/."""
    login_page = client.get("/admin/login/?next=/admin/").url
    for _ in range(30):
        response = client.post(login_page, {"login": admin_user.username, "password": "wrong-guess"})
        assert response.status_code == 200
    response = client.post(login_page, {"login": admin_user.username, "password": PASSWORD})
    assert not signed_in(client)
    assert "reset your password" in str(response.context["form"].errors) or "重置" in response.content.decode()
    assert client.get("/admin/").status_code == 302
    # The address was never the limit here: the account's was.
    throttled = AuditEvent.objects.filter(action="auth.sign_in_throttled")
    assert throttled.count() == 31 - ACCOUNT_LIMIT
    assert set(throttled.values_list("details__limit", flat=True)) == {"account"}
    assert throttled.first().details["login"] == admin_user.username
    assert throttled.first().ip_address == "127.0.0.1"
    assert AuditEvent.objects.filter(action="auth.sign_in_failed").count() == ACCOUNT_LIMIT


def test_the_admin_signs_in_through_the_portal_and_reaches_the_admin(client, admin_user):
    response = client.post(
        "/accounts/login/?next=/admin/", {"login": admin_user.username, "password": PASSWORD, "next": "/admin/"}
    )
    if response.url.startswith("/accounts/2fa/authenticate/"):  # the second factor (security.mfa)
        code = format_hotp_value(hotp_value(STAFF_TOTP_SECRET, int(time.time()) // mfa_settings.TOTP_PERIOD))
        response = client.post(response.url, {"code": code})
    assert signed_in(client)
    assert response.url == "/admin/"
    # Signed in: the admin no longer sends them to sign in (at most to enrol a second factor first).
    admin_page = client.get("/admin/")
    assert admin_page.status_code == 200 or not admin_page.url.startswith(("/admin/login/", "/accounts/login/"))
    assert client.get("/admin/login/").url == "/admin/"


def test_a_signed_in_non_staff_user_is_refused_not_looped(client, make_user, tree):
    resident = make_user(Role.RESIDENT, tree.g1)
    client.force_login(resident)
    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_name_and_email_share_one_account_limit(client, make_user):
    user = make_user(username="laochen")
    for attempt in range(ACCOUNT_LIMIT):
        login = user.username if attempt % 2 else user.email.upper()
        sign_in(client, login, "wrong")
    sign_in(client, user.username, PASSWORD)
    assert not signed_in(client)
    assert sign_in_is_locked(user=user)


def test_right_passwords_do_not_count_against_the_account(client, make_user):
    user = make_user()
    for _ in range(ACCOUNT_LIMIT + 2):
        sign_in(client, user.username, PASSWORD)
        assert signed_in(client)
        client.logout()
    assert not sign_in_is_locked(user=user)


def test_an_unknown_name_is_limited_like_a_real_one(client):
    for _ in range(ACCOUNT_LIMIT + 1):
        sign_in(client, "nobody-here", "wrong")
    assert AuditEvent.objects.filter(action="auth.sign_in_throttled", details__login="nobody-here").count() == 1


def test_many_residents_behind_one_carrier_address_all_sign_in(client, make_user, tree):
    """Two hundred residents of one address, a third of whom mistype once, all get in."""
    residents = [make_user(Role.RESIDENT, tree.g1) for _ in range(200)]
    for number, resident in enumerate(residents):
        if number % 3 == 0:
            sign_in(client, resident.username, "typo")
        sign_in(client, resident.username, PASSWORD)
        assert signed_in(client), number
        client.logout()
    assert not AuditEvent.objects.filter(action="auth.sign_in_throttled").exists()


def test_one_address_spraying_many_accounts_is_stopped(client, make_user, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "5/m/ip,10/15m/key"}
    for number in range(6):
        sign_in(client, f"guess{number}", "123456")
    event = AuditEvent.objects.get(action="auth.sign_in_throttled")
    assert event.details == {"login": "guess5", "limit": "address"}
    # Another address is not held up by it.
    victim = make_user()
    sign_in(client, victim.username, PASSWORD, REMOTE_ADDR="10.1.2.3")
    assert signed_in(client)


def test_too_many_sign_in_posts_from_one_address_are_refused_and_recorded(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    for _ in range(3):
        assert sign_in(client, "someone", "wrong").status_code == 200
    refused = sign_in(client, "someone", "wrong")
    assert refused.status_code == 429
    assert "/accounts/password/reset/" in refused.content.decode()  # the way back in, on a Chinese page
    event = AuditEvent.objects.get(action="auth.sign_in_throttled")
    assert event.details == {"login": "someone", "limit": "address"}


def _lock(client, user):
    client.logout()
    for _ in range(ACCOUNT_LIMIT + 1):
        sign_in(client, user.username, "attacker-guess", REMOTE_ADDR="203.0.113.9")
    assert sign_in_is_locked(user=user)


def test_a_password_reset_lets_the_locked_out_owner_back_in(client, make_user):
    """Finding 10: the owner is not at the attacker's mercy."""
    owner = make_user(username="laoliu")
    _lock(client, owner)
    client.post("/accounts/password/reset/", {"email": owner.email})
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", mail.outbox[-1].body).group(1)
    form_page = client.get(link, follow=True).redirect_chain[-1][0]
    new_password = "a-brand-new-pass-phrase-2026"
    client.post(form_page, {"password1": new_password, "password2": new_password})
    assert not sign_in_is_locked(user=owner)
    sign_in(client, owner.username, new_password)
    assert signed_in(client)
    event = AuditEvent.objects.get(action="auth.password_reset")
    assert event.object_id == str(owner.pk)
    assert event.details == {"sign_in_unlocked": True}


def test_community_staff_unlock_their_resident_with_a_reason(client, people, tree):
    _lock(client, people.resident)
    client.force_login(people.community)
    response = client.post(
        "/security/sign-in-unlock/", {"login": people.resident.username, "reason": "本人持身份证到社区办理"}
    )
    assert response.status_code == 302
    assert not sign_in_is_locked(user=people.resident)
    event = AuditEvent.objects.get(action="auth.sign_in_unlock")
    assert event.actor == people.community
    assert event.object_id == str(people.resident.pk)
    assert event.details == {"reason": "本人持身份证到社区办理", "was_locked": True, "by": "staff"}
    client.logout()
    sign_in(client, people.resident.username, PASSWORD)
    assert signed_in(client)


def test_an_unlock_needs_a_reason(client, people):
    _lock(client, people.resident)
    client.force_login(people.community)
    response = client.post("/security/sign-in-unlock/", {"login": people.resident.username, "reason": "  "})
    assert response.status_code == 200
    assert sign_in_is_locked(user=people.resident)
    assert not AuditEvent.objects.filter(action="auth.sign_in_unlock").exists()


def test_outsiders_cannot_unlock(client, people, tree, make_user):
    _lock(client, people.resident)
    # Another community's staff: the same answer as for an account that does not exist.
    client.force_login(people.community_c2)
    response = client.post("/security/sign-in-unlock/", {"login": people.resident.username, "reason": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors["login"]
    # Community staff cannot unlock a colleague with a staff role.
    _lock(client, people.worker)
    client.force_login(people.community)
    client.post("/security/sign-in-unlock/", {"login": people.worker.username, "reason": "x"})
    assert sign_in_is_locked(user=people.worker)
    # A grid worker, a resident and an anonymous visitor do not get the page.
    for user in (people.worker, people.other_resident):
        client.force_login(user)
        assert client.post("/security/sign-in-unlock/", {"login": "x", "reason": "x"}).status_code == 403
    client.logout()
    assert client.get("/security/sign-in-unlock/").status_code == 302
    assert sign_in_is_locked(user=people.resident)
    assert not AuditEvent.objects.filter(action="auth.sign_in_unlock").exists()


def test_an_administrator_unlocks_anyone(client, people, tree, make_user):
    admin = make_user(Role.ADMIN, tree.d)
    _lock(client, people.worker)
    client.force_login(admin)
    client.post("/security/sign-in-unlock/", {"login": people.worker.email, "reason": "电话核实本人"})
    assert not sign_in_is_locked(user=people.worker)


def test_the_counts_are_kept_in_redis_for_every_web_process(client, make_user, settings, tree):
    """In production the default cache is Redis (portal/settings.py), so every web process sees the
    same counts; the test settings give each test a memory cache, so this test puts Redis back."""
    import uuid

    import redis

    prefix = f"test-sign-in-{uuid.uuid4().hex}"
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": prefix,
        },
    }
    user = make_user()
    for _ in range(ACCOUNT_LIMIT):
        sign_in(client, user.username, "wrong")
    sign_in(client, user.username, PASSWORD)
    assert not signed_in(client)
    # What another process would read: the counts are in Redis, under the cache's prefix.
    server = redis.Redis.from_url(os.environ["REDIS_URL"])
    keys = {key.decode() for key in server.scan_iter(match=f"{prefix}:*allauth:rl:allauth.account:login_failed:*")}
    assert any(key.endswith(":ip:127.0.0.1") for key in keys)
    assert len(keys) == 3  # two per-address windows and the account's
    # An unlock clears the account's count there, and only that.
    sign_in_unlock(user=user, actor=make_user(Role.ADMIN, tree.d), reason="本人到场")
    left = {key.decode() for key in server.scan_iter(match=f"{prefix}:*allauth:rl:allauth.account:login_failed:*")}
    assert len(left) == 2 and all(":ip:" in key for key in left)
    sign_in(client, user.username, PASSWORD)
    assert signed_in(client)
    server.delete(*left)
