"""Webhooks: where they may point, which events become deliveries, and how a delivery reaches a
partner's endpoint (a real HTTP server on loopback), is retried, replayed and swept up."""

import json
import ssl
import time
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core import outbound_http
from partners import webhooks
from partners.models import DeliveryStatus, Webhook, WebhookDelivery
from partners.tasks import webhook_deliver_task, webhook_sweep_task
from partners.tests.test_webhooks_support import *  # noqa: F403 - its fixtures
from partners.tests.test_webhooks_support import (
    PARTNER_HOST,
    PUBLIC_ADDRESS,
    deliver,
    make_due,
    self_signed_certificate,
    start_endpoint,
    stop_endpoint,
)
from partners.webhook_signing import sign, verify
from partners.webhooks import (
    webhook_deactivate,
    webhook_deliver,
    webhook_delivery_replay,
    webhook_fan_out,
    webhook_sweep,
)
from security import personal_data
from security.models import AuditEvent
from services import services as steps
from services.models import RequestEvent, RoutingRule

pytestmark = pytest.mark.django_db


def only_delivery(**filters) -> WebhookDelivery:
    return WebhookDelivery.objects.get(**filters)


# --- where a webhook may point -----------------------------------------------------------------
def test_registering_a_public_https_address_returns_a_secret_stored_encrypted(register, fake_dns, people):
    fake_dns[PARTNER_HOST] = [PUBLIC_ADDRESS]
    webhook, secret = register(f"https://{PARTNER_HOST}/shunqing", description="ERP")

    assert secret.startswith("whsec_") and len(secret) > 40
    assert secret not in webhook.secret_encrypted
    assert personal_data.decrypt(webhook.secret_encrypted) == secret
    assert webhook.is_active and webhook.created_by == people.partner
    event = AuditEvent.objects.get(action="webhook.register")
    assert event.object_id == str(webhook.pk) and event.actor == people.partner
    assert secret not in json.dumps(event.details)


def test_an_address_must_be_https(register, fake_dns):
    fake_dns[PARTNER_HOST] = [PUBLIC_ADDRESS]
    for url in (f"http://{PARTNER_HOST}/hook", f"ftp://{PARTNER_HOST}/hook", PARTNER_HOST):
        with pytest.raises(ValidationError) as caught:
            register(url)
        assert caught.value.message_dict["url"] == ["A webhook address must start with https://."]
    assert not Webhook.objects.exists()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",  # loopback
        "10.0.0.5",  # private
        "172.16.8.1",
        "192.168.1.20",
        "169.254.169.254",  # link-local: cloud metadata services live here
        "0.0.0.0",  # noqa: S104 - unspecified
        "224.0.0.251",  # multicast
        "240.0.0.1",  # reserved
        "100.64.0.1",  # carrier-grade NAT: not global
        "::1",
        "fe80::1",
        "fd12:3456::1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "2002:7f00:1::1",  # 6to4 wrapping 127.0.0.1
    ],
)
def test_a_host_resolving_into_a_non_public_network_is_refused(register, fake_dns, address):
    fake_dns[PARTNER_HOST] = [address]
    with pytest.raises(ValidationError) as caught:
        register(f"https://{PARTNER_HOST}/hook")
    [message] = caught.value.message_dict["url"]
    assert f"{PARTNER_HOST} resolves to {address}" in message
    assert "only to public internet addresses" in message


def test_one_private_address_among_public_ones_is_enough_to_refuse(register, fake_dns):
    fake_dns[PARTNER_HOST] = [PUBLIC_ADDRESS, "10.1.2.3"]
    with pytest.raises(ValidationError, match="10.1.2.3"):
        register(f"https://{PARTNER_HOST}/hook")


def test_ip_literals_are_judged_the_same_way(register, fake_dns):
    for url in ("https://127.0.0.1/hook", "https://[::1]:8443/hook", "https://169.254.169.254/latest/meta-data"):
        with pytest.raises(ValidationError, match="only to public internet addresses"):
            register(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://erp:pw@hooks.partner-a.example/", "must not contain a user name or password"),
        ("https://nowhere.invalid/hook", "cannot be found"),
        ("https:///hook", "Give the full address"),
        ("https://hooks.partner-a.example:99999/", "not a valid web address"),
        ("", "Give the address"),
        ("https://hooks.partner-a.example/" + "x" * 500, "At most 500 characters"),
    ],
)
def test_malformed_addresses_are_refused_with_a_reason(register, fake_dns, url, message):
    fake_dns[PARTNER_HOST] = [PUBLIC_ADDRESS]
    with pytest.raises(ValidationError) as caught:
        register(url)
    assert message in " ".join(caught.value.message_dict["url"])


