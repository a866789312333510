"""The audit log against someone who owns its tables: keyed hashes they cannot recompute without
the key, checkpoints outside the database that find a truncated, shortened or rewritten log, the
portal's own role refused TRUNCATE, UPDATE and DELETE, a restore accepted, auditors alerted."""

import hashlib
import json
import os
from types import SimpleNamespace

import psycopg2
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from core import chain_checkpoints
from security.audit import AUDIT_CHAIN, KEYED_MARKER, RESTORED, audit_chain_verify, audit_record
from security.models import AuditEvent, SecurityAlert
from security.tasks import audit_chain_verify_task, audit_checkpoint_task
from tests.tampering import rewrite_as_database_superuser

pytestmark = pytest.mark.django_db


def _record(n):
    return [audit_record(actor=None, action="test.step", details={"n": i}) for i in range(n)]


def _rehash_from(event_id, **changes):
    """What an owner holding the key does: change a row and recompute every hash after it, so the
    chain in the table is consistent again."""
    rows = list(AuditEvent.objects.filter(pk__gte=event_id).order_by("id"))
    previous = AuditEvent.objects.filter(pk__lt=event_id).order_by("-id").values_list("hash", flat=True).first()
    for row in rows:
        if row.pk == event_id:
            for field, value in changes.items():
                setattr(row, field, value)
        row.prev_hash = previous
        row.hash = previous = AUDIT_CHAIN.hash_of(row, keyed=True)
    # Hashes first to temporary values: the unique constraints hold at every statement.
    for row in rows:
        rewrite_as_database_superuser(
            "UPDATE security_auditevent SET hash = %s, prev_hash = %s WHERE id = %s",
            [f"t{row.pk}", f"p{row.pk}", row.pk],
        )
    for row in rows:
        rewrite_as_database_superuser(
            "UPDATE security_auditevent SET action = %s, hash = %s, prev_hash = %s WHERE id = %s",
            [row.action, row.hash, row.prev_hash, row.pk],
        )


def test_new_events_are_keyed_after_the_marker():
    event = audit_record(actor=None, action="test.step")
    marker = AuditEvent.objects.get(action=KEYED_MARKER, details__chain="audit")
    assert marker.pk < event.pk
    assert event.hash == AUDIT_CHAIN.hash_of(event, keyed=True)
    assert event.hash != hashlib.sha256(AUDIT_CHAIN.canonical(event)).hexdigest()
    assert audit_chain_verify().intact


def test_a_plainly_recomputed_event_after_the_marker_is_found():
    _first, second, third = _record(3)
    forged = AuditEvent.objects.get(pk=third.pk)
    forged.action = "test.innocent"
    rewrite_as_database_superuser(
        "UPDATE security_auditevent SET action = %s, hash = %s WHERE id = %s",
        ["test.innocent", AUDIT_CHAIN.hash_of(forged, keyed=False), third.pk],
    )
    report = audit_chain_verify()
    assert (report.broken_id, "content" in report.reason) == (third.pk, True)


def test_the_area_of_the_target_is_recorded_and_covered_by_the_hash(tree):
    event = audit_record(actor=None, action="test.step", target=tree.g1)
    assert event.area_id == tree.g1.pk
    rewrite_as_database_superuser("UPDATE security_auditevent SET area_id = %s WHERE id = %s", [tree.s1.pk, event.pk])
    assert audit_chain_verify().broken_id == event.pk


def test_a_truncated_log_is_reported_against_the_checkpoint():
    events = _record(3)
    assert audit_checkpoint_task() == events[-1].pk
    # In the test's transaction the rows' foreign-key checks would still be pending.
    rewrite_as_database_superuser("SET CONSTRAINTS ALL IMMEDIATE", [])
    rewrite_as_database_superuser("TRUNCATE security_auditevent", [])
    report = audit_chain_verify()
    assert not report.intact
    assert "truncated or its newest rows removed" in report.reason
    with pytest.raises(CommandError, match="truncated"):
        call_command("verify_audit")


