import json
import socket
from datetime import timedelta
from functools import partial

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from core.leased import REQUEUE_AFTER, SENDING_LEASE
from notifications.models import Channel, Notification, NotificationPreference, OutboxMessage, OutboxStatus
from notifications.services import (
    MAX_ATTEMPTS,
    notification_mark_all_read,
    notification_mark_read,
    notification_preference_update,
    notify,
    outbox_deliver,
    outbox_sweep,
)
from notifications.tasks import outbox_deliver_task
from notifications.tests.conftest import PHONE, make_due, message_on, record_event
from security import personal_data
from security.models import AuditEvent

pytestmark = pytest.mark.django_db


def queued_message_ids(callbacks) -> list[int]:
    """The ids that captured on-commit callbacks would hand to the delivery task, after the JSON
    round trip the broker puts them through."""
    ids = []
    for callback in callbacks:
        assert isinstance(callback, partial)
        assert callback.func in (outbox_deliver_task.delay, outbox_deliver_task.apply_async)
        args = callback.args if callback.func == outbox_deliver_task.delay else callback.args[0]
        assert json.loads(json.dumps(list(args))) == list(args)
        ids.extend(args)
    return ids


def _set(message, **fields):
    OutboxMessage.objects.filter(pk=message.pk).update(**fields)


# --- notify ------------------------------------------------------------------------------------
def test_notify_records_in_app_and_email_by_default(recipient):
    messages = record_event(recipient)
    assert sorted(m.channel for m in messages) == [Channel.EMAIL, Channel.IN_APP]
    assert {m.key for m in messages} == {"request:1:status:1:in_app", "request:1:status:1:email"}
    assert all(m.status == OutboxStatus.PENDING and m.recipient == recipient for m in messages)


def test_notify_follows_the_recipients_channels(make_user, sms_recipient):
    no_address = make_user(email="")
    assert [m.channel for m in record_event(no_address, key="a")] == [Channel.IN_APP]
    assert sorted(m.channel for m in record_event(sms_recipient, key="b")) == [
        Channel.EMAIL,
        Channel.IN_APP,
        Channel.SMS,
    ]
    notification_preference_update(user=sms_recipient, email=False, sms=False)
    assert [m.channel for m in record_event(sms_recipient, key="c")] == [Channel.IN_APP]


def test_notify_queues_each_new_row_for_delivery_after_commit(recipient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        messages = record_event(recipient)
    assert sorted(queued_message_ids(callbacks)) == sorted(m.pk for m in messages)


def test_notify_twice_with_the_same_key_creates_and_queues_nothing_new(recipient, django_capture_on_commit_callbacks):
    first = record_event(recipient)
    with django_capture_on_commit_callbacks() as callbacks:
        again = record_event(recipient, title="A different title")
    assert [m.pk for m in again] == [m.pk for m in first]
    assert OutboxMessage.objects.count() == 2
    assert callbacks == []


def test_notify_rolls_back_with_the_callers_transaction(recipient):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipient=recipient, kind="request.status", title="t", body="b", key="rolled-back")
        raise RuntimeError("the event failed")
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_notify_outside_a_transaction_is_refused(recipient):
    with pytest.raises(TransactionManagementError):
        notify(recipient=recipient, kind="request.status", title="t", body="b", key="no-transaction")
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize(
    "bad", [{"key": ""}, {"kind": ""}, {"link": "https://elsewhere.example/"}, {"link": "//elsewhere.example/"}]
)
def test_notify_refuses_malformed_events(recipient, bad):
    with pytest.raises(ValueError):
        record_event(recipient, **({"key": "k"} | bad))
    assert not OutboxMessage.objects.exists()


def test_notify_keeps_the_title_to_one_line(recipient):
    messages = record_event(recipient, title="Resolved\nBcc: someone@example.test")
    assert {m.title for m in messages} == {"Resolved Bcc: someone@example.test"}


