"""The second factor (allauth.mfa): who must have one, sending them to enrolment before any page,
an administrator's reset after a lost phone, and the audit trail of authenticators.

allauth does the rest: its pages enrol an authenticator app (TOTP) with recovery codes or a security
key (WebAuthn), and its sign-in asks an enrolled user for a code after the password.
"""

from __future__ import annotations

import time

from allauth.account.internal.flows.login import get_authentication_records, record_authentication
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from security import personal_data
from security.audit import audit_record
from security.models import Role, User
from security.scoping import has_role, is_staff_member

# A second factor proper: recovery codes alone are a way back in, not a factor to sign in with.
SIGN_IN_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
RESET_REASON_MAX_LENGTH = 500

# What a staff member without a second factor may still reach: enrolment itself (with the password
# confirmation it asks for and the e-mail check it may need first), signing out, the language switch
# and the health check. Static files never reach a view.
ENROLMENT_VIEWS = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "mfa_view_recovery_codes",
        "mfa_download_recovery_codes",
        "mfa_reauthenticate",
        "account_reauthenticate",
        "account_logout",
        "account_login",
        "account_email",
        "account_confirm_email",
        "account_email_verification_sent",
        "admin:logout",
        "set_language",
        "healthz",
        # Not pages: the idle-session check and the browser's CSP reports (security.urls).
        "security:session_status",
        "security:csp_report",
    }
)


def mfa_required(user) -> bool:
    """Everyone who can see other people's data or act for an organisation, and Django's staff."""
    return is_staff_member(user)


def mfa_enrolled(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=SIGN_IN_FACTORS).exists()


class MfaEnrolmentMiddleware:
    """Sends a signed-in user who must have a second factor, and has none, to enrol before any
    other page: the workbench, the dashboards, the Django admin, the API used from a session.
    Calls made with an API key carry no session and are not affected."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or match.view_name in ENROLMENT_VIEWS or request.path.startswith(f"/{settings.STATIC_URL}"):
            return None
        user = request.user
        if not mfa_required(user) or mfa_enrolled(user):
            return None
        return redirect("mfa_activate_totp")


def sign_in_counts_as_recent(sender, request, user, **kwargs):
    """A complete sign-in (password, and the code where the account has a second factor) counts as
    the recent authentication allauth asks for before a reveal, an export, a new API key, a role
    change or adding an authenticator, for allauth's usual five minutes: asking for the password
    again a minute after it was given only teaches people to type it without thinking. Later, or
    after a sign-in that recorded no password or code (a session made some other way), it is asked."""
    if request is None or not hasattr(request, "session"):
        return
    records = get_authentication_records(request, user)
    if records and not records[-1].get("reauthenticated"):
        record_authentication(request, user, method=records[-1]["method"], reauthenticated=True)


class PortalMfaAdapter(DefaultMFAAdapter):
    """Authenticator secrets (the TOTP key, the recovery codes' seed) are encrypted at rest under a
    key of their own derived from PERSONAL_DATA_KEY: a copy of the database alone cannot make codes."""

    purpose = "mfa secret"

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Staff keep at least one sign-in factor: removing the last would only send them back to enrolment."""
        if authenticator.type not in SIGN_IN_FACTORS or not mfa_required(authenticator.user):
            return True
        others = Authenticator.objects.filter(user_id=authenticator.user_id, type__in=SIGN_IN_FACTORS)
        return others.exclude(pk=authenticator.pk).exists()

    def encrypt(self, text: str) -> str:
        return personal_data.encrypt_for(self.purpose, text.encode())

    def decrypt(self, encrypted_text: str) -> str:
        return personal_data.decrypt_for(self.purpose, encrypted_text).decode()


@transaction.atomic
def mfa_totp_enrol(*, user: User, secret: str, actor: User | None = None) -> Authenticator:
    """Enrol `user` in TOTP with a known `secret`, without their phone: for the demo accounts and
    for tests. People enrol through allauth's pages."""
    if mfa_enrolled(user):
        raise ValidationError(_("%(name)s already has a second factor.") % {"name": user.get_username()})
    authenticator = TOTP.activate(user, secret).instance
    audit_record(actor=actor, action="mfa.enrol", target=user, details={"type": Authenticator.Type.TOTP.value})
    return authenticator


def mfa_totp_current_code(*, user: User) -> str:
    """The code `user`'s TOTP authenticator shows now (the demo's `demo_mfa_code`)."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        raise ValidationError(_("%(name)s has no authenticator app.") % {"name": user.get_username()})
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(decrypt(authenticator.data["secret"]), counter))


@transaction.atomic
def mfa_reset(*, user: User, actor: User, reason: str) -> int:
    """Remove every authenticator of `user` (a lost phone): they enrol again at their next sign-in.
    Only an administrator may, never on their own account, and always with a reason."""
    if not has_role(actor, {Role.ADMIN}):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the second factor is reset (e.g. the phone was lost).")})
    if len(reason) > RESET_REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": _("Keep the reason under %(limit)d characters.") % {"limit": RESET_REASON_MAX_LENGTH}}
        )
    if user.pk == actor.pk:
        raise ValidationError(_("Ask another administrator to reset your own second factor."))
    removed = sorted(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    if not removed:
        raise ValidationError(_("%(name)s has no second factor to reset.") % {"name": user.get_username()})
    Authenticator.objects.filter(user=user).delete()
    audit_record(actor=actor, action="mfa.reset", target=user, details={"reason": reason, "removed": removed})
    return len(removed)


# --- the audit trail of allauth's own MFA steps (its signals) ------------------------------------


def _actor(request, user):
    # During sign-in the user is not signed in yet: the code was tried for `user`, by whoever it is.
    signed_in = getattr(request, "user", None)
    return user if signed_in is not None and signed_in.is_authenticated else None


def record_authenticator_added(sender, request, user, authenticator, **kwargs):
    with transaction.atomic():
        audit_record(actor=user, action="mfa.enrol", target=user, details={"type": authenticator.type})


def record_authenticator_removed(sender, request, user, authenticator, **kwargs):
    with transaction.atomic():
        audit_record(actor=user, action="mfa.remove", target=user, details={"type": authenticator.type})


def record_authenticator_reset(sender, request, user, authenticator, **kwargs):
    with transaction.atomic():
        audit_record(actor=user, action="mfa.recovery_codes_regenerate", target=user)


def record_authentication_failed(sender, request, user, authenticator=None, reauthentication=False, **kwargs):
    details = {"reauthentication": bool(reauthentication)}
    if authenticator is not None:
        details["type"] = authenticator.type
    with transaction.atomic():
        audit_record(actor=_actor(request, user), action="mfa.code_failed", target=user, details=details)
