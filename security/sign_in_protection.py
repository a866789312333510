"""Limits on signing in, per address and per account, and the ways the real owner gets back in.

allauth counts failed sign-ins in the Django cache (Redis: one count for every web process) under
the action ``login_failed`` of ``ACCOUNT_RATE_LIMITS``. Its per-account part is keyed here by the
account itself, not by the text typed, so an attacker cannot double their tries by alternating the
user name and the e-mail address. A locked account is opened again by a successful password reset
(the owner's own way back) or by staff (`sign_in_unlock`), both audited.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from security.audit import audit_record
from security.models import Role, RoleAssignment, User
from security.scoping import area_paths, has_role

ALLAUTH_APP = "allauth.account"
FAILED_SIGN_IN_ACTION = "login_failed"
# A sign-in tried is recorded with at most this many characters of the name typed.
LOGIN_RECORDED_LENGTH = 150


def _rates(per: str) -> str:
    """The parts of the failed-sign-in limit counted per `per` ("ip" or "key"), in allauth's format."""
    from allauth.core.internal.ratelimit import parse_rate

    configured = settings.ACCOUNT_RATE_LIMITS.get(FAILED_SIGN_IN_ACTION) or ""
    parts = [part.strip() for part in configured.split(",") if part.strip()]
    return ",".join(part for part in parts if parse_rate(part).per == per)


def account_key(credentials: dict) -> str:
    """What the per-account limit counts: the account the login names, or the login itself when no
    account has it (so a made-up name is limited exactly like a real one and reveals nothing)."""
    login = str(credentials.get("email") or credentials.get("username") or "").strip().lower()
    user = None
    if credentials.get("email"):
        user = User.objects.filter(email__iexact=login).order_by("pk").first()
    elif login:
        user = User.objects.filter(username__iexact=login).first()
    return f"user:{user.pk}" if user is not None else f"login:{login}"


def _account_key_of(user: User) -> str:
    return f"user:{user.pk}"


def _login_tried(credentials: dict) -> str:
    return str(credentials.get("email") or credentials.get("username") or "")[:LOGIN_RECORDED_LENGTH]


def sign_in_attempt_consume(request, credentials: dict):
    """Count one sign-in attempt against the address and the account, before the password is
    checked. Returns allauth's usage (rolled back by allauth when the password was right), or
    records the refusal and returns None when either limit is used up."""
    from allauth.core.internal import ratelimit

    by_address = ratelimit.consume(
        request, app=ALLAUTH_APP, action=FAILED_SIGN_IN_ACTION, config={FAILED_SIGN_IN_ACTION: _rates("ip")}
    )
    if by_address is None:
        sign_in_throttled_record(login=_login_tried(credentials), limit="address")
        return None
    by_account = ratelimit.consume(
        request,
        app=ALLAUTH_APP,
        action=FAILED_SIGN_IN_ACTION,
        config={FAILED_SIGN_IN_ACTION: _rates("key")},
        key=account_key(credentials),
    )
    if by_account is None:
        sign_in_throttled_record(login=_login_tried(credentials), limit="account")
        return None
    return ratelimit.RateLimitUsage(usage=by_address.usage + by_account.usage)


def sign_in_throttled_record(*, login: str, limit: str) -> None:
    """An attempt refused before its password was looked at: who was tried, and which limit
    (``address`` or ``account``) refused it. The address is the request's own."""
    audit_record(actor=None, action="auth.sign_in_throttled", details={"login": login, "limit": limit})


def _clear_account(user: User) -> None:
    from allauth.core.internal import ratelimit

    # Only the per-account counts: the unlocking request's own address keeps its count.
    ratelimit.clear(
        _NoRequest(),
        app=ALLAUTH_APP,
        action=FAILED_SIGN_IN_ACTION,
        config={FAILED_SIGN_IN_ACTION: _rates("key")},
        key=_account_key_of(user),
    )


class _NoRequest:
    """allauth's cache keys for per-key limits do not read the request; this stands in for one
    where there is none (a task, the admin shell) and fails loudly should that ever change."""

    user = AnonymousUser()
    method = "POST"


def sign_in_is_locked(*, user: User) -> bool:
    """True when the account's failed sign-ins have used up its limit right now."""
    from allauth.core.internal import ratelimit

    return (
        ratelimit.consume(
            _NoRequest(),
            app=ALLAUTH_APP,
            action=FAILED_SIGN_IN_ACTION,
            config={FAILED_SIGN_IN_ACTION: _rates("key")},
            key=_account_key_of(user),
            dry_run=True,
        )
        is None
    )


def can_unlock(*, actor: User, user: User) -> bool:
    """Administrators unlock anyone; community staff the residents of their community."""
    if not actor.is_authenticated or not actor.is_active:
        return False
    if actor.is_superuser or has_role(actor, {Role.ADMIN}):
        return True
    paths = area_paths(actor, {Role.COMMUNITY_STAFF})
    if not paths:
        return False
    resident_areas = RoleAssignment.objects.filter(user=user).values_list("role", "area__path")
    roles = list(resident_areas)
    # Only a pure resident: a colleague with a staff role is unlocked by an administrator.
    return bool(roles) and all(role == Role.RESIDENT and any(path.startswith(p) for p in paths) for role, path in roles)


@transaction.atomic
def sign_in_unlock(*, user: User, actor: User, reason: str) -> None:
    """Clear an account's failed sign-ins so its owner can sign in again at once."""
    reason = reason.strip()
    if not can_unlock(actor=actor, user=user):
        raise PermissionDenied
    if not reason:
        raise ValidationError(_("Give the reason for unlocking."))
    was_locked = sign_in_is_locked(user=user)
    _clear_account(user)
    audit_record(
        actor=actor,
        action="auth.sign_in_unlock",
        target=user,
        details={"reason": reason[:500], "was_locked": was_locked, "by": "staff"},
    )


def clear_after_password_reset(sender, request, user, **kwargs):
    """The owner proved they hold the account's e-mail: their failed sign-ins no longer count."""
    was_locked = sign_in_is_locked(user=user)
    _clear_account(user)
    audit_record(
        actor=user,
        action="auth.password_reset",
        target=user,
        details={"sign_in_unlocked": was_locked},
    )
