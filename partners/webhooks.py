"""Signed webhooks: a partner's system hears about its work orders as they change.

Registration checks the address (see `outbound_http`) and returns a secret shown once. Each timeline
event of a request handled by a partner becomes one `WebhookDelivery` row per active webhook of that
partner, written in the transaction that records the event (through `services.signals`), so a change
that rolls back sends nothing. Delivery works like the notifications outbox: a task claims the row,
signs and POSTs it, and marks it delivered, retries it with backoff, or fails it; the minutely sweep
re-queues rows whose task was lost or whose worker died. A row is never sent by two workers at once;
a crash after the POST but before the row is marked can send it twice, which the event id lets the
partner recognise.
"""

from __future__ import annotations

import http.client
import json
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from core import outbound_http
from core.leased import SWEEP_BATCH_SIZE, LeasedOutbox
from directory.models import Organisation
from partners.models import DeliveryStatus, Webhook, WebhookDelivery
from partners.tasks import webhook_deliver_task
from partners.webhook_signing import sign
from security import personal_data
from security.audit import audit_record
from security.models import ApiKey, ApiScope, Role, User
from security.scoping import organisation_ids
from services.models import RequestEvent, ServiceRequest

SECRET_PREFIX = "whsec_"  # noqa: S105 - marks a webhook secret, is not one
MAX_ACTIVE_WEBHOOKS = 10  # per organisation: each one multiplies every event's deliveries
MAX_URL_LENGTH = 500
MAX_DESCRIPTION_LENGTH = 200

# Wait before attempt 2 to 6; a sixth failure gives up.
deliveries = LeasedOutbox(
    model=WebhookDelivery,
    statuses=DeliveryStatus,
    retry_backoff=(
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=8),
        timedelta(minutes=32),
        timedelta(hours=2),
    ),
    deliver_task=webhook_deliver_task,
)
MAX_ATTEMPTS = deliveries.max_attempts
DELIVERY_TIMEOUT = 10  # seconds for the partner's endpoint to answer

# Which timeline events a partner hears about, and as what. Internal notes and residents' "me too"
# are not sent: the first is staff-only, the second says nothing about the work.
EVENT_TYPES = {
    RequestEvent.Kind.SUBMITTED: "work_order.created",
    RequestEvent.Kind.STATUS: "work_order.status_changed",
    RequestEvent.Kind.ASSIGNMENT: "work_order.status_changed",
    RequestEvent.Kind.REOPENED: "work_order.status_changed",
    RequestEvent.Kind.MERGED: "work_order.status_changed",
    RequestEvent.Kind.COMMENT: "work_order.commented",
    RequestEvent.Kind.PHOTO: "work_order.photos_added",
    RequestEvent.Kind.RATING: "work_order.rated",
    RequestEvent.Kind.ESCALATION: "work_order.escalated",
}
# A 4xx answer means the request itself was refused, except these, which mean "not now".
RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})


# --- registration ------------------------------------------------------------------------------
def _require_manager(*, actor: User, organisation: Organisation, api_key: ApiKey | None) -> None:
    """Only the organisation's partner operators manage its webhooks, and a key only its own
    organisation's, with the webhooks scope."""
    if organisation.pk not in organisation_ids(actor, {Role.PARTNER_OPERATOR}):
        raise PermissionDenied(_("Only your organisation's operators may manage its webhooks."))
    if api_key is not None and (
        api_key.organisation_id != organisation.pk or not api_key.has_scope(ApiScope.MANAGE_WEBHOOKS)
    ):
        raise PermissionDenied(_("This API key may not manage this organisation's webhooks."))


def _via(api_key: ApiKey | None) -> dict:
    return {"api_key": api_key.prefix} if api_key is not None else {}