# --- delivery ----------------------------------------------------------------------------------
def test_queued_delivery_lands_in_the_inbox_and_the_mailbox(recipient, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        record_event(recipient)
    for message_id in queued_message_ids(callbacks):
        assert outbox_deliver_task.apply(args=[message_id]).get() == OutboxStatus.SENT

    entry = Notification.objects.get(recipient=recipient)
    assert (entry.title, entry.link, entry.read_at) == ("Your request was resolved", "/requests/1/", None)
    assert [mail.to for mail in mailoutbox] == [["li@example.test"]]
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(OutboxStatus.SENT, 1)}


def test_delivering_the_same_message_twice_makes_one_inbox_entry(recipient):
    in_app = message_on(record_event(recipient), Channel.IN_APP)
    assert outbox_deliver(message_id=in_app.pk).status == OutboxStatus.SENT
    assert outbox_deliver(message_id=in_app.pk) is None

    # A worker that wrote the entry but died before marking the row sent: the retry adds nothing.
    _set(in_app, status=OutboxStatus.PENDING, next_attempt_at=timezone.now())
    assert outbox_deliver(message_id=in_app.pk).status == OutboxStatus.SENT
    assert Notification.objects.filter(recipient=recipient).count() == 1


def test_a_claimed_message_is_not_delivered_by_a_second_worker(recipient):
    in_app = message_on(record_event(recipient), Channel.IN_APP)
    OutboxMessage.objects.filter(pk=in_app.pk).update(
        status=OutboxStatus.SENDING, next_attempt_at=timezone.now() + SENDING_LEASE
    )
    assert outbox_deliver(message_id=in_app.pk) is None
    assert not Notification.objects.exists()


def test_email_carries_a_message_id_stable_across_redelivery(recipient, mailoutbox, settings):
    settings.PORTAL_URL = "https://portal.example.cn"
    email = message_on(record_event(recipient), Channel.EMAIL)
    outbox_deliver(message_id=email.pk)
    _set(email, status=OutboxStatus.PENDING, next_attempt_at=timezone.now())  # as after a crash
    outbox_deliver(message_id=email.pk)

    first, second = (mail.message() for mail in mailoutbox)
    assert first["Message-ID"] == second["Message-ID"]
    assert first["X-Idempotency-Key"] == "request:1:status:1:email"
    assert first["Subject"] == "Your request was resolved"
    assert "https://portal.example.cn/requests/1/" in mailoutbox[0].body
    other = message_on(record_event(recipient, key="request:1:status:2"), Channel.EMAIL)
    outbox_deliver(message_id=other.pk)
    assert mailoutbox[2].message()["Message-ID"] != first["Message-ID"]


