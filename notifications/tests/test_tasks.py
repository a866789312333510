import pytest

from core.leased import REQUEUE_AFTER, SENDING_LEASE
from notifications.models import Channel, Notification, OutboxMessage, OutboxStatus
from notifications.tasks import outbox_deliver_task, outbox_sweep_task
from notifications.tests.conftest import message_on, record_event

pytestmark = pytest.mark.django_db


def test_the_delivery_task_delivers_once_then_skips(recipient):
    in_app = message_on(record_event(recipient), Channel.IN_APP)
    assert outbox_deliver_task.apply(args=[in_app.pk]).get() == OutboxStatus.SENT
    assert outbox_deliver_task.apply(args=[in_app.pk]).get() == "skipped"
    assert Notification.objects.filter(recipient=recipient).count() == 1


def test_the_sweep_task_reports_what_it_requeued(recipient, django_capture_on_commit_callbacks):
    in_app = message_on(record_event(recipient), Channel.IN_APP)
    OutboxMessage.objects.filter(pk=in_app.pk).update(next_attempt_at=in_app.created_at - REQUEUE_AFTER)
    with django_capture_on_commit_callbacks() as callbacks:
        assert outbox_sweep_task.apply().get() == 1
    assert [callback.args for callback in callbacks] == [(in_app.pk,)]


def test_tasks_have_time_limits_and_the_sweep_is_scheduled(settings):
    assert outbox_deliver_task.soft_time_limit < outbox_deliver_task.time_limit < SENDING_LEASE.total_seconds()
    assert outbox_sweep_task.time_limit < 60
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["notifications.tasks.outbox_sweep_task"] == 60
