import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from directory.models import Organisation
from security.models import User


class Webhook(TimeStampedModel):
    """An address of a partner's system that receives its work orders' events, signed with a
    secret only the partner and the portal know."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="webhooks", verbose_name=_("organisation")
    )
    # Checked by core.outbound_http (https only, public addresses), not by a form validator.
    url = models.CharField(_("address"), max_length=500)
    # A credential: encrypted at rest with the personal-data key, decrypted only to sign a delivery.
    secret_encrypted = models.TextField()
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by"))
    deactivated_at = models.DateTimeField(_("deactivated"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        indexes = [models.Index(fields=["organisation", "is_active"], name="webhook_org_active_idx")]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event to POST to one webhook, written in the transaction of the change it reports.

    Claimed like a notifications outbox row (pending → sending → delivered, or back to pending with
    a later `next_attempt_at`); while a row is sending, `next_attempt_at` is the end of the worker's
    lease. `event_id` is the event's idempotency key: the same event is recorded once per webhook,
    and a replay is a new row (`replay_of`) carrying the same event id, so the partner can tell.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(_("event"), max_length=64)
    event_type = models.CharField(_("event type"), max_length=64)
    payload = models.JSONField(_("payload"))
    # CASCADE, not SET_NULL: a replay whose link was cleared would collide with its original on
    # the unique event constraint below.
    replay_of = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replays", verbose_name=_("replay of")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            # The fan-out's idempotency: an event reaches a webhook once (replays aside).
            models.UniqueConstraint(
                fields=["webhook", "event_id"], condition=Q(replay_of__isnull=True), name="webhook_delivery_event_once"
            ),
            models.CheckConstraint(condition=Q(status__in=DeliveryStatus.values), name="webhook_delivery_status_valid"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx"),
            models.Index(fields=["webhook", "-created_at", "-id"], name="webhook_delivery_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} → {self.webhook_id}"