def test_the_setting_allows_loopback_and_http_for_tests_and_closed_networks(register, endpoint, allow_private):
    webhook, _secret = register(endpoint.url())
    assert webhook.url.startswith("http://127.0.0.1:")


def test_the_same_address_twice_and_too_many_webhooks_are_refused(register, fake_dns, monkeypatch):
    fake_dns[PARTNER_HOST] = [PUBLIC_ADDRESS]
    register(f"https://{PARTNER_HOST}/a")
    with pytest.raises(ValidationError, match="already registered"):
        register(f"https://{PARTNER_HOST}/a")
    monkeypatch.setattr(webhooks, "MAX_ACTIVE_WEBHOOKS", 2)
    register(f"https://{PARTNER_HOST}/b")
    with pytest.raises(ValidationError, match="at most 2 active webhooks"):
        register(f"https://{PARTNER_HOST}/c")


def test_only_the_organisations_operators_register_its_webhooks(register, fake_dns, people, orgs):
    fake_dns[PARTNER_HOST] = [PUBLIC_ADDRESS]
    for outsider in (people.partner_other, people.dept, people.leader, people.resident):
        with pytest.raises(PermissionDenied):
            register(f"https://{PARTNER_HOST}/hook", actor=outsider)
    assert not Webhook.objects.exists()


# --- fan-out: which events become deliveries -----------------------------------------------------
def test_an_event_becomes_one_delivery_per_active_webhook_of_the_handling_partner(
    register, fake_dns, file_request, orgs, people, queued, django_capture_on_commit_callbacks
):
    fake_dns[PARTNER_HOST] = [PUBLIC_ADDRESS]
    first, _ = register(f"https://{PARTNER_HOST}/one")
    second, _ = register(f"https://{PARTNER_HOST}/two")
    retired, _ = register(f"https://{PARTNER_HOST}/old")
    webhook_deactivate(webhook=retired, actor=people.partner)
    others, _ = register(f"https://{PARTNER_HOST}/b", organisation=orgs.partner_other, actor=people.partner_other)

    with django_capture_on_commit_callbacks(execute=True):
        order = file_request()  # in G1: routed to orgs.partner

    deliveries = list(WebhookDelivery.objects.order_by("webhook_id"))
    assert [d.webhook_id for d in deliveries] == [first.pk, second.pk]
    assert {d.event_type for d in deliveries} == {"work_order.created"}
    assert sorted(delivery_id for delivery_id, _countdown in queued) == sorted(d.pk for d in deliveries)
    # Task arguments survive the broker's JSON.
    assert json.loads(json.dumps([delivery_id for delivery_id, _ in queued])) == [d for d, _ in queued]

    payload = deliveries[0].payload
    assert payload == deliveries[1].payload
    assert payload["type"] == "work_order.created" and payload["id"].startswith("evt_")
    assert payload["work_order"]["id"] == order.public_id
    assert payload["work_order"]["status"] == "submitted"
    assert payload["work_order"]["service_code"] == "repair"
    assert payload["work_order"]["due"] == timezone.localtime(order.resolve_due_at).isoformat(timespec="seconds")
    assert payload["event"] == {"kind": "submitted", "message": "", "status": "submitted", "previous_status": None}
    # Nothing about the resident: not their words, name, address or who they are.
    flat = json.dumps(payload, ensure_ascii=False)
    assert "电梯坏了" not in flat and people.resident.username not in flat
    assert set(payload["work_order"]) == {
        "id",
        "status",
        "service_code",
        "updated",
        "due",
        "overdue",
        "escalation_level",
        "rating",
    }


