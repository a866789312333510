"""MFA for staff: enrolment before any page, the admin's sign-in, re-authentication before
sensitive steps, the administrator's reset, and the audit trail."""

import re
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern
from django.utils import timezone

from security.mfa import ENROLMENT_VIEWS, mfa_enrolled, mfa_reset, mfa_totp_current_code, mfa_totp_enrol
from security.models import AuditEvent, Role, User
from security.roles import STAFF_ROLES
from tests.factories import PASSWORD, STAFF_TOTP_SECRET, totp_code

ENROL = "/accounts/2fa/totp/activate/"


# --- who must enrol -------------------------------------------------------------------------------


def test_every_role_but_a_residents_needs_a_second_factor():
    assert set(Role) - STAFF_ROLES == {Role.RESIDENT}


SAMPLE_VALUES = {
    "int": "1",
    "str": "x",
    "slug": "x",
    "path": "1",
    "uuid": "00000000-0000-0000-0000-000000000001",
}
# Regex patterns (Open311's formats, the admin's app index and catch-all, allauth's e-mail link):
# each named group gets its first alternative, or a sample value.
REGEX_GROUP_SAMPLES = {"fmt": "json"}


def _regex_sample(regex: str) -> str | None:
    def group(match):
        name, body = match.group(1), match.group(2)
        return body.split("|")[0] if "|" in body else REGEX_GROUP_SAMPLES.get(name, "x1")

    text = re.sub(r"\(\?P<(\w+)>((?:[^()]|\([^()]*\))*)\)", group, regex).lstrip("^").rstrip("$")
    text = text.replace("\\.", ".")
    return None if re.search(r"[()\[\]*+?\\]", text) else text


def _sample(pattern) -> str | None:
    if isinstance(pattern.pattern, RegexPattern):
        return _regex_sample(str(pattern.pattern))
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_VALUES[m.group(1) or "str"], str(pattern.pattern))


def every_url():
    """A path for every pattern of the URL conf, with sample values for its parameters (the
    middleware answers before a view looks anything up), and the patterns it cannot fill."""
    found, unfilled = [], []

    def walk(patterns, prefix):
        for pattern in patterns:
            part = _sample(pattern)
            if part is None:
                unfilled.append(str(pattern.pattern))
            elif isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + part)
            else:
                found.append("/" + prefix + part)

    walk(get_resolver().url_patterns, "")
    return found, unfilled


def test_a_staff_member_without_a_second_factor_is_sent_to_enrolment_from_every_page(client, tree, orgs, make_user):
    officer = make_user(Role.SUBDISTRICT_OFFICER, tree.s1, mfa=False)
    officer.is_staff = True  # also a Django admin user: the admin's pages are staff pages too
    officer.save(update_fields=["is_staff"])
    client.force_login(officer)
    urls, unfilled = every_url()
    assert unfilled == []
    assert len(urls) > 150
    checked = 0
    for path in urls:
        if path.startswith("/static/"):
            continue
        if resolve(path).view_name in ENROLMENT_VIEWS:
            continue
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == ENROL, path
        checked += 1
    # ...the pages that matter most among them, by name, so a rename cannot skip them silently.
    for must in ("/admin/", "/requests/workbench/", "/dashboards/", "/residents/", "/security/audit/"):
        assert client.get(must)["Location"] == ENROL, must
    assert checked > 150


def test_the_enrolment_pages_sign_out_and_health_check_stay_open(client, tree, make_user):
    worker = make_user(Role.GRID_WORKER, tree.g1, mfa=False)
    client.force_login(worker)
    assert client.get("/healthz").status_code == 200
    enrol = client.get(ENROL)
    # allauth asks for the password first when the sign-in was not just now (force_login records none).
    assert enrol.status_code in (200, 302)
    assert enrol.status_code == 200 or enrol["Location"].startswith("/accounts/reauthenticate/")
    assert client.get("/accounts/reauthenticate/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/requests/workbench/")["Location"].startswith("/accounts/login/")


def test_a_resident_is_not_made_to_enrol_but_may(client, tree, make_user, login):
    resident = make_user(Role.RESIDENT, tree.g1)
    assert not mfa_enrolled(resident)
    login(resident)
    assert client.get("/residents/me/").status_code == 200
    assert client.get("/accounts/2fa/").status_code == 200
    assert client.get(ENROL).status_code == 200


def test_an_enrolled_staff_member_reaches_their_pages(client, tree, make_user, login):
    login(make_user(Role.GRID_WORKER, tree.g1))
    assert client.get("/requests/workbench/").status_code == 200