def webhook_register(
    *, actor: User, organisation: Organisation, url: str, description: str = "", api_key: ApiKey | None = None
) -> tuple[Webhook, str]:
    """Register `url` to receive `organisation`'s work-order events. Returns the webhook and its
    signing secret, which is shown to the partner this once and stored only encrypted."""
    _require_manager(actor=actor, organisation=organisation, api_key=api_key)
    url = (url or "").strip()
    description = " ".join((description or "").split())
    errors: dict[str, list[str]] = {}
    if not url:
        errors["url"] = [_("Give the address that should receive the events.")]
    elif len(url) > MAX_URL_LENGTH:
        errors["url"] = [_("At most %(limit)d characters.") % {"limit": MAX_URL_LENGTH}]
    else:
        # Outside the transaction: a slow DNS answer must not hold it open.
        try:
            outbound_http.target_check(url)
        except ValidationError as exc:
            errors["url"] = exc.messages
        except outbound_http.UnreachableTarget:
            errors["url"] = [_("The host in this address cannot be found. Check the spelling and the DNS entry.")]
    if len(description) > MAX_DESCRIPTION_LENGTH:
        errors["description"] = [_("At most %(limit)d characters.") % {"limit": MAX_DESCRIPTION_LENGTH}]
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        # Serialises registrations of one organisation, so the limit below holds under concurrency.
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        active = Webhook.objects.filter(organisation=organisation, is_active=True)
        if active.filter(url=url).exists():
            raise ValidationError({"url": [_("This address is already registered.")]})
        if active.count() >= MAX_ACTIVE_WEBHOOKS:
            raise ValidationError(
                _("An organisation may have at most %(limit)d active webhooks; deactivate one first.")
                % {"limit": MAX_ACTIVE_WEBHOOKS}
            )
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        webhook = Webhook.objects.create(
            organisation=organisation,
            url=url,
            secret_encrypted=personal_data.encrypt(secret),
            description=description,
            created_by=actor,
        )
        audit_record(actor=actor, action="webhook.register", target=webhook, details={"url": url} | _via(api_key))
    return webhook, secret


@transaction.atomic
def webhook_deactivate(*, webhook: Webhook, actor: User, api_key: ApiKey | None = None) -> Webhook:
    """Stop sending to `webhook`; deliveries still waiting are marked failed. Deactivating twice
    changes nothing."""
    webhook = Webhook.objects.select_for_update().select_related("organisation").get(pk=webhook.pk)
    _require_manager(actor=actor, organisation=webhook.organisation, api_key=api_key)
    if not webhook.is_active:
        return webhook
    webhook.is_active = False
    webhook.deactivated_at = timezone.now()
    webhook.save(update_fields=["is_active", "deactivated_at", "updated_at"])
    cancelled = WebhookDelivery.objects.filter(webhook=webhook, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, last_error="the webhook was deactivated before this delivery was sent"
    )
    audit_record(
        actor=actor, action="webhook.deactivate", target=webhook, details={"cancelled": cancelled} | _via(api_key)
    )
    return webhook


@transaction.atomic
def webhook_delivery_replay(
    *, delivery: WebhookDelivery, actor: User, api_key: ApiKey | None = None
) -> WebhookDelivery:
    """Send a delivered or failed delivery again, as a new delivery with the same event id and
    payload (the partner lost it, or has fixed its endpoint)."""
    delivery = WebhookDelivery.objects.select_related("webhook__organisation").get(pk=delivery.pk)
    webhook = delivery.webhook
    _require_manager(actor=actor, organisation=webhook.organisation, api_key=api_key)
    if not webhook.is_active:
        raise ValidationError(_("This webhook is deactivated; register the address again to receive events."))
    if delivery.status not in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
        raise ValidationError(_("This delivery is still being attempted; replay it once it is delivered or failed."))
    copy = WebhookDelivery.objects.create(
        webhook=webhook,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        payload=delivery.payload,
        replay_of=delivery,
    )
    deliveries.queue(copy.pk)
    audit_record(
        actor=actor,
        action="webhook.delivery_replay",
        target=copy,
        details={"replay_of": str(delivery.public_id)} | _via(api_key),
    )
    return copy


# --- fan-out -----------------------------------------------------------------------------------
def _iso(value) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value is not None else None


def event_key(event: RequestEvent) -> str:
    """The event's id as partners see it: stable (the idempotency key of its deliveries) without
    revealing how many events the portal has recorded."""
    return "evt_" + salted_hmac("partners.webhooks.event", str(event.pk), algorithm="sha256").hexdigest()[:32]


def event_payload(*, request: ServiceRequest, event: RequestEvent, event_type: str) -> dict:
    """What a partner is told: the work order's state and the event. Nothing about the resident
    (no name, phone, address or description), and only messages the resident may read."""
    return {
        "id": event_key(event),
        "type": event_type,
        "created": _iso(event.created_at),
        "work_order": {
            "id": request.public_id,
            "status": request.status,
            "service_code": request.service.code,
            "updated": _iso(request.updated_at),
            "due": _iso(request.resolve_due_at),
            "overdue": request.is_overdue,
            "escalation_level": request.escalation_level,
            "rating": request.rating,
        },
        "event": {
            "kind": event.kind,
            "message": event.message if event.is_public else "",
            "status": event.to_status or None,
            "previous_status": event.from_status or None,
        },
    }


