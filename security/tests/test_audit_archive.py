"""Archiving old months of the audit log: refused for anything younger than 180 days, in month
order, and `verify_audit` still verifies across the archive's boundary."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from security.audit import ARCHIVED, AUDIT_CHAIN, KEYED_MARKER, audit_chain_verify, audit_record
from security.audit_archive import ArchiveRefused, audit_archive_month, audit_archives_verify
from security.models import AuditEvent
from tests.tampering import rewrite_as_database_superuser

pytestmark = pytest.mark.django_db


def _month(months_ago: int) -> datetime:
    today = timezone.localdate()
    year, month = divmod(today.year * 12 + today.month - 1 - months_ago, 12)
    return datetime(year, month + 1, 10, 9, 0, tzinfo=timezone.get_default_timezone())


def _old_event(when: datetime, action: str = "test.old", **fields) -> AuditEvent:
    """An event as audit_record links it, stamped `when` (audit_record stamps the present)."""
    event = AuditEvent(action=action, occurred_at=when, **fields)
    AUDIT_CHAIN.lock()
    AUDIT_CHAIN.link([event], keyed=True)
    event.save(force_insert=True)
    return event


@pytest.fixture
def log_since_eight_months():
    """A log that began eight months ago: its keyed marker, events of months 8 and 7 ago, and now."""
    rewrite_as_database_superuser("DELETE FROM security_auditevent", [])
    marker = _old_event(_month(8), action=KEYED_MARKER, details={"chain": "audit", "plain_until": 0})
    old = [_old_event(_month(8) + timedelta(hours=n)) for n in range(3)]
    older_second = [_old_event(_month(7) + timedelta(hours=n)) for n in range(2)]
    recent = audit_record(actor=None, action="test.recent")
    return marker, old, older_second, recent


def _label(months_ago: int) -> str:
    return f"{_month(months_ago):%Y-%m}"


def test_a_month_younger_than_180_days_is_refused(log_since_eight_months):
    with pytest.raises(ArchiveRefused, match="at least 180 days"):
        audit_archive_month(month=f"{timezone.localdate():%Y-%m}")
    with pytest.raises(CommandError, match="Cybersecurity Law"):
        call_command("archive_audit", _label(5), database="default")
    assert AuditEvent.objects.count() == 7


def test_months_are_archived_oldest_first_and_verified_across_the_boundary(log_since_eight_months, settings):
    marker, old, older_second, recent = log_since_eight_months
    with pytest.raises(ArchiveRefused, match="oldest first"):
        audit_archive_month(month=_label(7))
    call_command("archive_audit", _label(8), database="default")
    remaining = list(AuditEvent.objects.order_by("id"))
    assert remaining[0] == older_second[0]
    assert remaining[0].prev_hash == old[-1].hash
    assert AuditEvent.objects.get(action=ARCHIVED).details["keyed_after"] == {"audit": 0}
    assert audit_chain_verify().intact
    call_command("verify_audit", archives=True)
    # The next month, whose events link to the first archive's.
    result = audit_archive_month(month=_label(7))
    assert (result.rows, result.first_position) == (2, older_second[0].pk)
    assert audit_chain_verify().intact
    assert audit_archives_verify() == []
    new = audit_record(actor=None, action="test.after")
    assert new.hash == AUDIT_CHAIN.hash_of(new, keyed=True)  # the marker went with its month; still keyed
    assert audit_chain_verify().intact
    # An archive file changed afterwards is found.
    (archive,) = Path(settings.AUDIT_ARCHIVE_DIR, "audit").glob(f"*{_label(8)}*.jsonl")
    archive.chmod(0o644)
    archive.write_text(archive.read_text().replace("test.old", "test.new", 1))
    assert "differs from its signed manifest" in audit_archives_verify()[0]


def test_rows_removed_at_the_archive_boundary_are_found(log_since_eight_months):
    marker, old, older_second, recent = log_since_eight_months
    audit_archive_month(month=_label(8))
    rewrite_as_database_superuser("DELETE FROM security_auditevent WHERE id = %s", [older_second[0].pk])
    report = audit_chain_verify()
    assert (report.broken_id, "link" in report.reason) == (older_second[1].pk, True)


def test_the_append_only_trigger_is_on_again_after_archiving(log_since_eight_months):
    # The owner switches it off for the archive's deletion only, in that transaction.
    audit_archive_month(month=_label(8))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM security_auditevent")
