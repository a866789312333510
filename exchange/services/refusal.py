"""A refused exchange step: recorded in the audit log even though nothing else is written."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Model

from security.audit import audit_record
from security.models import User


class ExchangeRefused(ValidationError):
    """Raised after the refusal was audited. `code` says why (for API status codes):
    "not_found", "not_in_force", "field_not_allowed", "tampered", "forbidden"."""


def refuse(*, actor: User | None, action: str, target: Model | None, message: str, code: str, details=None):
    """Audit the refusal in its own transaction (the caller's would roll it back), then raise."""
    audit_record(actor=actor, action=action, target=target, details={"reason": code, **(details or {})})
    raise ExchangeRefused(message, code=code)