def test_requests_handled_by_others_send_nothing(register, fake_dns, file_request, tree, orgs, people, catalogue):
    fake_dns[PARTNER_HOST] = [PUBLIC_ADDRESS]
    register(f"https://{PARTNER_HOST}/hook")
    file_request(grid=tree.g2, requester=people.other_resident, actor=people.other_resident)  # the department's
    RoutingRule.objects.create(service=catalogue.repair, area=tree.s2, organisation=orgs.partner_other)
    file_request(grid=tree.g2, requester=people.other_resident, actor=people.other_resident)  # the other partner's
    assert not WebhookDelivery.objects.exists()


def test_a_webhook_counts_from_the_very_next_event_in_every_process(
    register, endpoint, allow_private, file_request, people, queued
):
    order = file_request()  # the partner has no webhook yet: nothing to send
    assert not WebhookDelivery.objects.exists()
    webhook, _secret = register(endpoint.url())
    steps.request_accept(request=order, actor=people.partner)
    delivery = only_delivery()
    assert (delivery.webhook_id, delivery.event_type) == (webhook.pk, "work_order.status_changed")
    assert deliver(delivery.pk).status == DeliveryStatus.DELIVERED
    assert [json.loads(got.body)["type"] for got in endpoint.received] == ["work_order.status_changed"]
    # Turned off by a bare UPDATE, which tells no process anything (as another process's change
    # tells this one nothing): the next event is not sent to it.
    Webhook.objects.filter(pk=webhook.pk).update(is_active=False)
    steps.request_comment(request=order, actor=people.partner, message="已联系电梯公司")
    assert WebhookDelivery.objects.count() == 1


def test_a_status_change_carries_the_public_message_and_an_internal_note_is_not_sent(
    hook, file_request, people, queued
):
    order = file_request()
    steps.request_accept(request=order, actor=people.partner, note="师傅下午两点到")
    steps.request_comment(request=order, actor=people.partner, message="内部：钥匙在物业", internal=True)
    steps.request_comment(request=order, actor=people.partner, message="已联系电梯公司")

    by_type = {d.event_type: d.payload for d in WebhookDelivery.objects.exclude(event_type="work_order.created")}
    assert set(by_type) == {"work_order.status_changed", "work_order.commented"}
    changed = by_type["work_order.status_changed"]
    assert changed["work_order"]["status"] == "accepted"
    assert changed["event"] == {
        "kind": "status",
        "message": "师傅下午两点到",
        "status": "accepted",
        "previous_status": "submitted",
    }
    assert by_type["work_order.commented"]["event"]["message"] == "已联系电梯公司"
    assert "钥匙" not in json.dumps([d.payload for d in WebhookDelivery.objects.all()], ensure_ascii=False)


def test_an_escalation_is_sent_without_its_internal_message(hook, file_request, queued):
    order = file_request()
    assert steps.request_escalate(request=order, now=order.accept_due_at + timedelta(hours=1))
    payload = WebhookDelivery.objects.get(event_type="work_order.escalated").payload
    assert payload["event"]["message"] == ""
    assert payload["work_order"]["escalation_level"] == 1 and payload["work_order"]["overdue"] is True


def test_deliveries_roll_back_with_the_change_that_made_them(
    hook, file_request, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        file_request()
        assert WebhookDelivery.objects.count() == 1  # written in the request's own transaction
        raise RuntimeError("the request fails after the event was recorded")
    assert not WebhookDelivery.objects.exists()
    assert queued == []


def test_recording_the_same_event_twice_delivers_it_once(hook, file_request, queued):
    order = file_request()
    event = order.events.get(kind=RequestEvent.Kind.SUBMITTED)
    before = list(WebhookDelivery.objects.values_list("pk", "event_id"))
    with transaction.atomic():
        webhook_fan_out(RequestEvent, request=order, event=event)
    assert list(WebhookDelivery.objects.values_list("pk", "event_id")) == before


# --- delivery to a real endpoint -----------------------------------------------------------------
def test_a_delivery_is_posted_signed_with_the_webhooks_secret(hook, endpoint, file_request, people):
    webhook, secret = hook
    order = file_request()
    steps.request_accept(request=order, actor=people.partner)
    delivery = only_delivery(event_type="work_order.status_changed")

    before = int(time.time())
    result = webhook_deliver(delivery_id=delivery.pk)

    assert result.status == DeliveryStatus.DELIVERED
    [received] = [r for r in endpoint.received if r.headers["X-Shunqing-Event"] == "work_order.status_changed"]
    headers = received.headers
    assert received.path == "/shunqing/events"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Shunqing-Delivery"] == str(delivery.public_id)
    timestamp = int(headers["X-Shunqing-Timestamp"])
    assert before <= timestamp <= int(time.time())
    assert headers["X-Shunqing-Signature"].startswith("sha256=")
    assert verify(secret, headers["X-Shunqing-Timestamp"], received.body, headers["X-Shunqing-Signature"])
    assert not verify("whsec_wrong", headers["X-Shunqing-Timestamp"], received.body, headers["X-Shunqing-Signature"])
    assert json.loads(received.body) == delivery.payload
    assert json.loads(received.body)["work_order"]["status"] == "accepted"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        DeliveryStatus.DELIVERED,
        1,
        200,
        "",
    )
    assert delivery.delivered_at is not None
    assert webhook_deliver(delivery_id=delivery.pk) is None  # a second run finds it done
    assert len(endpoint.received) == 1


