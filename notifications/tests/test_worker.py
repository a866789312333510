"""A real Celery worker, fed through the real Redis broker, delivers a notification recorded in a
committed transaction."""

import time

import pytest

from notifications.models import Notification, OutboxMessage, OutboxStatus
from notifications.tests.conftest import record_event


@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_what_notify_queued_on_commit(celery_worker_thread, recipient):
    messages = record_event(recipient)  # commits: the on-commit hook sends the ids through Redis as JSON

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() == len(messages):
            break
        time.sleep(0.1)

    entry = Notification.objects.get(recipient=recipient)
    assert entry.title == "Your request was resolved"
    assert sorted(OutboxMessage.objects.values_list("channel", "status", "attempts")) == [
        ("email", OutboxStatus.SENT, 1),
        ("in_app", OutboxStatus.SENT, 1),
    ]
