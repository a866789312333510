import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from directory.models import Area
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


# --- area alerts: what a person follows, and what happened there ---------------------------------
class AlertMode(models.TextChoices):
    AT_ONCE = "at_once", _("At once")
    DIGEST = "digest", _("Once a day, in one message")


class AreaAlertSetting(TimeStampedModel):
    """How one person follows areas: at once or in a daily digest, whether their own grid (the grid
    of their resident role) is followed, and which service categories of requests they want.

    A person without a row follows their own grid, every category, in the daily digest."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="area_alert_setting")
    mode = models.CharField(_("how often"), max_length=16, choices=AlertMode.choices, default=AlertMode.DIGEST)
    follows_own_grid = models.BooleanField(_("my own grid"), default=True)
    # Codes of services.Service (notifications cannot import services: the codes are checked
    # against the catalogue services registers, see area_alerts.service_categories). Empty: all.
    service_codes = models.JSONField(_("service categories"), default=list, blank=True)

    class Meta:
        ordering = ["user_id"]
        verbose_name = _("area alert setting")
        verbose_name_plural = _("area alert settings")
        constraints = [
            models.CheckConstraint(condition=Q(mode__in=AlertMode.values), name="area_alert_setting_mode_valid"),
        ]

    def __str__(self) -> str:
        return str(self.user)


class AreaSubscription(TimeStampedModel):
    """One area (a community or a grid) a person follows besides their own grid."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="area_subscriptions")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+", verbose_name=_("area"))

    class Meta:
        ordering = ["user_id", "area__path"]
        verbose_name = _("followed area")
        verbose_name_plural = _("followed areas")
        constraints = [models.UniqueConstraint(fields=["user", "area"], name="area_subscription_once")]
        # The fan-out looks subscriptions up by area.
        indexes = [models.Index(fields=["area", "user"], name="area_subscription_area_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.area_id}"


class AreaAlert(models.Model):
    """Something public that happened in an area: a new public request, or an "everyone" notice.

    Written in the transaction of the event (one row, whatever the number of followers); a task
    started on commit tells the followers, and the minutely sweep finishes what a lost task left.
    Holds only what the public may read."""

    class Topic(models.TextChoices):
        REQUEST = "request", _("Public request")
        NOTICE = "notice", _("Notice")

    key = models.CharField(max_length=200, unique=True)
    topic = models.CharField(max_length=16, choices=Topic.choices)
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    service_code = models.CharField(max_length=64, blank=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=500)
    exclude_user_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("area alert")
        verbose_name_plural = _("area alerts")
        constraints = [
            models.CheckConstraint(condition=Q(topic__in=["request", "notice"]), name="area_alert_topic_valid"),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="area_alert_pending_idx", condition=Q(fanned_out_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.key


class AreaDigestItem(models.Model):
    """One alert waiting for a digest follower's next daily message."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(AreaAlert, on_delete=models.CASCADE, related_name="digest_items")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user_id", "created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "alert"], name="area_digest_item_once")]
        indexes = [models.Index(fields=["created_at", "user"], name="area_digest_item_due_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.alert_id}"
