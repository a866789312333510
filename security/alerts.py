"""Security alerts: what auditors are told about, and how each alert is raised once.

Anyone may call `alert_raise` (the detectors below, the audit chain's verification). Security
does not know how people are told: the notifications app claims undelivered alerts with
`alerts_claim_undelivered` on its beat schedule and writes one message per auditor in scope
(security must not import notifications; see docs/operations.md, "The auditor's desk").
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.models import Area
from security.audit import audit_record
from security.models import SecurityAlert

SUMMARY_MAX_LENGTH = 300
DEDUPE_KEY_MAX_LENGTH = 200


class AlertKind(TextChoices):
    SIGN_IN_BURST_ADDRESS = "sign_in_burst_address", _("Many failed sign-ins from one address")
    SIGN_IN_BURST_ACCOUNT = "sign_in_burst_account", _("Many failed sign-ins to one account")
    MASS_EXPORT = "mass_export", _("Many exports by one user")
    MASS_REVEAL = "mass_reveal", _("Many reveals of personal data by one user")
    REVEAL_OUT_OF_HOURS = "reveal_out_of_hours", _("Personal data revealed outside working hours")
    CHAIN_CHECK_FAILED = "chain_check_failed", _("An audit log check failed")


def alert_kind_label(kind: str) -> str:
    """The readable name of an alert kind; a kind raised by code that names no label shows as is."""
    try:
        return AlertKind(kind).label
    except ValueError:
        return kind


@transaction.atomic
def alert_raise(
    *,
    kind: str,
    summary: str,
    details: dict | None = None,
    dedupe_key: str = "",
    area: Area | None = None,
) -> SecurityAlert | None:
    """Record an alert for the auditors whose scope covers `area` (none: district-wide ones).

    With a `dedupe_key` (e.g. f"chain_check_failed:audit:{event_id}"), the alert is raised once:
    a later or concurrent call with the same key returns None and records nothing. Prefer an
    `AlertKind` value for `kind`; `summary` is one line in the source language.
    """
    if not kind or len(kind) > 64:
        raise ValueError(f"alert_raise() needs a kind of 1 to 64 characters, got {kind!r}.")
    if len(dedupe_key) > DEDUPE_KEY_MAX_LENGTH:
        raise ValueError(f"alert_raise() takes a dedupe_key of at most {DEDUPE_KEY_MAX_LENGTH} characters.")
    if dedupe_key and SecurityAlert.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    alert = SecurityAlert(
        kind=kind,
        summary=" ".join(summary.split())[:SUMMARY_MAX_LENGTH],
        details=details or {},
        dedupe_key=dedupe_key,
        area=area,
    )
    try:
        # A concurrent raise with the same key waits on the unique index, then lands here.
        with transaction.atomic():
            alert.save(force_insert=True)
    except IntegrityError:
        if dedupe_key and SecurityAlert.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    audit_record(
        actor=None,
        action="security.alert",
        target=alert,
        details={"kind": kind, "summary": alert.summary, "dedupe_key": dedupe_key},
    )
    return alert


def alerts_claim_undelivered(*, limit: int = 100) -> list[SecurityAlert]:
    """Mark up to `limit` undelivered alerts delivered and return them, oldest first.

    Call it inside the transaction that writes the messages, so the claim commits or rolls back
    with them; SKIP LOCKED lets a second run take other alerts instead of waiting.
    """
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError(
            "alerts_claim_undelivered() must run inside the transaction that delivers the alerts."
        )
    alerts = list(
        SecurityAlert.objects.filter(delivered_at__isnull=True)
        .select_related("area")
        .order_by("id")
        .select_for_update(skip_locked=True, of=("self",))[:limit]
    )
    if alerts:
        now = timezone.now()
        SecurityAlert.objects.filter(pk__in=[alert.pk for alert in alerts]).update(delivered_at=now)
        for alert in alerts:
            alert.delivered_at = now
    return alerts