def active_webhook_ids(*, organisation_id: int) -> list[int]:
    """Read on every event (index webhook_org_active_idx), so a webhook registered or turned off
    in any process counts from the next event on."""
    return list(
        Webhook.objects.filter(organisation_id=organisation_id, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def webhook_fan_out(sender, *, request: ServiceRequest, event: RequestEvent, **kwargs) -> list[int]:
    """Receiver of `services.signals.request_event_recorded`, inside the service's transaction:
    one delivery per active webhook of the handling organisation. Returns the ids queued.

    Recording the same event again creates no second delivery (unique webhook × event id)."""
    event_type = EVENT_TYPES.get(event.kind)
    if event_type is None or request.handling_organisation_id is None:
        return []
    webhook_ids = active_webhook_ids(organisation_id=request.handling_organisation_id)
    if not webhook_ids:
        return []
    payload = event_payload(request=request, event=event, event_type=event_type)
    now = timezone.now()
    # ignore_conflicts: a second recording of the event waits on the unique index, then skips.
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                webhook_id=webhook_id,
                event_id=payload["id"],
                event_type=event_type,
                payload=payload,
                created_at=now,
                next_attempt_at=now,
            )
            for webhook_id in webhook_ids
        ],
        ignore_conflicts=True,
    )
    # With ignore_conflicts PostgreSQL returns no ids: read them back. Queuing a row again that an
    # earlier recording queued is harmless (the delivery claims it once).
    queued = list(
        WebhookDelivery.objects.filter(
            webhook_id__in=webhook_ids, event_id=payload["id"], replay_of__isnull=True, status=DeliveryStatus.PENDING
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for delivery_id in queued:
        deliveries.queue(delivery_id)
    return queued


# --- delivery ----------------------------------------------------------------------------------
def delivery_body(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _fail(delivery: WebhookDelivery, error: str, status_code: int | None = None) -> None:
    deliveries.finish(delivery, status=DeliveryStatus.FAILED, last_error=error, last_status_code=status_code)


def _retry_later(delivery: WebhookDelivery, error: str, status_code: int | None = None) -> None:
    deliveries.retry_later(delivery, error, last_status_code=status_code)


def _signed_headers(delivery: WebhookDelivery, secret: str, body: bytes) -> dict[str, str]:
    timestamp = int(timezone.now().timestamp())
    return {
        "Content-Type": "application/json",
        "X-Shunqing-Event": delivery.event_type,
        "X-Shunqing-Delivery": str(delivery.public_id),
        "X-Shunqing-Timestamp": str(timestamp),
        "X-Shunqing-Signature": sign(secret, timestamp, body),
    }


def webhook_deliver(*, delivery_id: int) -> WebhookDelivery | None:
    """POST one delivery if it is due and no one else is sending it.

    Returns the delivery with its new status, or None when there was nothing to do (already
    delivered, being sent by another worker, or not due yet), so running it twice is harmless.

    Deliberately not one transaction: the claim must commit before the POST, so that a second
    worker sees the row taken while the (slow, irreversible) POST is under way.
    """
    if not deliveries.claim(delivery_id):
        return None
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    webhook = delivery.webhook
    if not webhook.is_active:
        _fail(delivery, "the webhook was deactivated before this delivery was sent")
        return delivery
    try:
        secret = personal_data.decrypt(webhook.secret_encrypted)
    except personal_data.PersonalDataError:
        _fail(delivery, "the webhook's secret cannot be decrypted (the portal's key changed); register it again")
        return delivery
    # Checked again now: the host's DNS answer may have changed since registration.
    try:
        target = outbound_http.target_check(webhook.url)
    except ValidationError as exc:
        _fail(delivery, f"not sent: {' '.join(exc.messages)}")
        return delivery
    except outbound_http.UnreachableTarget as exc:
        _retry_later(delivery, str(exc))
        return delivery

    body = delivery_body(delivery)
    try:
        answer = outbound_http.post(
            target=target, body=body, headers=_signed_headers(delivery, secret, body), timeout=DELIVERY_TIMEOUT
        )
    except (OSError, http.client.HTTPException) as exc:  # timeouts, refused connections, TLS errors
        _retry_later(delivery, f"no answer: {exc.__class__.__name__}: {exc}")
        return delivery

    status = answer.status
    described = f"HTTP {status}" + (f": {answer.excerpt}" if answer.excerpt else "")
    if 200 <= status < 300:
        deliveries.finish(
            delivery,
            status=DeliveryStatus.DELIVERED,
            delivered_at=timezone.now(),
            last_status_code=status,
            last_error="",
        )
    elif status >= 500 or status in RETRYABLE_CLIENT_ERRORS:
        _retry_later(delivery, described, status)
    elif 300 <= status < 400:
        _fail(delivery, f"HTTP {status}: the endpoint redirects, and webhooks do not follow redirects", status)
    else:
        _fail(delivery, described, status)
    return delivery


def webhook_sweep(*, batch_size: int = SWEEP_BATCH_SIZE) -> list[int]:
    """Re-queue what a dead worker or a lost task left behind (see LeasedOutbox.sweep)."""
    return deliveries.sweep(batch_size=batch_size)