def test_sms_goes_through_the_file_backend(sms_recipient, settings, tmp_path):
    settings.SMS_BACKEND = "notifications.channels.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    sms = message_on(record_event(sms_recipient), Channel.SMS)
    assert outbox_deliver(message_id=sms.pk).status == OutboxStatus.SENT
    [line] = (tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    sent = json.loads(line)
    assert sent["to"] == PHONE
    assert sent["key"] == "request:1:status:1:sms"
    assert sent["text"].startswith("Your request was resolved\nThe street light")


def test_an_sms_file_in_a_missing_folder_fails_for_good(sms_recipient, settings, tmp_path):
    settings.SMS_BACKEND = "notifications.channels.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "missing" / "sms.jsonl")
    sms = message_on(record_event(sms_recipient), Channel.SMS)
    outbox_deliver(message_id=sms.pk)
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (OutboxStatus.FAILED, 1)
    assert "cannot write SMS file" in sms.last_error


def test_a_transient_gateway_failure_is_retried_after_a_backoff(
    sms_recipient, sms_gateway, django_capture_on_commit_callbacks
):
    sms_gateway.answers = [(503, 0)]
    sms = message_on(record_event(sms_recipient), Channel.SMS)

    with django_capture_on_commit_callbacks() as callbacks:
        before = timezone.now()
        assert outbox_deliver(message_id=sms.pk).status == OutboxStatus.PENDING
    sms.refresh_from_db()
    assert sms.attempts == 1
    assert "503" in sms.last_error
    assert before + timedelta(seconds=29) < sms.next_attempt_at < timezone.now() + timedelta(seconds=31)
    assert queued_message_ids(callbacks) == [sms.pk]
    assert callbacks[0].keywords == {"countdown": 30}

    assert outbox_deliver(message_id=sms.pk) is None  # not due yet
    make_due(sms)
    assert outbox_deliver(message_id=sms.pk).status == OutboxStatus.SENT
    sms.refresh_from_db()
    assert (sms.attempts, sms.last_error) == (2, "")

    first, second = sms_gateway.received
    assert first["body"] == second["body"] == {"to": PHONE, "text": first["body"]["text"], "key": sms.key}
    assert first["headers"]["Idempotency-Key"] == second["headers"]["Idempotency-Key"] == sms.key
    assert first["headers"]["Authorization"] == "Bearer gateway-token"


def test_backoff_grows_then_gives_up_after_five_attempts(sms_recipient, sms_gateway):
    sms_gateway.answers = [(503, 0)] * MAX_ATTEMPTS
    sms = message_on(record_event(sms_recipient), Channel.SMS)
    waits = []
    for _ in range(MAX_ATTEMPTS):
        make_due(sms)
        started = timezone.now()
        outbox_deliver(message_id=sms.pk)
        sms.refresh_from_db()
        if sms.status == OutboxStatus.PENDING:
            waits.append(round((sms.next_attempt_at - started).total_seconds() / 10) * 10)
    assert waits == [30, 120, 480, 1920]
    assert (sms.status, sms.attempts) == (OutboxStatus.FAILED, MAX_ATTEMPTS)
    assert sms.last_error.startswith("gave up after 5 attempts")
    make_due(sms)
    assert outbox_deliver(message_id=sms.pk) is None
    assert len(sms_gateway.received) == MAX_ATTEMPTS


def test_a_refused_message_fails_at_once(sms_recipient, sms_gateway):
    sms_gateway.answers = [(400, 0)]
    sms = message_on(record_event(sms_recipient), Channel.SMS)
    outbox_deliver(message_id=sms.pk)
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (OutboxStatus.FAILED, 1)
    assert "400" in sms.last_error


def test_a_slow_gateway_is_a_transient_failure(sms_recipient, sms_gateway):
    sms_gateway.answers = [(200, 1.5)]  # longer than the 0.5 s timeout
    sms = message_on(record_event(sms_recipient), Channel.SMS)
    outbox_deliver(message_id=sms.pk)
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (OutboxStatus.PENDING, 1)
    assert "unreachable" in sms.last_error


def test_an_unreachable_gateway_is_a_transient_failure(sms_recipient, settings):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.SMS_BACKEND = "notifications.channels.HttpSmsBackend"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{port}/send"
    sms = message_on(record_event(sms_recipient), Channel.SMS)
    outbox_deliver(message_id=sms.pk)
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (OutboxStatus.PENDING, 1)


def test_no_sms_after_the_recipient_turned_sms_off(sms_recipient, sms_gateway):
    sms = message_on(record_event(sms_recipient), Channel.SMS)
    notification_preference_update(user=sms_recipient, email=True, sms=False)
    outbox_deliver(message_id=sms.pk)
    sms.refresh_from_db()
    assert sms.status == OutboxStatus.FAILED
    assert sms.last_error == "the recipient has turned SMS off"
    assert sms_gateway.received == []


# --- the sweep ---------------------------------------------------------------------------------
def test_the_sweep_requeues_lost_and_stuck_messages_only(make_user, django_capture_on_commit_callbacks):
    now = timezone.now()
    rows = {
        name: message_on(record_event(make_user(email=""), key=name), Channel.IN_APP)
        for name in ("crashed", "exhausted", "working", "lost", "just_queued", "backing_off", "sent")
    }
    _set(rows["crashed"], status=OutboxStatus.SENDING, attempts=1, next_attempt_at=now - timedelta(seconds=1))
    _set(rows["exhausted"], status=OutboxStatus.SENDING, attempts=MAX_ATTEMPTS, next_attempt_at=now)
    _set(rows["working"], status=OutboxStatus.SENDING, attempts=1, next_attempt_at=now + timedelta(minutes=5))
    _set(rows["lost"], next_attempt_at=now - REQUEUE_AFTER - timedelta(seconds=1))
    _set(rows["backing_off"], attempts=1, next_attempt_at=now + timedelta(minutes=2))
    _set(rows["sent"], status=OutboxStatus.SENT, next_attempt_at=now - timedelta(hours=1))

    with django_capture_on_commit_callbacks() as callbacks:
        queued = outbox_sweep()

    assert queued == sorted([rows["crashed"].pk, rows["lost"].pk])
    assert sorted(queued_message_ids(callbacks)) == queued
    status = dict(OutboxMessage.objects.values_list("key", "status"))
    assert status["crashed:in_app"] == OutboxStatus.PENDING
    assert status["exhausted:in_app"] == OutboxStatus.FAILED
    assert status["working:in_app"] == OutboxStatus.SENDING
    assert status["just_queued:in_app"] == status["backing_off:in_app"] == OutboxStatus.PENDING
    assert outbox_deliver(message_id=rows["crashed"].pk).status == OutboxStatus.SENT


# --- inbox and preferences ---------------------------------------------------------------------
def test_marking_read_touches_only_the_users_own_notifications(recipient, make_user):
    other = make_user()
    for user, key in ((recipient, "a"), (recipient, "b"), (other, "c")):
        outbox_deliver(message_id=message_on(record_event(user, key=key), Channel.IN_APP).pk)

    first = Notification.objects.filter(recipient=recipient).first()
    assert notification_mark_read(user=recipient, notification=first).read_at is not None
    with pytest.raises(PermissionDenied):
        notification_mark_read(user=other, notification=Notification.objects.filter(recipient=recipient).last())
    assert notification_mark_all_read(user=recipient) == 1
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 1


def test_preferences_store_the_number_encrypted_and_masked_and_are_audited(recipient):
    preference = notification_preference_update(user=recipient, email=False, sms=True, sms_phone="+86 138-1234-5678")
    stored = NotificationPreference.objects.get(user=recipient)
    assert (stored.email, stored.sms, stored.sms_phone_masked) == (False, True, "138****5678")
    assert PHONE not in stored.sms_phone_encrypted
    assert personal_data.decrypt(stored.sms_phone_encrypted) == PHONE
    event = AuditEvent.objects.get(action="notification_preference.update")
    assert event.details == {"email": False, "sms": True, "sms_phone": "changed", "urgent_notice_sms": True}
    assert PHONE not in json.dumps(event.details) and preference.pk == stored.pk


def test_a_blank_number_keeps_the_stored_one_and_turning_sms_off_deletes_it(sms_recipient):
    kept = notification_preference_update(user=sms_recipient, email=True, sms=True, sms_phone="")
    assert personal_data.decrypt(kept.sms_phone_encrypted) == PHONE
    off = notification_preference_update(user=sms_recipient, email=True, sms=False)
    assert (off.sms_phone_encrypted, off.sms_phone_masked) == ("", "")


@pytest.mark.parametrize(
    ("sms", "phone", "field"),
    [(True, "12345", "sms_phone"), (True, "", "sms_phone"), (False, "13812345678", "sms")],
)
def test_bad_preferences_are_refused_and_change_nothing(recipient, sms, phone, field):
    with pytest.raises(ValidationError) as refused:
        notification_preference_update(user=recipient, email=False, sms=sms, sms_phone=phone)
    assert set(refused.value.message_dict) == {field}
    assert not NotificationPreference.objects.exists()
    assert not AuditEvent.objects.filter(action="notification_preference.update").exists()
