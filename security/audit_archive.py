"""Archiving whole months of the audit log, oldest first, once they are past the legal minimum.

The Cybersecurity Law (art. 21) requires network logs to be kept for at least six months; the
portal keeps every event at least AUDIT_RETENTION_DAYS (180) days in the table and refuses to
remove anything younger. An archived month moves to a signed file (core.chain_archive); the rows
are deleted by the tables' owner, and `verify_audit` carries on across the boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from core import chain_archive, chain_checkpoints
from core.hash_chain import GENESIS_HASH
from security.audit import (
    ARCHIVED,
    AUDIT_CHAIN,
    KEYED_MARKER,
    audit_chain_check,
    audit_record,
    chain_keyed_after,
)
from security.models import AuditEvent

AUDIT_RETENTION_DAYS = 180
APPEND_ONLY_TRIGGER = "security_auditevent_append_only"
STRAGGLER_TOLERANCE = timedelta(hours=1)


class ArchiveRefused(Exception):
    """The month may not, or cannot, be archived; the message says why."""


@dataclass(frozen=True)
class ArchiveResult:
    month: str
    rows: int
    first_position: int
    last_position: int
    file: str


def _month_bounds(month: str) -> tuple[datetime, datetime]:
    try:
        first_day = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise ArchiveRefused(f"{month!r} is not a month; give it as YYYY-MM, e.g. 2026-03.") from None
    next_month = (first_day.replace(day=28) + timedelta(days=4)).replace(day=1)
    zone = timezone.get_default_timezone()
    return (
        datetime.combine(first_day, datetime.min.time(), tzinfo=zone),
        datetime.combine(next_month, datetime.min.time(), tzinfo=zone),
    )


def _chains_keyed_after() -> dict:
    # The markers may be among the archived events: the archive event carries them forward.
    chains = AuditEvent.objects.filter(action__in=[KEYED_MARKER, ARCHIVED]).values_list("details", flat=True)
    names = set()
    for details in chains:
        names.add(details.get("chain"))
        names.update((details.get("keyed_after") or {}).keys())
    return {name: after for name in sorted(n for n in names if n) if (after := chain_keyed_after(name)) is not None}


def audit_archive_month(*, month: str, using: str = "default", now: datetime | None = None) -> ArchiveResult:
    """Archive the audit events of `month` (YYYY-MM, Asia/Shanghai) to a signed file and delete them.

    Refused, changing nothing, when any of them is younger than AUDIT_RETENTION_DAYS days, when
    older events are still in the table (archive those first), or when the chain does not verify.
    Run as the tables' owner (`using`); the portal's own role may not delete log rows.
    """
    now = now or timezone.now()
    month_start, month_end = _month_bounds(month)
    keep_from = now - timedelta(days=AUDIT_RETENTION_DAYS)
    if month_end > keep_from:
        raise ArchiveRefused(
            f"Events of {month} may not be removed yet: the audit log keeps every event at least "
            f"{AUDIT_RETENTION_DAYS} days (Cybersecurity Law, art. 21: logs kept at least six months). "
            f"{month} can be archived from {(month_end + timedelta(days=AUDIT_RETENTION_DAYS)):%Y-%m-%d}."
        )
    bounds = AuditEvent.objects.aggregate(oldest=Min("occurred_at"))
    # Ids follow the chain and times almost: an event stamped just before midnight may be linked
    # after the first of the next month's, and so stays behind when its month is archived.
    if bounds["oldest"] is not None and bounds["oldest"] < month_start - STRAGGLER_TOLERANCE:
        raise ArchiveRefused(
            f"Older events are still in the table (from {timezone.localtime(bounds['oldest']):%Y-%m}): "
            "archive the months in order, oldest first."
        )
    last_position = AuditEvent.objects.filter(occurred_at__lt=month_end).aggregate(last=Max("id"))["last"]
    if last_position is None:
        raise ArchiveRefused(f"There are no audit events of {month} in the table.")
    newest = AuditEvent.objects.filter(pk__lte=last_position).aggregate(newest=Max("occurred_at"))["newest"]
    if newest > keep_from:
        raise ArchiveRefused(f"An event up to id {last_position} is younger than {AUDIT_RETENTION_DAYS} days.")
    check = audit_chain_check()
    if not check.intact:
        raise ArchiveRefused(f"The audit chain does not verify ({check.problem}); nothing was archived.")
    expected = chain_checkpoints.expectations(AUDIT_CHAIN.name)
    rows = list(AuditEvent.objects.filter(pk__lte=last_position).order_by("id"))
    if expected.start is not None:
        rows = [row for row in rows if row.pk > expected.start.position]
    keyed_after = _chains_keyed_after()
    record = chain_archive.archive_write(
        chain=AUDIT_CHAIN, rows=rows, label=month, start=expected.start, extra={"keyed_after": keyed_after}
    )
    # Recorded before the rows go, so the chains' keyed boundaries are never out of the table.
    with transaction.atomic():
        audit_record(
            actor=None,
            action=ARCHIVED,
            details={
                "chain": AUDIT_CHAIN.name,
                "month": month,
                "first_position": rows[0].pk,
                "last_position": last_position,
                "rows": len(rows),
                "file": record.extra["file"],
                "file_sha256": record.extra["file_sha256"],
                "keyed_after": keyed_after,
            },
        )
    with transaction.atomic(using=using):
        chain_archive.archive_delete(
            chain=AUDIT_CHAIN, up_to=last_position, append_only_trigger=APPEND_ONLY_TRIGGER, using=using
        )
    return ArchiveResult(month, len(rows), rows[0].pk, last_position, record.extra["file"])


def audit_archives_verify() -> list[str]:
    """Re-walk every archive file against its signed manifest, oldest first; the problems found."""
    records, _invalid = chain_checkpoints.store_read(AUDIT_CHAIN.name)
    archives = sorted((r for r in records if r.kind == chain_checkpoints.ARCHIVE), key=lambda r: r.position)
    problems = []
    previous_hash = GENESIS_HASH
    for record in archives:
        if record.extra["first_prev_hash"] != previous_hash:
            problems.append(f"the archive {record.extra['file']} does not link to the archive before it")
        report = chain_archive.archive_file_verify(chain=AUDIT_CHAIN, record=record, previous_hash=previous_hash)
        if not report.intact:
            problems.append(f"{record.extra['file']}: {report.reason}")
        previous_hash = record.hash
    return problems