def test_deleted_newest_rows_covered_by_a_checkpoint_are_reported():
    first, second, third = _record(3)
    audit_checkpoint_task()
    rewrite_as_database_superuser("DELETE FROM security_auditevent WHERE id >= %s", [second.pk])
    assert AuditEvent.objects.order_by("-id").first().pk == first.pk  # the table's own chain is intact
    report = audit_chain_verify()
    assert report.broken_id == third.pk
    assert "newest rows removed" in report.reason


def test_rows_rewritten_with_recomputed_hashes_are_reported():
    first, second, third = _record(3)
    audit_checkpoint_task()
    _rehash_from(second.pk, action="test.innocent")
    # Without checkpoints this rewrite is undetectable: the chain in the table is consistent.
    assert AUDIT_CHAIN.verify(AuditEvent.objects.order_by("id")).intact
    report = audit_chain_verify()
    assert report.broken_id == third.pk
    assert "rewritten" in report.reason
    with pytest.raises(CommandError, match=f"broken at event {third.pk}.*rewritten"):
        call_command("verify_audit")


def test_a_checkpoint_with_a_forged_signature_is_ignored(settings):
    _record(2)
    record = audit_checkpoint_task()
    assert record
    folder = os.path.join(settings.AUDIT_CHECKPOINT_DIR, "audit")
    (path,) = (os.path.join(folder, name) for name in os.listdir(folder))
    forged = open(path).read().replace('"count": ', '"count": 1')
    with open(os.path.join(folder, "29990101T000000Z-checkpoint-999999.json"), "w") as file:
        file.write(forged)
    records, invalid = chain_checkpoints.store_read("audit")
    assert (len(records), invalid) == (1, 1)
    assert audit_chain_verify().intact


def test_checkpoints_are_written_once(settings):
    _record(1)
    record = chain_checkpoints.checkpoint_write(AUDIT_CHAIN)
    with pytest.raises(FileExistsError):
        chain_checkpoints.store_write(record)


