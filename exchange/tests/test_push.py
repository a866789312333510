"""Pushing a payload to the consumer's endpoint: a real HTTP server on loopback stands for it
(partners' webhook test endpoint), with the webhooks' address rules relaxed for loopback only."""

import base64
import json

import pytest
from django.core.exceptions import ValidationError

from exchange.models import DeliveryAttempt
from exchange.payloads import payload_path
from exchange.services import ExchangeRefused, agreement_revoke, entry_push, exchange_job_request, exchange_job_run
from exchange.services.delivery import PushNotAnswered
from exchange.signing import signature_valid
from partners.tests.test_webhooks_support import allow_private, endpoint  # noqa: F401  (fixtures)
from security.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushed(active, residents, parties, endpoint, allow_private, django_capture_on_commit_callbacks):  # noqa: F811
    agreement = active(delivery="push", push_url=endpoint.url(path="/exchange/inbox"))
    job = exchange_job_request(actor=parties.consumer_officer, agreement=agreement)
    with django_capture_on_commit_callbacks() as callbacks:
        entry = exchange_job_run(job_id=job.pk)
    assert len(callbacks) == 2  # remove the temporary files, queue the push
    return entry


def test_the_payload_is_pushed_once_with_its_signature(pushed, endpoint):  # noqa: F811
    attempt = entry_push(entry_id=pushed.pk)
    assert attempt.ok and attempt.status_code == 200
    [received] = endpoint.wait_for(1)
    assert received.path == "/exchange/inbox"
    assert received.body == payload_path(pushed.payload_name).read_bytes()
    manifest = base64.b64decode(received.headers["X-Exchange-Manifest"])
    assert json.loads(manifest)["payload_sha256"] == pushed.payload_sha256
    assert signature_valid(pushed.signing_key, manifest, received.headers["X-Exchange-Signature"])
    assert received.headers["Idempotency-Key"] == str(pushed.job.public_id)
    assert entry_push(entry_id=pushed.pk) is None  # already delivered: a second run sends nothing
    assert len(endpoint.received) == 1


def test_a_server_error_is_retried_later(pushed, endpoint):  # noqa: F811
    endpoint.answers.append((503, 0))
    with pytest.raises(PushNotAnswered):
        entry_push(entry_id=pushed.pk)
    assert DeliveryAttempt.objects.get().ok is False
    assert entry_push(entry_id=pushed.pk).ok
    assert len(endpoint.received) == 2


def test_nothing_is_pushed_under_a_revoked_agreement(pushed, endpoint, parties):  # noqa: F811
    agreement_revoke(actor=parties.provider_officer, agreement=pushed.agreement, reason="停止")
    with pytest.raises(ExchangeRefused) as caught:
        entry_push(entry_id=pushed.pk)
    assert caught.value.code == "not_in_force"
    assert endpoint.received == []
    assert AuditEvent.objects.filter(action="exchange.push.refused").exists()


def test_a_push_address_in_a_private_network_is_refused(draft, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(ValidationError) as caught:
        draft(delivery="push", push_url="https://127.0.0.1/inbox")
    assert "push_url" in caught.value.message_dict
