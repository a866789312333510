"""SMS delivered in batches, for fan-outs that text thousands of people at once (urgent notices).

A batch task gets the ids of outbox rows written together; it claims those still pending and due
with the outbox's lease (core.leased: pending → sending), finds their numbers with one query per
batch, hands them to the SMS backend (its `send_many` when it has one, else `send` per message) and
ends each row sent, failed or retried later, as `outbox_deliver` does one by one. A worker that
dies mid-batch leaves rows sending: the minutely sweep revives them, one task per row.
"""

from __future__ import annotations

from django.utils import timezone

from notifications.channels import (
    PermanentDeliveryError,
    TransientDeliveryError,
    sms_backend,
    sms_phone_finder,
    sms_text,
)
from notifications.models import Channel, OutboxMessage, OutboxStatus
from notifications.services import outbox

SMS_BATCH_SIZE = 500
# What sending and ending a row read: a batch loads only these.
MESSAGE_FIELDS = ("id", "key", "recipient", "channel", "kind", "title", "body", "link", "status", "attempts")


def outbox_deliver_sms_batch(*, message_ids: list[int]) -> dict[str, int]:
    """Deliver the SMS rows among `message_ids` that are pending and due; returns counts by outcome.

    Only kinds with a registered phone finder are batched (their numbers come from one query);
    running it twice sends nothing twice: the second run finds the rows taken or sent.
    """
    claimed = outbox.claim_many(message_ids)
    counts = {"sent": 0, "failed": 0, "retry": 0}
    if not claimed:
        return counts
    messages = list(
        OutboxMessage.objects.filter(pk__in=claimed)
        .select_related("recipient")
        .only(*MESSAGE_FIELDS, "recipient__is_active")
        .order_by("pk")
    )
    phones: dict[int, str] = {}
    by_kind: dict[str, list[OutboxMessage]] = {}
    for message in messages:
        by_kind.setdefault(message.kind, []).append(message)
    for kind, rows in by_kind.items():
        finder = sms_phone_finder(kind)
        if finder is not None:
            phones.update(finder([m for m in rows if m.channel == Channel.SMS and m.recipient.is_active]))
    sendable = [m for m in messages if m.pk in phones]
    for message in messages:
        if message.pk not in phones:
            outbox.finish(
                message,
                status=OutboxStatus.FAILED,
                last_error="the recipient has no number for this message, turned it off or is deactivated",
            )
            counts["failed"] += 1
    if not sendable:
        return counts
    backend = sms_backend()
    try:
        if hasattr(backend, "send_many"):
            backend.send_many(
                [{"phone": phones[m.pk], "text": sms_text(m), "idempotency_key": m.key} for m in sendable]
            )
            sent = sendable
        else:
            sent = []
            for message in sendable:
                try:
                    backend.send(phone=phones[message.pk], text=sms_text(message), idempotency_key=message.key)
                except TransientDeliveryError as exc:
                    outbox.retry_later(message, str(exc))
                    counts["retry"] += 1
                except PermanentDeliveryError as exc:
                    outbox.finish(message, status=OutboxStatus.FAILED, last_error=str(exc))
                    counts["failed"] += 1
                else:
                    sent.append(message)
    except TransientDeliveryError as exc:
        for message in sendable:
            outbox.retry_later(message, str(exc))
        counts["retry"] += len(sendable)
        return counts
    except PermanentDeliveryError as exc:
        OutboxMessage.objects.filter(pk__in=[m.pk for m in sendable], status=OutboxStatus.SENDING).update(
            status=OutboxStatus.FAILED, last_error=str(exc)
        )
        counts["failed"] += len(sendable)
        return counts
    # Guarded on SENDING like outbox.finish: only the claimant ends its rows.
    OutboxMessage.objects.filter(pk__in=[m.pk for m in sent], status=OutboxStatus.SENDING).update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    counts["sent"] += len(sent)
    return counts
