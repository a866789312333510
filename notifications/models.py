import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from security.models import User


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In-app message")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    """One entry in a user's in-app inbox, made by delivering an in-app `OutboxMessage`."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    # The outbox row this entry was delivered from: unique, so delivering a row twice (a retry
    # after a worker crashed between writing this and marking the row sent) adds nothing.
    outbox_key = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(TimeStampedModel):
    """How a user wants to be told, besides the in-app inbox (always on). A user without a row
    gets the defaults: e-mail when they have an address, no SMS."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="notification_preference")
    email = models.BooleanField(_("e-mail"), default=True)
    sms = models.BooleanField(_("SMS"), default=False)
    # The SMS number is personal data: encrypted at rest, shown masked, kept only while SMS is on.
    sms_phone_encrypted = models.TextField(blank=True)
    sms_phone_masked = models.CharField(_("mobile number"), max_length=11, blank=True)
    # Urgent notices (通知公告) are texted to the number above, else to the phone in the resident
    # register, unless the resident turns this off.
    urgent_notice_sms = models.BooleanField(_("urgent notices by text message"), default=True)

    class Meta:
        ordering = ["user_id"]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.CheckConstraint(
                condition=Q(sms=False) | ~Q(sms_phone_encrypted=""), name="notification_preference_sms_needs_phone"
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)


class OutboxMessage(models.Model):
    """One message to deliver on one channel, written in the transaction of the event it reports.

    A worker claims a pending row (pending → sending), delivers it and marks it sent; a transient
    failure puts it back to pending with a later `next_attempt_at`. While a row is sending,
    `next_attempt_at` is the end of the worker's lease: past it, the sweep assumes the worker died.
    """

    key = models.CharField(_("idempotency key"), max_length=255, unique=True)
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="outbox_messages")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="outbox_channel_valid"),
            models.CheckConstraint(condition=Q(status__in=OutboxStatus.values), name="outbox_status_valid"),
        ]

    def __str__(self) -> str:
        return self.key
