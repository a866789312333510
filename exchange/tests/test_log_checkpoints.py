"""The exchange message log against someone who owns its tables, as the audit log is tested
(security/tests/test_audit_checkpoints.py): keyed hashes, signed checkpoints outside the database
that find a truncated, shortened or rewritten log, a restore accepted, auditors alerted."""

import hashlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from exchange.models import MessageLogEntry
from exchange.services import exchange_job_request, exchange_job_run
from exchange.services.log import MESSAGE_LOG_CHAIN, message_log_verify
from exchange.tasks import exchange_log_checkpoint_task, exchange_log_verify_task
from security.audit import KEYED_MARKER, RESTORED
from security.models import AuditEvent, SecurityAlert
from tests.tampering import rewrite_as_database_superuser

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(active, residents, parties):
    agreement = active()

    def run():
        job = exchange_job_request(actor=parties.consumer_officer, agreement=agreement)
        return exchange_job_run(job_id=job.pk)

    return [run() for _ in range(3)]


def test_entries_are_keyed_after_the_logs_marker(entries):
    marker = AuditEvent.objects.get(action=KEYED_MARKER, details__chain="exchange-log")
    assert marker.details["plain_until"] < entries[0].pk
    entry = entries[0]
    assert entry.hash == MESSAGE_LOG_CHAIN.hash_of(entry, keyed=True)
    assert entry.hash != hashlib.sha256(MESSAGE_LOG_CHAIN.canonical(entry)).hexdigest()
    assert message_log_verify().intact


def test_a_truncated_log_is_reported_against_the_checkpoint(entries):
    assert exchange_log_checkpoint_task() == entries[-1].pk
    rewrite_as_database_superuser("SET CONSTRAINTS ALL IMMEDIATE", [])
    rewrite_as_database_superuser("TRUNCATE exchange_messagelogentry, exchange_deliveryattempt", [])
    report = message_log_verify()
    assert "truncated or its newest rows removed" in report.reason
    with pytest.raises(CommandError, match="truncated"):
        call_command("verify_exchange_log")


def test_deleted_newest_entries_covered_by_a_checkpoint_are_reported(entries):
    exchange_log_checkpoint_task()
    rewrite_as_database_superuser("DELETE FROM exchange_messagelogentry WHERE id = %s", [entries[-1].pk])
    report = message_log_verify()
    assert (report.broken_id, "newest rows removed" in report.reason) == (entries[-1].pk, True)


def test_entries_rewritten_with_recomputed_hashes_are_reported(entries):
    """The payload's file name is not in the provider's signed manifest: with the key, an owner
    can point an entry at another file and relink the chain, and only the checkpoint tells."""
    exchange_log_checkpoint_task()
    rows = list(MessageLogEntry.objects.filter(pk__gte=entries[1].pk).order_by("id"))
    previous = entries[0].hash
    for row in rows:
        if row.pk == entries[1].pk:
            row.payload_name = "elsewhere.jsonl"
        row.prev_hash = previous
        row.hash = previous = MESSAGE_LOG_CHAIN.hash_of(row, keyed=True)
    for row in rows:
        rewrite_as_database_superuser(
            "UPDATE exchange_messagelogentry SET hash = %s, prev_hash = %s WHERE id = %s",
            [f"t{row.pk}", f"p{row.pk}", row.pk],
        )
    for row in rows:
        rewrite_as_database_superuser(
            "UPDATE exchange_messagelogentry SET payload_name = %s, hash = %s, prev_hash = %s WHERE id = %s",
            [row.payload_name, row.hash, row.prev_hash, row.pk],
        )
    report = message_log_verify()
    assert (report.broken_id, "rewritten" in report.reason) == (entries[-1].pk, True)


def test_a_restore_is_accepted(entries):
    exchange_log_checkpoint_task()
    rewrite_as_database_superuser("DELETE FROM exchange_messagelogentry WHERE id > %s", [entries[0].pk])
    assert not message_log_verify().intact
    call_command("exchange_log_restored", position=entries[0].pk, note="restored from the 02:00 backup")
    restore = AuditEvent.objects.get(action=RESTORED)
    assert restore.details["chain"] == "exchange-log"
    assert message_log_verify().intact


def test_a_failed_check_alerts_the_auditors(entries):
    exchange_log_checkpoint_task()
    rewrite_as_database_superuser("DELETE FROM exchange_messagelogentry WHERE id = %s", [entries[-1].pk])
    assert exchange_log_verify_task()["broken_entry_id"] == entries[-1].pk
    alert = SecurityAlert.objects.get(kind="chain_check_failed")
    assert alert.details["chain"] == "exchange-log"