def test_a_checkpoint_is_queued_when_the_log_crosses_ten_thousand(django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr(audit_checkpoint_task, "delay", lambda *args: queued.append(args))
    audit_record(actor=None, action="test.step")  # the chain's marker exists from here on
    position = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    monkeypatch.setattr(chain_checkpoints, "CHECKPOINT_EVERY", position + 2)
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(actor=None, action="test.step")  # position + 1: not yet
    assert queued == []
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(actor=None, action="test.step")  # position + 2: crossed
    assert queued == [()]


def test_a_restore_from_backup_is_accepted_and_later_checkpoints_superseded():
    events = _record(5)
    audit_checkpoint_task()
    restored_to = events[2]
    rewrite_as_database_superuser("DELETE FROM security_auditevent WHERE id > %s", [restored_to.pk])
    assert not audit_chain_verify().intact
    with pytest.raises(CommandError, match="not 1"):
        call_command("audit_restored", position=1)
    call_command("audit_restored", position=restored_to.pk, note="INC-42")
    restore = AuditEvent.objects.get(action=RESTORED)
    assert restore.details["restored_to"]["position"] == restored_to.pk
    statement = {key: value for key, value in restore.details.items() if key != "signature"}
    assert chain_checkpoints.signature_valid(statement, restore.details["signature"])
    assert audit_chain_verify().intact
    _record(2)
    audit_checkpoint_task()
    assert audit_chain_verify().intact
    # The restore record still vouches for what was restored.
    rewrite_as_database_superuser("UPDATE security_auditevent SET action = 'x' WHERE id = %s", [restored_to.pk])
    assert audit_chain_verify().broken_id == restored_to.pk


def test_a_failed_check_alerts_the_auditors():
    first, second, third = _record(3)
    audit_checkpoint_task()
    rewrite_as_database_superuser("DELETE FROM security_auditevent WHERE id = %s", [third.pk])
    result = audit_chain_verify_task()
    assert result["broken_event_id"] == third.pk
    alert = SecurityAlert.objects.get(kind="chain_check_failed")
    assert alert.details["chain"] == "audit"
    assert "removed" in alert.summary
    audit_chain_verify_task()  # a second run of the same failure raises no second alert
    assert SecurityAlert.objects.filter(kind="chain_check_failed").count() == 1


def test_the_database_refuses_truncate_to_anyone_but_a_superuser():
    audit_record(actor=None, action="test.step")
    role = f"log_truncater_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"CREATE ROLE {role}")
        tables = ("security_auditevent", "exchange_messagelogentry, exchange_deliveryattempt")
        cursor.execute(f"GRANT TRUNCATE ON {', '.join(tables)} TO {role}")
        cursor.execute(f"SET ROLE {role}")
        for table in tables:
            cursor.execute("SAVEPOINT truncating")
            with pytest.raises(psycopg2.Error, match="append-only: TRUNCATE"):
                cursor.cursor.execute(f"TRUNCATE {table}")
            cursor.execute("ROLLBACK TO SAVEPOINT truncating")
        cursor.execute("RESET ROLE")
    assert AuditEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_portals_role_is_refused_truncate_update_and_delete_on_both_logs():
    audit_record(actor=None, action="test.step")
    role = f"portal_app_test_{os.getpid()}"
    call_command("database_roles", role=role, database="default")
    settings_dict = connection.settings_dict
    portal = psycopg2.connect(
        host=settings_dict["HOST"], port=settings_dict["PORT"], dbname=settings_dict["NAME"], user=role
    )
    portal.autocommit = True
    try:
        with portal.cursor() as cursor:
            for table in ("security_auditevent", "exchange_messagelogentry"):
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - our own table names
                for statement in (f"TRUNCATE {table}", f"UPDATE {table} SET hash = hash", f"DELETE FROM {table}"):  # noqa: S608
                    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                        cursor.execute(statement)
            # Everything else is the portal's to change, and the log still takes new events.
            cursor.execute("UPDATE directory_area SET name_en = name_en WHERE false")
            cursor.execute("DELETE FROM directory_area WHERE false")
            cursor.execute("SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)")
            assert cursor.fetchone() == (role, False)
    finally:
        portal.close()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")
    assert AuditEvent.objects.filter(action="test.step").count() == 1


@pytest.fixture
def checkpoint_service(settings, monkeypatch):
    """An https:// checkpoint store: what would leave the machine is kept in a list."""
    from core import outbound_http

    settings.AUDIT_CHECKPOINT_URL = "https://checkpoints.example.cn/records"
    held, calls = [], []
    monkeypatch.setattr(outbound_http, "resolve", lambda host, port: ["203.0.113.5"])

    def post(*, target, body, headers, timeout):
        calls.append(("POST", target.url, target.address))
        held.append(json.loads(body))
        return outbound_http.Answer(status=201, excerpt="")

    def fetch(*, target, url, timeout, limit=0):
        calls.append(("GET", url, target.address))
        return json.dumps(held).encode()

    monkeypatch.setattr(outbound_http, "post", post)
    monkeypatch.setattr(outbound_http, "fetch", fetch)
    return SimpleNamespace(held=held, calls=calls)


def test_checkpoints_can_go_to_an_https_store(checkpoint_service, settings):
    first, second = _record(2)
    audit_checkpoint_task()
    assert checkpoint_service.held[0]["position"] == second.pk
    assert not os.path.exists(settings.AUDIT_CHECKPOINT_DIR)
    rewrite_as_database_superuser("DELETE FROM security_auditevent WHERE id = %s", [second.pk])
    assert "newest rows removed" in audit_chain_verify().reason
    assert ("GET", "https://checkpoints.example.cn/records?chain=audit", "203.0.113.5") in checkpoint_service.calls


def test_a_store_that_cannot_be_read_fails_the_check(checkpoint_service, monkeypatch):
    from core import outbound_http

    _record(1)

    def down(**kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(outbound_http, "fetch", down)
    report = audit_chain_verify()
    assert (report.intact, "could not be read" in report.reason) == (False, True)
    with pytest.raises(chain_checkpoints.CheckpointStoreError):
        audit_checkpoint_task()
