"""Audit events for signing in and out, connected to django.contrib.auth's signals."""

from security.audit import audit_record


def record_sign_in(sender, request, user, **kwargs):
    audit_record(actor=user, action="auth.sign_in", target=user)


def record_sign_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action="auth.sign_out", target=user)


def record_failed_sign_in(sender, credentials, request=None, **kwargs):
    # Django has already scrubbed the password from `credentials`; keep only the name tried.
    attempted = str(credentials.get("username") or credentials.get("email") or credentials.get("login") or "")
    audit_record(actor=None, action="auth.sign_in_failed", details={"login": attempted[:150]})
