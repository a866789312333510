"""Notices (通知公告), their read receipts, and grid workers' records of telling a resident in person."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from directory.models import Area, Organisation
from residents.models import ResidentProfile
from security.models import User


class NoticeCategory(models.TextChoices):
    WATER_POWER = "water_power", _("Water or power cut")
    FLOOD_DISASTER = "flood_disaster", _("Flood and disaster prevention")
    VACCINATION = "vaccination", _("Vaccination")
    COMMUNITY_EVENT = "community_event", _("Community event")
    POLICY = "policy", _("Policy")
    SAFETY = "safety", _("Safety")
    HEALTH = "health", _("Health services")
    OTHER = "other", _("Other")


class NoticeAudience(models.TextChoices):
    EVERYONE = "everyone", _("Everyone in the area")
    ELDERLY_HOUSEHOLDS = "elderly_households", _("Households with elderly or living-alone members")


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    # A department's or partner's notice waits for the staff of the community it addresses.
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    REFUSED = "refused", _("Refused")
    # Released: residents see it from `publish_at` until `expires_at`.
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Notice(TimeStampedModel):
    """A notice to the residents of one area's subtree."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), max_length=5000)
    category = models.CharField(_("category"), max_length=32, choices=NoticeCategory.choices)
    audience = models.CharField(
        _("audience"), max_length=32, choices=NoticeAudience.choices, default=NoticeAudience.EVERYONE
    )
    is_urgent = models.BooleanField(_("urgent"), default=False)
    publish_at = models.DateTimeField(_("publish at"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=32, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT)
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("author"))
    # The department or partner a notice is published for; blank for staff publishing for their area.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("organisation")
    )
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    refusal_reason = models.TextField(_("reason"), max_length=1000, blank=True)
    # One optional attachment: an image or a PDF, stored outside the static files and served by a
    # view that checks who may see the notice.
    attachment = models.FileField(upload_to="notice-attachments/", blank=True)
    attachment_name = models.CharField(_("attachment"), max_length=200, blank=True)
    attachment_content_type = models.CharField(max_length=64, blank=True)
    attachment_size = models.PositiveIntegerField(default=0)
    # Fan-out progress, shown to the publisher: the inbox rows and SMS are written in batches.
    fan_out_started_at = models.DateTimeField(null=True, blank=True)
    fan_out_finished_at = models.DateTimeField(null=True, blank=True)
    recipients_total = models.PositiveIntegerField(default=0)
    recipients_done = models.PositiveIntegerField(default=0)
    # Moderation: a hidden notice leaves every resident-facing page.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.TextField(_("reason for hiding"), max_length=1000, blank=True)

    class Meta:
        ordering = ["-publish_at", "-id"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("publish_at")),
                name="notice_expires_after_publication",
            ),
            models.CheckConstraint(condition=Q(status__in=NoticeStatus.values), name="notice_status_valid"),
            models.CheckConstraint(condition=Q(category__in=NoticeCategory.values), name="notice_category_valid"),
            models.CheckConstraint(condition=Q(audience__in=NoticeAudience.values), name="notice_audience_valid"),
            models.CheckConstraint(condition=~Q(title=""), name="notice_title_not_empty"),
            models.CheckConstraint(condition=~Q(body=""), name="notice_body_not_empty"),
        ]
        indexes = [
            models.Index(fields=["status", "publish_at"], name="notice_status_publish_idx"),
            models.Index(fields=["area", "status"], name="notice_area_status_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class NoticeReceipt(models.Model):
    """One recipient account of a notice: written by the fan-out, read on the first opening.

    `grid` is the recipient's grid when the notice went out, so reach per grid stays what it was
    when a resident later moves.
    """

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notice_receipts")
    grid = models.ForeignKey(Area, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    delivered_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["notice_id", "id"]
        constraints = [models.UniqueConstraint(fields=["notice", "user"], name="notice_receipt_once")]
        indexes = [models.Index(fields=["notice", "grid"], name="notice_receipt_grid_idx")]

    def __str__(self) -> str:
        return f"{self.notice_id} → {self.user_id}"


class NoticeInformed(models.Model):
    """A grid worker's record that they told a resident of an urgent notice in person or by phone:
    the resident leaves the grid's list of those not yet reached."""

    class How(models.TextChoices):
        VISIT = "visit", _("In person")
        PHONE = "phone", _("By phone")

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="informed")
    resident = models.ForeignKey(ResidentProfile, on_delete=models.CASCADE, related_name="+")
    how = models.CharField(_("how"), max_length=16, choices=How.choices, default=How.VISIT)
    informed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    informed_at = models.DateTimeField()

    class Meta:
        ordering = ["notice_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "resident"], name="notice_informed_once"),
            models.CheckConstraint(condition=Q(how__in=["visit", "phone"]), name="notice_informed_how_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} informed {self.resident_id}"
