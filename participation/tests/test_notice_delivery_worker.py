"""A real Celery worker, fed through the real Redis broker, fans a notice out to 5,000 residents in
batches and texts them in batches."""

import json
import time

import pytest

from notifications.models import Notification, NotificationPreference, OutboxMessage
from participation.models import Notice, NoticeReceipt
from participation.tasks import notice_fan_out_task
from participation.tests.notice_helpers import bulk_residents, publish

RECIPIENTS = 5000


def wait_for(condition, *, timeout=90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the worker")


@pytest.mark.django_db(transaction=True)
def test_worker_fans_out_5000_in_batches_once(celery_worker_thread, people, tree, settings, tmp_path):
    sms_file = tmp_path / "sms.jsonl"
    settings.SMS_BACKEND = "notifications.channels.FileSmsBackend"
    settings.SMS_FILE_PATH = str(sms_file)
    users = bulk_residents(grid=tree.g1, count=RECIPIENTS, prefix="w", phone_every=1)
    # Every tenth opted out of urgent texts; everyone of grid G2 is outside the notice's area.
    NotificationPreference.objects.bulk_create(
        [NotificationPreference(user=user, urgent_notice_sms=False) for user in users[::10]]
    )
    bulk_residents(grid=tree.g2, count=50, prefix="outside")

    notice = publish(actor=people.community, area=tree.c1, urgent=True)  # queues on commit

    def finished():
        notice.refresh_from_db()
        return notice.fan_out_finished_at is not None

    wait_for(finished)
    assert (notice.recipients_total, notice.recipients_done) == (RECIPIENTS, RECIPIENTS)
    assert NoticeReceipt.objects.filter(notice=notice).count() == RECIPIENTS
    assert Notification.objects.filter(kind="notice").count() == RECIPIENTS
    texted = RECIPIENTS - len(users[::10])
    wait_for(lambda: OutboxMessage.objects.filter(channel="sms", status="sent").count() == texted)
    lines = [json.loads(line) for line in sms_file.read_text().splitlines()]
    assert len(lines) == len({line["key"] for line in lines}) == texted

    # Run again (a redelivered task, or a resume): nothing doubles, nothing is texted again.
    Notice.objects.filter(pk=notice.pk).update(fan_out_finished_at=None)
    assert notice_fan_out_task.delay(notice.pk, True).get(timeout=60) == 0  # nobody left to batch
    time.sleep(1)
    assert NoticeReceipt.objects.filter(notice=notice).count() == RECIPIENTS
    assert OutboxMessage.objects.filter(key__startswith=f"notice:{notice.pk}:").count() == RECIPIENTS + texted
    assert len(sms_file.read_text().splitlines()) == texted