def test_api_calls_with_a_key_are_not_sessions_and_are_not_sent_to_enrolment(client, tree, orgs, make_user):
    from security.api_keys import api_key_create
    from security.models import ApiScope

    operator = make_user(Role.PARTNER_OPERATOR, tree.s1, orgs.partner)
    _key, raw = api_key_create(
        actor=operator,
        organisation=orgs.partner,
        name="erp",
        scopes=[ApiScope.READ_WORK_ORDERS],
        expires_at=timezone.now() + timedelta(days=30),
    )
    Authenticator.objects.filter(user=operator).delete()  # the key's maker has no second factor now
    response = client.get("/api/v1/work-orders/", HTTP_X_API_KEY=raw)
    assert response.status_code == 200


# --- first sign-in, enrolment, next sign-in with a code --------------------------------------------


def test_first_sign_in_enrols_then_the_next_asks_for_a_code(
    client, tree, make_user, django_capture_on_commit_callbacks
):
    leader = make_user(Role.DISTRICT_LEADER, tree.d, mfa=False)
    signed_in = client.post("/accounts/login/", {"login": leader.username, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert client.get(signed_in["Location"])["Location"] == ENROL
    # No second password prompt: the sign-in a moment ago counts as the confirmation allauth asks for.
    page = client.get(ENROL)
    assert page.status_code == 200
    secret = page.context["form"].secret
    assert secret in page.content.decode() and "<svg" in page.content.decode()
    wrong = client.post(ENROL, {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 200 and not mfa_enrolled(leader)
    with django_capture_on_commit_callbacks(execute=True):  # allauth reports the new authenticator on commit
        enrolled = client.post(ENROL, {"code": totp_code(secret)})
    assert enrolled["Location"] == "/accounts/2fa/recovery-codes/"
    assert mfa_enrolled(leader)
    assert client.get("/dashboards/").status_code == 200
    assert AuditEvent.objects.filter(action="mfa.enrol", object_id=str(leader.pk), details__type="totp").exists()
    client.post("/accounts/logout/")

    again = client.post("/accounts/login/", {"login": leader.username, "password": PASSWORD})
    assert again["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/dashboards/")["Location"].startswith("/accounts/login/")  # not signed in yet
    refused = client.post("/accounts/2fa/authenticate/", {"code": "12345"})
    assert refused.status_code == 200
    assert AuditEvent.objects.filter(action="mfa.code_failed", object_id=str(leader.pk)).exists()
    accepted = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert accepted.status_code == 302
    assert client.get("/dashboards/").status_code == 200


def test_staff_cannot_remove_their_last_second_factor(client, tree, make_user, login):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    login(worker)
    client.post("/accounts/2fa/totp/deactivate/")
    assert mfa_enrolled(worker)


def _enrolment_page(client, make_user, tree) -> str:
    worker = make_user(Role.GRID_WORKER, tree.g1, mfa=False)
    client.post("/accounts/login/", {"login": worker.username, "password": PASSWORD})
    return client.get(ENROL).content.decode()


def test_the_mfa_pages_carry_no_inline_script_or_style(client, tree, make_user):
    pages = [_enrolment_page(client, make_user, tree), client.get("/accounts/2fa/").content.decode()]
    client.post("/accounts/logout/")
    enrolled = make_user(Role.GRID_WORKER, tree.g1)
    client.post("/accounts/login/", {"login": enrolled.username, "password": PASSWORD})
    pages.append(client.get("/accounts/2fa/authenticate/").content.decode())
    assert 'name="code"' in pages[-1]
    for page in pages:
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", page)
        outside_the_qr_code = page.split("<svg", 1)[0] + page.split("</svg>", 1)[-1]
        assert not re.search(r"\sstyle=|<style", outside_the_qr_code)
        assert "data:image" not in page


def test_the_enrolment_page_speaks_chinese(client, tree, make_user):
    # Its strings are the portal's own: this passes once their translations are in locale/.
    page = _enrolment_page(client, make_user, tree)
    assert "两步验证" in page and "验证器" in page


# --- the Django admin signs in through the same flow -------------------------------------------------


def _admin(make_user, tree, *, mfa: bool) -> User:
    admin = make_user(Role.ADMIN, tree.d, mfa=mfa)
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    return admin


def test_the_admin_signs_in_with_a_code(client, tree, make_user):
    admin = _admin(make_user, tree, mfa=True)
    to_sign_in = client.get("/admin/", follow=True)
    assert to_sign_in.redirect_chain[-1][0].startswith("/accounts/login/")
    next_url = to_sign_in.context["redirect_field_value"]
    assert next_url.startswith("/admin/")
    first = client.post("/accounts/login/", {"login": admin.username, "password": PASSWORD, "next": next_url})
    assert first["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/admin/")["Location"].startswith(("/accounts/login/", "/admin/login/"))
    second = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert second["Location"] == next_url
    assert client.get("/admin/").status_code == 200


def test_an_admin_without_a_second_factor_is_sent_to_enrolment(client, tree, make_user):
    admin = _admin(make_user, tree, mfa=False)
    signed_in = client.post("/accounts/login/", {"login": admin.username, "password": PASSWORD, "next": "/admin/"})
    assert signed_in["Location"] == "/admin/"
    assert client.get("/admin/")["Location"] == ENROL
    assert client.get("/admin/security/roleassignment/")["Location"] == ENROL


def test_a_staff_user_without_roles_must_enrol_too(client, make_user):
    staff = make_user()
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    client.force_login(staff)
    assert client.get("/admin/")["Location"] == ENROL


# --- re-authentication before sensitive steps ---------------------------------------------------------


def _reauthentication_asked(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/reauthenticate/")


def test_a_reveal_without_recent_re_authentication_asks_for_it(client, tree, residents, make_user):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    client.force_login(worker)  # signed in, but not just now
    url = f"/residents/{residents.r1.public_id}/reveal/"
    asked = {"purpose": "verify_identity", "purpose_note": ""}
    response = client.post(url, asked)
    assert _reauthentication_asked(response)
    assert not AuditEvent.objects.filter(action__contains="reveal", actor=worker).exists()
    # Giving the password again carries out the reveal that was asked for.
    done = client.post(response["Location"], {"password": PASSWORD})
    assert done.status_code == 200
    assert done.context["revealed"].id_card_number
    assert AuditEvent.objects.filter(action__contains="reveal", actor=worker).exists()


def test_an_export_without_recent_re_authentication_asks_for_it(client, tree, make_user):
    leader = make_user(Role.DISTRICT_LEADER, tree.d)
    client.force_login(leader)
    assert _reauthentication_asked(client.get("/dashboards/export/services.csv"))
    assert not AuditEvent.objects.filter(action__startswith="dashboard.export").exists()


def test_a_new_api_key_without_recent_re_authentication_asks_for_it(client, tree, orgs, make_user):
    from security.models import ApiKey, ApiScope

    operator = make_user(Role.PARTNER_OPERATOR, tree.s1, orgs.partner)
    client.force_login(operator)
    assert client.get("/partners/keys/").status_code == 200  # the list needs no fresh password
    form = {"organisation": orgs.partner.pk, "name": "erp", "scopes": [ApiScope.READ_WORK_ORDERS]}
    response = client.post("/partners/keys/", form)
    assert _reauthentication_asked(response)
    assert not ApiKey.objects.exists()


def test_granting_a_role_in_the_admin_without_recent_re_authentication_asks_for_it(client, tree, make_user):
    admin = _admin(make_user, tree, mfa=True)
    client.force_login(admin)
    assert client.get("/admin/security/roleassignment/").status_code == 200
    assert _reauthentication_asked(client.get("/admin/security/roleassignment/add/"))


def test_a_code_re_authenticates_too(client, tree, make_user):
    leader = make_user(Role.DISTRICT_LEADER, tree.d)
    client.force_login(leader)
    asked = client.get("/dashboards/export/services.csv")
    assert _reauthentication_asked(asked)
    next_url = asked["Location"].split("next=", 1)[1]
    done = client.post(f"/accounts/2fa/reauthenticate/?next={next_url}", {"code": totp_code()})
    assert done.status_code == 302
    assert client.get("/dashboards/export/services.csv").status_code == 200


# --- an administrator resets a lost second factor --------------------------------------------------------


def test_an_administrator_resets_a_second_factor_with_a_reason_audited(tree, make_user):
    admin = make_user(Role.ADMIN, tree.d)
    worker = make_user(Role.GRID_WORKER, tree.g1)
    assert mfa_reset(user=worker, actor=admin, reason="  lost phone, seen in person  ") == 1
    assert not Authenticator.objects.filter(user=worker).exists()
    event = AuditEvent.objects.get(action="mfa.reset")
    assert event.actor == admin and event.object_id == str(worker.pk)
    assert event.details == {"reason": "lost phone, seen in person", "removed": ["totp"]}


@pytest.mark.parametrize("role", [Role.DISTRICT_LEADER, Role.AUDITOR, Role.COMMUNITY_STAFF, Role.RESIDENT])
def test_only_an_administrator_may_reset(tree, make_user, role):
    area = {Role.COMMUNITY_STAFF: tree.c1, Role.RESIDENT: tree.g1}.get(role, tree.d)
    outsider = make_user(role, area)
    worker = make_user(Role.GRID_WORKER, tree.g1)
    with pytest.raises(PermissionDenied):
        mfa_reset(user=worker, actor=outsider, reason="lost phone")
    assert mfa_enrolled(worker) and not AuditEvent.objects.filter(action="mfa.reset").exists()


def test_a_reset_needs_a_reason_and_another_administrator(tree, make_user):
    admin = make_user(Role.ADMIN, tree.d)
    worker = make_user(Role.GRID_WORKER, tree.g1)
    for reason in ("", "   ", "x" * 501):
        with pytest.raises(ValidationError):
            mfa_reset(user=worker, actor=admin, reason=reason)
    with pytest.raises(ValidationError):
        mfa_reset(user=admin, actor=admin, reason="lost my phone")
    assert mfa_enrolled(worker) and mfa_enrolled(admin)
    assert not AuditEvent.objects.filter(action="mfa.reset").exists()


def test_the_reset_page_is_for_administrators_only(client, tree, make_user, login):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    assert client.get("/security/mfa/reset/")["Location"].startswith("/accounts/login/")
    login(make_user(Role.DISTRICT_LEADER, tree.d))
    assert client.get("/security/mfa/reset/").status_code == 403
    assert client.post("/security/mfa/reset/", {"username": worker.username, "reason": "x"}).status_code == 403
    assert mfa_enrolled(worker)


def test_an_administrator_resets_through_the_page_and_the_staff_member_enrols_again(client, tree, make_user, login):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    login(make_user(Role.ADMIN, tree.d))
    page = client.get("/security/mfa/reset/")
    assert page.status_code == 200
    assert ("/security/mfa/reset/", "重置两步验证") in [(href, str(label)) for href, label in page.context["nav_links"]]
    blank = client.post("/security/mfa/reset/", {"username": worker.username, "reason": " "})
    assert blank.status_code == 200 and mfa_enrolled(worker)
    unknown = client.post("/security/mfa/reset/", {"username": "nobody", "reason": "lost phone"})
    assert unknown.status_code == 200 and "nobody" not in AuditEvent.objects.values_list("object_repr", flat=True)
    done = client.post("/security/mfa/reset/", {"username": worker.username, "reason": "lost phone"})
    assert done.status_code == 302 and not mfa_enrolled(worker)
    client.post("/accounts/logout/")
    signed_in = client.post("/accounts/login/", {"login": worker.username, "password": PASSWORD})
    assert client.get(signed_in["Location"])["Location"] == ENROL


# --- the demo ---------------------------------------------------------------------------------------------


def test_the_demo_code_command_prints_the_current_code_in_debug_only(settings, tree, make_user, capsys):
    user = make_user(Role.GRID_WORKER, tree.g1, username="demo_grid_test")
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_mfa_code", "demo_grid_test")
    settings.DEBUG = True
    call_command("demo_mfa_code", "demo_grid_test")
    assert capsys.readouterr().out.strip() in {totp_code(), mfa_totp_current_code(user=user)}
    with pytest.raises(CommandError, match="not a demo account"):
        call_command("demo_mfa_code", user.username.replace("demo_", "x"))


def test_secrets_are_encrypted_at_rest(tree, make_user):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    stored = Authenticator.objects.get(user=worker, type="totp").data["secret"]
    assert STAFF_TOTP_SECRET not in stored
    assert mfa_totp_current_code(user=worker) == totp_code()


def test_enrolling_twice_is_refused(tree, make_user):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    with pytest.raises(ValidationError):
        mfa_totp_enrol(user=worker, secret=STAFF_TOTP_SECRET)


def test_a_resident_may_turn_it_off_and_that_is_audited(
    client, tree, make_user, login, django_capture_on_commit_callbacks
):
    resident = make_user(Role.RESIDENT, tree.g1, mfa=True)
    login(resident)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/2fa/totp/deactivate/")
    assert not mfa_enrolled(resident)
    assert AuditEvent.objects.filter(action="mfa.remove", actor=resident, details__type="totp").exists()
    assert client.get("/residents/me/").status_code == 200  # and is not sent to enrol again


def test_a_sign_in_counts_as_recent_for_five_minutes_only(client, tree, residents, make_user):
    from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY

    worker = make_user(Role.GRID_WORKER, tree.g1)
    client.post("/accounts/login/", {"login": worker.username, "password": PASSWORD})
    assert client.post("/accounts/2fa/authenticate/", {"code": totp_code()}).status_code == 302
    url = f"/residents/{residents.r1.public_id}/reveal/"
    asked = {"purpose": "verify_identity", "purpose_note": ""}
    assert client.post(url, asked).status_code == 200  # signed in a moment ago: no second password
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {**record, "at": record["at"] - 301} for record in session[AUTHENTICATION_METHODS_SESSION_KEY]
    ]
    session.save()
    assert _reauthentication_asked(client.post(url, asked))
