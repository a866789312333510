"""A real Celery worker, fed through the real Redis broker, delivers a signed webhook to a
partner's endpoint (on loopback) after a work order changes."""

import json
import time

import pytest
from celery.contrib.testing.worker import start_worker

from partners.models import DeliveryStatus, WebhookDelivery
from partners.tests.test_webhooks_support import *  # noqa: F403 - its fixtures
from partners.webhook_signing import verify
from portal.celery import app
from services import services as steps


@pytest.fixture
def worker():
    assert not app.conf.task_always_eager, "tests must use the real broker (REDIS_URL)"
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as running:
        yield running


@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_the_webhook_of_a_work_order_change(worker, hook, endpoint, file_request, people):
    _webhook, secret = hook
    order = file_request()  # commits: its "created" delivery goes through Redis as a JSON id
    steps.request_accept(request=order, actor=people.partner, note="马上派人")

    received = endpoint.wait_for(2, timeout=20)

    by_event = {r.headers["X-Shunqing-Event"]: r for r in received}
    assert set(by_event) == {"work_order.created", "work_order.status_changed"}
    changed = by_event["work_order.status_changed"]
    assert verify(
        secret, changed.headers["X-Shunqing-Timestamp"], changed.body, changed.headers["X-Shunqing-Signature"]
    )
    body = json.loads(changed.body)
    assert body["work_order"] == body["work_order"] | {"id": order.public_id, "status": "accepted"}
    assert body["event"]["message"] == "马上派人"

    # The worker marks a row just after the endpoint answers: a short bounded wait.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rows = list(WebhookDelivery.objects.values_list("status", "attempts"))
        if rows == [(DeliveryStatus.DELIVERED, 1)] * 2:
            break
        time.sleep(0.05)
    assert rows == [(DeliveryStatus.DELIVERED, 1)] * 2
