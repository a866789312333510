import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from core.hash_chain import GENESIS_HASH
from security.audit import audit_chain_verify, audit_record
from security.models import AuditEvent
from tests.tampering import rewrite_as_database_superuser

pytestmark = pytest.mark.django_db


def _record_three(actor=None):
    return [audit_record(actor=actor, action=f"test.step{n}", details={"n": n}) for n in range(3)]


def test_events_link_into_a_chain(make_user):
    user = make_user()
    first, second, third = _record_three(actor=user)
    start = AuditEvent.objects.filter(pk__lt=first.pk).order_by("-pk").values_list("hash", flat=True).first()
    assert first.prev_hash == (start or GENESIS_HASH)
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert third.actor == user and third.actor_username == user.username
    assert audit_chain_verify().intact


def test_verify_audit_command_reports_an_intact_chain(capsys):
    _record_three()
    call_command("verify_audit")
    assert "intact" in capsys.readouterr().out


def test_the_orm_refuses_to_change_or_delete_events():
    event = audit_record(actor=None, action="test.one")
    event.action = "test.changed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="test.changed")
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.one"


def test_the_database_refuses_raw_updates_and_deletes():
    event = audit_record(actor=None, action="test.one")
    for sql in (
        "UPDATE security_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM security_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, action="test.one").exists()


def test_a_tampered_event_is_found():
    _first, second, _third = _record_three()
    rewrite_as_database_superuser("UPDATE security_auditevent SET details = '{\"n\": 99}' WHERE id = %s", [second.pk])
    report = audit_chain_verify()
    assert report.broken_id == second.pk
    assert "content" in report.reason
    with pytest.raises(CommandError, match=f"broken at event {second.pk}"):
        call_command("verify_audit")


def test_a_removed_event_is_found():
    _first, second, third = _record_three()
    rewrite_as_database_superuser("DELETE FROM security_auditevent WHERE id = %s", [second.pk])
    report = audit_chain_verify()
    assert report.broken_id == third.pk
    assert "link" in report.reason


def test_a_rehashed_forgery_still_breaks_the_next_link():
    first, second, third = _record_three()
    forged = AuditEvent.objects.get(pk=second.pk)
    forged.action = "test.innocent"
    from security.audit import AUDIT_CHAIN

    rewrite_as_database_superuser(
        "UPDATE security_auditevent SET action = %s, hash = %s WHERE id = %s",
        ["test.innocent", AUDIT_CHAIN.hash_of(forged), second.pk],
    )
    assert audit_chain_verify().broken_id == third.pk


@pytest.mark.django_db(transaction=True)
def test_verify_audit_exits_non_zero_from_the_shell():
    import os
    import subprocess
    import sys

    from django.conf import settings

    _first, second, _third = _record_three()
    rewrite_as_database_superuser("UPDATE security_auditevent SET action = 'x' WHERE id = %s", [second.pk])
    db = connection.settings_dict
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "portal.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "verify_audit"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert f"broken at event {second.pk}" in result.stderr


def test_request_address_is_recorded(client, tree, residents, make_user, login):
    from security.models import Role

    worker = make_user(Role.GRID_WORKER, tree.g1)
    login(worker)
    client.post(
        f"/residents/{residents.r1.public_id}/reveal/", {"purpose": "handle_request"}, REMOTE_ADDR="203.0.113.7"
    )
    event = AuditEvent.objects.filter(action="resident.reveal").latest("id")
    assert event.ip_address == "203.0.113.7"
    assert event.actor == worker


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain():
    """Eight threads append at once; the advisory lock keeps every event linked to the one before."""
    errors = []

    def write(n):
        try:
            for i in range(5):
                audit_record(actor=None, action="test.concurrent", details={"thread": n, "i": i})
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditEvent.objects.filter(action="test.concurrent").count() == 40
    assert audit_chain_verify().intact


def test_sign_in_sign_out_and_failures_are_recorded(client, make_user):
    from tests.factories import PASSWORD

    user = make_user()
    client.post("/accounts/login/", {"login": user.username, "password": "wrong"}, REMOTE_ADDR="198.51.100.4")
    failed = AuditEvent.objects.filter(action="auth.sign_in_failed").latest("id")
    assert failed.details == {"login": user.username}
    assert failed.ip_address == "198.51.100.4"
    assert "wrong" not in str(failed.details)

    client.post("/accounts/login/", {"login": user.username, "password": PASSWORD})
    client.post("/accounts/logout/")
    actions = list(AuditEvent.objects.filter(actor=user).values_list("action", flat=True))
    assert actions[-2:] == ["auth.sign_in", "auth.sign_out"]