def test_a_503_is_retried_with_backoff_then_delivered(hook, endpoint, file_request, queued):
    file_request()
    delivery = only_delivery()
    endpoint.answers.append((503, 0))

    started = timezone.now()
    deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert (delivery.attempts, delivery.last_status_code) == (1, 503)
    assert delivery.last_error == "HTTP 503: answer 503"
    assert started + timedelta(seconds=29) < delivery.next_attempt_at < timezone.now() + timedelta(seconds=31)
    assert queued[-1] == (delivery.pk, 30)  # the retry waits in the broker for its time
    assert deliver(delivery.pk) is None  # not due yet

    make_due(delivery)
    deliver(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 2, 200)
    assert len(endpoint.received) == 2
    # Each attempt is signed afresh, over the same body.
    assert endpoint.received[0].body == endpoint.received[1].body


def test_the_backoff_grows_and_the_sixth_failure_gives_up(hook, endpoint, file_request, queued):
    file_request()
    delivery = only_delivery()
    endpoint.answers.extend([(500, 0)] * 6)
    for _attempt in range(6):
        make_due(delivery)
        deliver(delivery.pk)
    delivery.refresh_from_db()
    assert [countdown for _id, countdown in queued if countdown is not None] == [30, 120, 480, 1920, 7200]
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.FAILED, 6, 500)
    assert delivery.last_error.startswith("gave up after 6 attempts: HTTP 500")
    make_due(delivery)
    assert deliver(delivery.pk) is None


@pytest.mark.parametrize(
    ("answer", "status", "error"),
    [
        (400, DeliveryStatus.FAILED, "HTTP 400: answer 400"),
        (401, DeliveryStatus.FAILED, "HTTP 401: answer 401"),
        (410, DeliveryStatus.FAILED, "HTTP 410: answer 410"),
        (408, DeliveryStatus.PENDING, "HTTP 408: answer 408"),
        (429, DeliveryStatus.PENDING, "HTTP 429: answer 429"),
        (502, DeliveryStatus.PENDING, "HTTP 502: answer 502"),
        (204, DeliveryStatus.DELIVERED, ""),
    ],
)
def test_what_each_answer_means(hook, endpoint, file_request, queued, answer, status, error):
    file_request()
    delivery = only_delivery()
    endpoint.answers.append((answer, 0))
    webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code, delivery.last_error) == (status, answer, error)


def test_a_redirect_is_not_followed(hook, endpoint, file_request, queued):
    file_request()
    delivery = only_delivery()
    endpoint.answers.append((302, 0, {"Location": "http://169.254.169.254/latest/meta-data/"}))
    webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "webhooks do not follow redirects" in delivery.last_error
    assert len(endpoint.received) == 1  # only our POST; nothing followed the Location


def test_a_silent_endpoint_times_out_and_is_retried(hook, endpoint, file_request, queued, monkeypatch):
    monkeypatch.setattr(webhooks, "DELIVERY_TIMEOUT", 0.3)
    file_request()
    delivery = only_delivery()
    endpoint.answers.append((200, 1.5))
    webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code is None
    assert delivery.last_error.startswith("no answer:") and "timed out" in delivery.last_error


def test_a_closed_port_is_retried(register, allow_private, file_request, queued):
    closed = start_endpoint()
    url = closed.url()
    stop_endpoint(closed)
    register(url)
    file_request()
    delivery = only_delivery()
    webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert "ConnectionRefusedError" in delivery.last_error


