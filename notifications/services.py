"""Telling people what happened: the outbox, its delivery, and each user's inbox and preferences.

Other apps call `notify` inside the transaction that records an event. It writes one outbox row per
channel the recipient receives, so the message commits or rolls back with the event, and queues
delivery once the transaction commits. Delivery claims the row before sending, so a duplicate task
or a second worker never sends twice; a failed send is retried with backoff; and the minutely sweep
re-queues rows whose task was lost (broker down at commit, worker killed), so an outage delays a
message but never loses it.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.transaction import TransactionManagementError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from core.leased import SWEEP_BATCH_SIZE, LeasedOutbox
from notifications import channels
from notifications.channels import PermanentDeliveryError, TransientDeliveryError
from notifications.models import Channel, Notification, NotificationPreference, OutboxMessage, OutboxStatus
from notifications.selectors import delivery_channels_for_user, inbox_for_user
from notifications.tasks import outbox_deliver_task
from residents.selectors import verification_failure_recipients
from residents.services import verification_failures_claim_untold
from security import personal_data
from security.alerts import alert_kind_label, alerts_claim_undelivered
from security.audit import audit_record
from security.models import User
from security.selectors import alert_recipients

# Wait before attempt 2, 3, 4 and 5; a fifth failure gives up.
outbox = LeasedOutbox(
    model=OutboxMessage,
    statuses=OutboxStatus,
    retry_backoff=(timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=8), timedelta(minutes=32)),
    deliver_task=outbox_deliver_task,
)
MAX_ATTEMPTS = outbox.max_attempts

KEY_MAX_LENGTH = 240  # the row key adds ":" and the channel name within the column's 255
TITLE_MAX_LENGTH = 200

_DELIVER_BY_CHANNEL = {
    Channel.IN_APP.value: channels.deliver_in_app,
    Channel.EMAIL.value: channels.deliver_email,
    Channel.SMS.value: channels.deliver_sms,
}


def _check_event(*, kind: str, key: str, link: str) -> None:
    if not key or len(key) > KEY_MAX_LENGTH:
        raise ValueError(f"notify() needs an idempotency key of 1 to {KEY_MAX_LENGTH} characters, got {key!r}.")
    if not kind or len(kind) > 64:
        raise ValueError(f"notify() needs a kind of 1 to 64 characters, got {kind!r}.")
    if link and (not link.startswith("/") or link.startswith("//") or len(link) > 500):
        raise ValueError(f"notify() takes a site-relative link such as /requests/…/, got {link!r}.")


def notify(*, recipient: User, kind: str, title: str, body: str, link: str = "", key: str) -> list[OutboxMessage]:
    """Record what to tell `recipient`: one outbox row per channel they receive, in the caller's
    transaction, delivered after it commits.

    `key` identifies the event (e.g. f"request:{pk}:status:{event_pk}"); each row's key is
    f"{key}:{channel}". Calling again with the same key creates and queues nothing new and returns
    the rows the first call made. `title` and `body` are already in the recipient's language;
    `link` is site-relative.
    """
    if not transaction.get_connection().in_atomic_block:
        raise TransactionManagementError(
            "notify() must be called inside the caller's transaction.atomic(), so the message commits or "
            "rolls back with the event it reports."
        )
    _check_event(kind=kind, key=key, link=link)
    title = Truncator(" ".join(title.split())).chars(TITLE_MAX_LENGTH)  # one line: it is an e-mail subject
    event_keys = [f"{key}:{channel}" for channel in Channel.values]
    already_recorded = OutboxMessage.objects.filter(key__in=event_keys).order_by("id")
    if already_recorded.exists():
        return list(already_recorded)
    now = timezone.now()
    # ignore_conflicts: a concurrent call with the same key waits on the unique index, then skips.
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                key=f"{key}:{channel}",
                recipient=recipient,
                channel=channel,
                kind=kind,
                title=title,
                body=body,
                link=link,
                created_at=now,
                next_attempt_at=now,
            )
            for channel in delivery_channels_for_user(user=recipient)
        ],
        ignore_conflicts=True,
    )
    messages = list(already_recorded.all())
    for message in messages:
        outbox.queue(message.pk)
    return messages


# --- delivery ----------------------------------------------------------------------------------
def outbox_deliver(*, message_id: int) -> OutboxMessage | None:
    """Deliver one outbox message if it is due and no one else is delivering it.

    Returns the message with its new status, or None when there was nothing to do (already sent,
    being sent by another worker, or not due yet), so running it twice is harmless.

    Deliberately not one transaction: the claim must commit before the send, so that a second
    worker sees the row taken while the (slow, irreversible) send is under way.
    """
    if not outbox.claim(message_id):
        return None
    message = OutboxMessage.objects.select_related("recipient").get(pk=message_id)
    try:
        _DELIVER_BY_CHANNEL[message.channel](message)
    except TransientDeliveryError as exc:
        outbox.retry_later(message, str(exc))
    except PermanentDeliveryError as exc:
        outbox.finish(message, status=OutboxStatus.FAILED, last_error=str(exc))
    else:
        outbox.finish(message, status=OutboxStatus.SENT, sent_at=timezone.now(), last_error="")
    return message


def outbox_sweep(*, batch_size: int = SWEEP_BATCH_SIZE) -> list[int]:
    """Re-queue what a dead worker or a lost task left behind (see LeasedOutbox.sweep)."""
    return outbox.sweep(batch_size=batch_size)


# --- the user's inbox and preferences ------------------------------------------------------------
@transaction.atomic
def notification_mark_read(*, user: User, notification: Notification) -> Notification:
    if notification.recipient_id != user.pk:
        raise PermissionDenied
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


@transaction.atomic
def notification_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the user read; returns how many there were."""
    return inbox_for_user(user=user).filter(read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def notification_preference_update(
    *, user: User, email: bool, sms: bool, sms_phone: str = "", urgent_notice_sms: bool | None = None
) -> NotificationPreference:
    """Save how `user` wants to be told besides the inbox.

    A number replaces the stored one; a blank keeps it. Turning SMS off deletes the number: it is
    personal data, kept only while it is used. `urgent_notice_sms` (None keeps it) says whether
    urgent notices are texted, to this number or else the register's phone. Invalid input raises
    ValidationError naming the field, and changes nothing.
    """
    preference = NotificationPreference.objects.select_for_update().filter(user=user).first() or NotificationPreference(
        user=user
    )
    phone = ""
    if sms_phone.strip():
        try:
            phone = personal_data.normalise_phone(sms_phone)
        except ValidationError as exc:
            raise ValidationError({"sms_phone": exc.messages}) from None
        if not sms:
            raise ValidationError(
                {"sms": _("Tick “Text messages” to have messages sent to this number, or clear the number.")}
            )
    if sms and not phone and not preference.sms_phone_encrypted:
        raise ValidationError({"sms_phone": _("Enter the mobile number to send text messages to.")})

    if not sms:
        phone_change = "deleted" if preference.sms_phone_encrypted else "none"
        preference.sms_phone_encrypted = preference.sms_phone_masked = ""
    elif phone:
        phone_change = "changed"
        preference.sms_phone_encrypted = personal_data.encrypt(phone)
        preference.sms_phone_masked = personal_data.mask_phone(phone)
    else:
        phone_change = "kept"
    preference.email = email
    preference.sms = sms
    if urgent_notice_sms is not None:
        preference.urgent_notice_sms = urgent_notice_sms
    if preference.pk is None:
        preference.save()
    else:
        preference.save(
            update_fields=[
                "email",
                "sms",
                "sms_phone_encrypted",
                "sms_phone_masked",
                "urgent_notice_sms",
                "updated_at",
            ]
        )
    audit_record(
        actor=user,
        action="notification_preference.update",
        target=preference,
        details={
            "email": email,
            "sms": sms,
            "sms_phone": phone_change,
            "urgent_notice_sms": preference.urgent_notice_sms,
        },
    )
    return preference


# --- security alerts for auditors ---------------------------------------------------------------
@transaction.atomic
def security_alerts_deliver(*, batch_size: int = 100) -> int:
    """Tell every active auditor and administrator whose scope covers an undelivered security
    alert about it, in their inbox and their channels; returns how many alerts were delivered.

    The claim and the messages commit together, so an alert is told once, or not yet; security
    raises alerts without knowing about notifications (notifications depends on security).
    """
    alerts = alerts_claim_undelivered(limit=batch_size)
    with translation.override(settings.LANGUAGE_CODE):
        for alert in alerts:
            title = _("Security alert: %(kind)s") % {"kind": alert_kind_label(alert.kind)}
            for recipient in alert_recipients(alert=alert):
                notify(
                    recipient=recipient,
                    kind="security_alert",
                    title=title,
                    body=alert.summary,
                    link=reverse("security:alerts"),
                    key=f"security_alert:{alert.pk}:{recipient.pk}",
                )
    return len(alerts)


# --- failed residency verifications, for the grid's staff ------------------------------------------
@transaction.atomic
def verification_failures_deliver(*, batch_size: int = 100) -> int:
    """Tell the grid workers and community staff over a household that someone tried to verify as
    its resident with an ID-card number that does not match (the number may have leaked); returns
    how many failed tries were told.

    One message per household and recipient for the tries claimed together. It names the grid and
    links to the verification queue, where staff see the rest; never the ID number, the address
    (e-mail and SMS leave the portal) or who tried. The claim and the messages commit together, so
    a try is told once, or not yet; residents records the tries without knowing about notifications.
    """
    tries = verification_failures_claim_untold(limit=batch_size)
    by_household: dict[int, list] = {}
    for verification in tries:
        by_household.setdefault(verification.household_id, []).append(verification)
    with translation.override(settings.LANGUAGE_CODE):
        for household_tries in by_household.values():
            first = household_tries[0]
            grid = first.household.grid
            title = _("Failed residency verification in %(grid)s") % {"grid": grid.name}
            body = _(
                "Someone tried %(count)s time(s) to verify as a resident of a household in %(grid)s with an "
                "ID-card number that does not match its register. The number may be in the wrong hands: see "
                "the verification queue and tell the household."
            ) % {"count": len(household_tries), "grid": grid.name}
            for recipient in verification_failure_recipients(grid=grid):
                notify(
                    recipient=recipient,
                    kind="verification_failure",
                    title=title,
                    body=body,
                    link=reverse("residents:verification_queue"),
                    key=f"verification_failure:{first.pk}:{recipient.pk}",
                )
    return len(tries)
