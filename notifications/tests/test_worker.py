"""A real Celery worker, fed through the real Redis broker, delivers a notification recorded in a
committed transaction."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from notifications.models import Notification, OutboxMessage, OutboxStatus
from notifications.tests.conftest import record_event
from portal.celery import app


@pytest.fixture
def worker():
    assert not app.conf.task_always_eager, "tests must use the real broker (REDIS_URL)"
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as running:
        yield running


@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_what_notify_queued_on_commit(worker, recipient):
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