def test_the_address_is_checked_again_at_delivery_time(register, fake_dns, endpoint, file_request, queued):
    """DNS rebinding: the host resolved to a public address at registration, now to loopback."""
    fake_dns[PARTNER_HOST] = [PUBLIC_ADDRESS]
    register(f"https://{PARTNER_HOST}:{endpoint.port}/hook")
    file_request()
    delivery = only_delivery()

    fake_dns[PARTNER_HOST] = ["127.0.0.1"]
    webhook_deliver(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert f"{PARTNER_HOST} resolves to 127.0.0.1" in delivery.last_error
    assert endpoint.received == []


def test_https_connects_to_the_checked_address_and_verifies_the_hosts_certificate(
    register, fake_dns, allow_private, file_request, queued, monkeypatch, tmp_path
):
    cert, key = self_signed_certificate(tmp_path, PARTNER_HOST)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    secure = start_endpoint(tls=server_tls)
    try:
        # Only our stand-in DNS knows the name: the connection must use the address it checked.
        fake_dns[PARTNER_HOST] = ["127.0.0.1"]
        monkeypatch.setattr(outbound_http, "tls_context", lambda: ssl.create_default_context(cafile=cert))
        register(secure.url(host=PARTNER_HOST))
        register(secure.url(host="127.0.0.1", path="/by-address"))  # the certificate does not name 127.0.0.1
        file_request()
        by_name = only_delivery(webhook__url__contains=PARTNER_HOST)
        by_address = only_delivery(webhook__url__contains="/by-address")

        webhook_deliver(delivery_id=by_name.pk)
        webhook_deliver(delivery_id=by_address.pk)
    finally:
        stop_endpoint(secure)

    by_name.refresh_from_db()
    by_address.refresh_from_db()
    assert by_name.status == DeliveryStatus.DELIVERED
    assert [r.headers["Host"] for r in secure.received] == [f"{PARTNER_HOST}:{secure.port}"]
    assert by_address.status == DeliveryStatus.PENDING
    assert "CERTIFICATE_VERIFY_FAILED" in by_address.last_error or "certificate" in by_address.last_error


def test_a_deactivated_webhook_sends_nothing_more(hook, endpoint, file_request, people, queued):
    webhook, _secret = hook
    file_request()
    delivery = only_delivery()
    webhook_deactivate(webhook=webhook, actor=people.partner)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "deactivated" in delivery.last_error
    assert webhook_deliver(delivery_id=delivery.pk) is None
    assert endpoint.received == []
    assert AuditEvent.objects.filter(action="webhook.deactivate", object_id=str(webhook.pk)).exists()
    webhook_deactivate(webhook=webhook, actor=people.partner)  # twice: nothing more
    assert AuditEvent.objects.filter(action="webhook.deactivate").count() == 1


def test_only_the_claiming_worker_sends(hook, endpoint, file_request):
    file_request()
    delivery = only_delivery()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING)
    assert webhook_deliver(delivery_id=delivery.pk) is None
    assert endpoint.received == []


# --- replay and sweep ------------------------------------------------------------------------------
def test_replay_sends_a_copy_with_the_same_event_id(
    hook, endpoint, file_request, people, queued, django_capture_on_commit_callbacks
):
    webhook, secret = hook
    file_request()
    original = only_delivery()
    webhook_deliver(delivery_id=original.pk)

    with django_capture_on_commit_callbacks(execute=True):
        copy = webhook_delivery_replay(delivery=original, actor=people.partner)

    assert (copy.status, copy.attempts, copy.replay_of_id) == (DeliveryStatus.PENDING, 0, original.pk)
    assert (copy.event_id, copy.event_type, copy.payload) == (original.event_id, original.event_type, original.payload)
    assert queued[-1] == (copy.pk, None)
    assert AuditEvent.objects.filter(action="webhook.delivery_replay", object_id=str(copy.pk)).exists()

    webhook_deliver(delivery_id=copy.pk)
    first, second = endpoint.received
    assert first.body == second.body
    assert first.headers["X-Shunqing-Delivery"] != second.headers["X-Shunqing-Delivery"] == str(copy.public_id)
    assert verify(secret, second.headers["X-Shunqing-Timestamp"], second.body, second.headers["X-Shunqing-Signature"])


