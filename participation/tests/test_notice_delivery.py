"""Notice fan-out, SMS in batches and first reads (participation.notice_delivery), in this process."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification, NotificationPreference, OutboxMessage, OutboxStatus
from notifications.services import notification_preference_update, outbox_deliver, outbox_sweep
from participation.models import Notice, NoticeReceipt
from participation.notice_delivery import (
    notice_fan_out_batch,
    notice_fan_out_queue,
    notice_fan_out_start,
    notice_receipt_read,
    notices_release_due,
)
from participation.tests.notice_helpers import publish, run_fan_out
from security.models import User
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory


@pytest.fixture
def sms_file(settings, tmp_path):
    path = tmp_path / "sms.jsonl"
    settings.SMS_BACKEND = "notifications.channels.FileSmsBackend"
    settings.SMS_FILE_PATH = str(path)
    return path


def sent_sms(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def town(tree):
    """Verified residents: a in G1 (register phone), b in G1b (no phone), c in G2 (other subdistrict);
    an elderly living-alone resident e in G1 with an account, and an unverified profile in G1."""

    def verified(grid, name, phone="", **flags):
        user = UserFactory(username=name)
        ResidentFactory(household=HouseholdFactory(grid=grid), full_name=name, phone=phone, user=user, **flags)
        return user

    return type(
        "Town",
        (),
        {
            "a": verified(tree.g1, "res_a", phone="13800000001"),
            "b": verified(tree.g1b, "res_b"),
            "c": verified(tree.g2, "res_c", phone="13800000003"),
            "e": verified(tree.g1, "res_e", phone="13800000005", is_elderly=True, lives_alone=True),
            "unverified": ResidentFactory(household=HouseholdFactory(grid=tree.g1), full_name="no_account"),
        },
    )


def test_fan_out_reaches_the_verified_residents_of_the_area_subtree(people, tree, town):
    notice = publish(actor=people.community, area=tree.c1)
    run_fan_out(notice)

    receipts = {r.user_id: r.grid_id for r in NoticeReceipt.objects.filter(notice=notice)}
    assert receipts == {town.a.pk: tree.g1.pk, town.b.pk: tree.g1b.pk, town.e.pk: tree.g1.pk}
    assert (notice.recipients_total, notice.recipients_done) == (3, 3)
    assert notice.fan_out_started_at is not None and notice.fan_out_finished_at is not None
    inbox = Notification.objects.filter(kind="notice")
    assert {n.recipient_id for n in inbox} == set(receipts)
    key = f"notice:{notice.pk}:user:{town.a.pk}"
    assert inbox.get(recipient=town.a).outbox_key == f"{key}:in_app"
    in_app = OutboxMessage.objects.get(key=f"{key}:in_app")
    assert in_app.status == OutboxStatus.SENT
    # Not urgent: no SMS.
    assert not OutboxMessage.objects.filter(channel="sms").exists()


def test_elderly_households_audience(people, tree, town):
    # A household with an elderly member: the other members of that household receive it too.
    household = town.e.resident_profile.household
    partner = UserFactory(username="res_e_partner")
    ResidentFactory(household=household, full_name="partner", user=partner)
    notice = publish(actor=people.community, area=tree.c1, audience="elderly_households")
    run_fan_out(notice)
    assert set(NoticeReceipt.objects.filter(notice=notice).values_list("user_id", flat=True)) == {
        town.e.pk,
        partner.pk,
    }


def test_urgent_notice_texts_residents_with_a_phone_unless_they_opted_out(people, tree, town, sms_file):
    # a has their own SMS number (used over the register's); b has no phone at all.
    notification_preference_update(user=town.a, email=False, sms=True, sms_phone="13900000011")
    # e opted out of urgent-notice texts.
    NotificationPreference.objects.filter(user=town.e).update(urgent_notice_sms=False)
    NotificationPreference.objects.get_or_create(user=town.e, defaults={"urgent_notice_sms": False})

    notice = publish(actor=people.community, area=tree.c1, urgent=True)
    run_fan_out(notice)

    sms_rows = OutboxMessage.objects.filter(channel="sms")
    assert [m.recipient_id for m in sms_rows] == [town.a.pk]
    assert sms_rows.get().status == OutboxStatus.SENT
    texts = sent_sms(sms_file)
    assert [(t["to"], t["key"]) for t in texts] == [("13900000011", f"notice:{notice.pk}:user:{town.a.pk}:sms")]
    assert notice.title in texts[0]["text"]


def test_register_phone_used_without_an_sms_preference(people, tree, town, sms_file):
    notice = publish(actor=people.subdistrict, area=tree.s1, urgent=True)
    run_fan_out(notice)
    assert sorted(t["to"] for t in sent_sms(sms_file)) == ["13800000001", "13800000005"]


def test_fan_out_twice_doubles_nothing(people, tree, town, sms_file):
    notice = publish(actor=people.community, area=tree.c1, urgent=True)
    sms_ids = run_fan_out(notice)
    counts = (NoticeReceipt.objects.count(), Notification.objects.count(), OutboxMessage.objects.count())
    # Claimed already: a second start does nothing; batches run again (a redelivered task) add nothing.
    assert notice_fan_out_start(notice_id=notice.pk) == []
    Notice.objects.filter(pk=notice.pk).update(fan_out_finished_at=None)
    again = notice_fan_out_batch(notice_id=notice.pk, first_user_id=0, last_user_id=10**9)
    assert again == []  # the SMS rows are already sent: nothing left to send
    assert (NoticeReceipt.objects.count(), Notification.objects.count(), OutboxMessage.objects.count()) == counts
    from notifications.batch_delivery import outbox_deliver_sms_batch

    assert outbox_deliver_sms_batch(message_ids=sms_ids)["sent"] == 0
    assert len(sent_sms(sms_file)) == 2


def test_resume_after_a_half_done_fan_out(people, tree, town, monkeypatch):
    import participation.notice_delivery as delivery

    monkeypatch.setattr(delivery, "FAN_OUT_BATCH_SIZE", 1)
    notice = publish(actor=people.community, area=tree.c1)
    batches = notice_fan_out_start(notice_id=notice.pk)
    assert len(batches) == 3
    # The worker died after the first batch.
    notice_fan_out_batch(notice_id=notice.pk, first_user_id=batches[0][0], last_user_id=batches[0][1])
    notice.refresh_from_db()
    assert (notice.recipients_done, notice.recipients_total, notice.fan_out_finished_at) == (1, 3, None)
    # Not stalled yet: the beat task leaves it.
    assert notices_release_due() == []
    Notice.objects.filter(pk=notice.pk).update(updated_at=timezone.now() - timedelta(minutes=6))
    assert notices_release_due() == [(notice.pk, True)]
    # The resumed run only batches who is left.
    left = notice_fan_out_start(notice_id=notice.pk, resume=True)
    assert len(left) == 2
    for first, last in left:
        notice_fan_out_batch(notice_id=notice.pk, first_user_id=first, last_user_id=last)
    notice.refresh_from_db()
    assert (notice.recipients_done, notice.recipients_total) == (3, 3)
    assert notice.fan_out_finished_at is not None
    assert NoticeReceipt.objects.filter(notice=notice).count() == 3


def test_publishing_queues_on_commit_and_scheduled_notices_wait(
    people, tree, town, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr("participation.tasks.notice_fan_out_task.delay", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        notice = publish(actor=people.community, area=tree.c1)
    assert queued == [(notice.pk,)]
    json.dumps(queued)  # the task's arguments survive the JSON serializer

    queued.clear()
    later = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        scheduled = publish(actor=people.community, area=tree.c1, publish_at=later)
    assert queued == []
    assert (scheduled.pk, False) not in notices_release_due()
    Notice.objects.filter(pk=scheduled.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    assert (scheduled.pk, False) in notices_release_due()


def test_fan_out_queue_ignores_notices_not_yet_due(people, tree, django_capture_on_commit_callbacks):
    notice = Notice(publish_at=timezone.now() + timedelta(minutes=5))
    with django_capture_on_commit_callbacks() as callbacks:
        notice_fan_out_queue(notice=notice)
    assert callbacks == []


def test_first_read_is_recorded_once_and_marks_the_inbox_entry_read(people, tree, town):
    notice = publish(actor=people.community, area=tree.c1)
    run_fan_out(notice)
    notice_receipt_read(notice=notice, user=town.a)
    receipt = NoticeReceipt.objects.get(notice=notice, user=town.a)
    first = receipt.read_at
    assert first is not None
    assert Notification.objects.get(recipient=town.a, kind="notice").read_at is not None
    notice_receipt_read(notice=notice, user=town.a)
    receipt.refresh_from_db()
    assert receipt.read_at == first
    # A reader who was not a recipient (staff, another area's resident) leaves no receipt.
    notice_receipt_read(notice=notice, user=town.c)
    notice_receipt_read(notice=notice, user=people.community)
    assert NoticeReceipt.objects.filter(notice=notice, read_at__isnull=False).count() == 1


def test_sms_opt_out_after_fan_out_is_respected_when_sending(people, tree, town, sms_file):
    notice = publish(actor=people.community, area=tree.c1, urgent=True)
    sms_ids = run_fan_out(notice, deliver_sms=False)
    NotificationPreference.objects.create(user=town.a, urgent_notice_sms=False)
    from notifications.batch_delivery import outbox_deliver_sms_batch

    assert outbox_deliver_sms_batch(message_ids=sms_ids) == {"sent": 1, "failed": 1, "retry": 0}
    assert [t["to"] for t in sent_sms(sms_file)] == ["13800000005"]


def test_a_batch_a_dead_worker_left_is_revived_by_the_sweep(people, tree, town, sms_file):
    notice = publish(actor=people.community, area=tree.c1, urgent=True)
    sms_ids = run_fan_out(notice, deliver_sms=False)
    # A worker claimed the rows, then died: they stay sending until the lease ends.
    OutboxMessage.objects.filter(pk__in=sms_ids).update(
        status=OutboxStatus.SENDING, attempts=1, next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    revived = outbox_sweep()
    assert sorted(revived) == sorted(sms_ids)
    # The sweep's one-row delivery finds the notice's numbers too.
    for pk in sms_ids:
        outbox_deliver(message_id=pk)
    assert set(OutboxMessage.objects.filter(pk__in=sms_ids).values_list("status", flat=True)) == {"sent"}
    assert sorted(t["to"] for t in sent_sms(sms_file)) == ["13800000001", "13800000005"]


def test_withdrawn_or_hidden_notice_is_not_fanned_out(people, tree, town):
    notice = publish(actor=people.community, area=tree.c1)
    Notice.objects.filter(pk=notice.pk).update(status="withdrawn")
    assert notice_fan_out_start(notice_id=notice.pk) == []
    assert not NoticeReceipt.objects.exists()


def test_deactivated_accounts_are_not_recipients(people, tree, town):
    User.objects.filter(pk=town.a.pk).update(is_active=False)
    notice = publish(actor=people.community, area=tree.c1)
    run_fan_out(notice)
    assert not NoticeReceipt.objects.filter(user=town.a).exists()


def test_residents_turn_urgent_notice_texts_off_on_the_preferences_page(client, login, town):
    login(town.a)
    page = client.get("/notifications/preferences/")
    assert page.context["form"]["urgent_notice_sms"].value() is True
    client.post("/notifications/preferences/", {"email": "on"})
    assert NotificationPreference.objects.get(user=town.a).urgent_notice_sms is False
    client.post("/notifications/preferences/", {"email": "on", "urgent_notice_sms": "on"})
    assert NotificationPreference.objects.get(user=town.a).urgent_notice_sms is True


def test_every_column_of_the_rows_the_fan_out_writes(people, tree, town, sms_file):
    from django.db import transaction

    from notifications.services import notify

    notice = publish(actor=people.community, area=tree.c1, urgent=True)
    run_fan_out(notice, deliver_sms=False)
    key = f"notice:{notice.pk}:user:{town.a.pk}"
    receipt = NoticeReceipt.objects.get(notice=notice, user=town.a)
    assert (receipt.grid_id, receipt.read_at) == (town.a.resident_profile.household.grid_id, None)
    in_app = OutboxMessage.objects.get(key=f"{key}:in_app")
    sms = OutboxMessage.objects.get(key=f"{key}:sms")
    inbox = Notification.objects.get(outbox_key=f"{key}:in_app")
    for row in (in_app, sms, inbox):
        assert (row.recipient_id, row.kind, row.title, row.link) == (
            town.a.pk,
            "notice",
            notice.title,
            f"/notices/{notice.public_id}/",
        )
        assert row.body == notice.body
        assert row.created_at == receipt.delivered_at
    assert (in_app.channel, in_app.status, in_app.attempts, in_app.sent_at, in_app.last_error) == (
        "in_app",
        "sent",
        1,
        receipt.delivered_at,
        "",
    )
    assert (sms.channel, sms.status, sms.attempts, sms.sent_at, sms.next_attempt_at) == (
        "sms",
        "pending",
        0,
        None,
        receipt.delivered_at,
    )
    assert inbox.public_id is not None and inbox.read_at is None
    # An area alert for the same notice and person (notify with the same key) adds nothing.
    with transaction.atomic():
        rows = notify(recipient=town.a, kind="notice", title="x", body="y", key=key)
    assert {r.pk for r in rows} == {in_app.pk, sms.pk}