def test_replay_is_refused_while_a_delivery_is_under_way_or_for_outsiders(hook, file_request, people):
    file_request()
    pending = only_delivery()
    with pytest.raises(ValidationError, match="still being attempted"):
        webhook_delivery_replay(delivery=pending, actor=people.partner)
    WebhookDelivery.objects.filter(pk=pending.pk).update(status=DeliveryStatus.FAILED)
    with pytest.raises(PermissionDenied):
        webhook_delivery_replay(delivery=pending, actor=people.partner_other)
    assert WebhookDelivery.objects.count() == 1


def test_the_sweep_revives_dead_workers_rows_and_requeues_lost_tasks(hook, file_request, people, queued):
    order = file_request()
    for note in ("one", "two", "three", "four"):
        steps.request_comment(request=order, actor=people.partner, message=note)
    created, stuck, exhausted, lost, waiting = WebhookDelivery.objects.order_by("pk")
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=created.pk).update(
        status=DeliveryStatus.SENDING, next_attempt_at=now + timedelta(minutes=5)
    )
    WebhookDelivery.objects.filter(pk=stuck.pk).update(
        status=DeliveryStatus.SENDING, attempts=2, next_attempt_at=now - timedelta(seconds=1)
    )
    WebhookDelivery.objects.filter(pk=exhausted.pk).update(
        status=DeliveryStatus.SENDING, attempts=6, next_attempt_at=now - timedelta(seconds=1)
    )
    WebhookDelivery.objects.filter(pk=lost.pk).update(next_attempt_at=now - timedelta(minutes=3))
    WebhookDelivery.objects.filter(pk=waiting.pk).update(next_attempt_at=now - timedelta(seconds=30))
    queued.clear()

    assert webhook_sweep() == sorted([stuck.pk, lost.pk])

    statuses = dict(WebhookDelivery.objects.values_list("pk", "status"))
    assert statuses == {
        created.pk: DeliveryStatus.SENDING,  # still within its worker's lease
        stuck.pk: DeliveryStatus.PENDING,
        exhausted.pk: DeliveryStatus.FAILED,
        lost.pk: DeliveryStatus.PENDING,
        waiting.pk: DeliveryStatus.PENDING,  # its task is probably still in the queue
    }
    assert "gave up after 6 attempts" in WebhookDelivery.objects.get(pk=exhausted.pk).last_error


def test_the_tasks_are_thin_wrappers_and_the_sweep_runs_every_minute(hook, endpoint, file_request, settings, queued):
    file_request()
    delivery = only_delivery()
    assert webhook_deliver_task.apply(args=[delivery.pk]).get() == DeliveryStatus.DELIVERED
    assert webhook_deliver_task.apply(args=[delivery.pk]).get() == "skipped"
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    assert webhook_sweep_task.apply().get() == 1
    assert settings.CELERY_BEAT_SCHEDULE["partners-webhook-sweep"] == {
        "task": "partners.tasks.webhook_sweep_task",
        "schedule": 60,
    }


# --- signing -------------------------------------------------------------------------------------
def test_sign_and_verify():
    body = '{"id":"evt_1","type":"work_order.created"}'
    now = 1_767_225_600
    signature = sign("whsec_abc", now, body)
    assert signature == sign("whsec_abc", str(now), body.encode())
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert verify("whsec_abc", now, body, signature, now=now)
    assert verify("whsec_abc", str(now), body.encode(), signature, now=now + 299)
    assert not verify("whsec_abc", now, body, signature, now=now + 301)  # too old: a replayed capture
    assert not verify("whsec_abc", now, body, signature, now=now - 301)
    assert not verify("whsec_abc", now, body, signature, tolerance=10, now=now + 11)
    assert not verify("whsec_abd", now, body, signature, now=now)
    assert not verify("whsec_abc", now, body.replace("created", "deleted"), signature, now=now)
    assert not verify("whsec_abc", now + 1, body, signature, now=now)
    assert not verify("whsec_abc", "yesterday", body, signature, now=now)
    assert not verify("whsec_abc", now, body, "sha256=" + "0" * 64, now=now)
    assert not verify("whsec_abc", now, body, None, now=now)
