"""Residents taking part: notices (通知公告) with their delivery and read receipts, and the reports
residents make of inappropriate content with the moderators' decisions."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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


class ModerationReport(TimeStampedModel):
    """A resident's report that a public request, a comment on one, or a notice is inappropriate,
    and the decision of the staff over its area."""

    class Target(models.TextChoices):
        REQUEST = "request", _("Public request")
        COMMENT = "comment", _("Comment")
        NOTICE = "notice", _("Notice")

    class Reason(models.TextChoices):
        PERSONAL_DATA = "personal_data", _("Reveals someone's personal data")
        OFFENSIVE = "offensive", _("Offensive or abusive")
        FALSE = "false", _("False or misleading")
        SPAM = "spam", _("Advertising or spam")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for a decision")
        HIDDEN = "hidden", _("Hidden")
        DISMISSED = "dismissed", _("Dismissed")

    class HiddenPart(models.TextChoices):
        TEXT = "text", _("The text")
        PHOTOS = "photos", _("The photos")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    target = models.CharField(_("what"), max_length=16, choices=Target.choices)
    # Exactly one of these, by `target`. Services' rows are named by id: participation depends on
    # services, never the other way.
    request = models.ForeignKey(
        "services.ServiceRequest", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    comment = models.ForeignKey(
        "services.RequestEvent", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, null=True, blank=True, related_name="reports")
    # The area whose staff decide: the request's grid or the notice's area.
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    reporter = models.ForeignKey(User, on_delete=models.CASCADE, related_name="moderation_reports")
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices)
    note = models.TextField(_("details"), max_length=1000, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), max_length=1000, blank=True)
    # What a "hidden" decision hid: the text, or the photos of a request.
    hidden_part = models.CharField(_("hidden"), max_length=16, choices=HiddenPart.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("moderation report")
        verbose_name_plural = _("moderation reports")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(target="request", request__isnull=False, comment__isnull=True, notice__isnull=True)
                    | Q(target="comment", request__isnull=False, comment__isnull=False, notice__isnull=True)
                    | Q(target="notice", request__isnull=True, comment__isnull=True, notice__isnull=False)
                ),
                name="moderation_report_one_target",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "hidden", "dismissed"]), name="moderation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | (Q(decided_by__isnull=False) & ~Q(decision_reason="")),
                name="moderation_decision_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="hidden", hidden_part__in=["text", "photos"])
                | (~Q(status="hidden") & Q(hidden_part="")),
                name="moderation_hidden_names_part",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="moderation_queue_idx")]

    def __str__(self) -> str:
        return f"{self.get_target_display()} {self.public_id}"


# ---------------------------------------------------------------------------------------------------
# Volunteering and points (志愿服务、积分; issue 17, item 5): volunteer activities with slots, residents'
# sign-ups and the hours staff confirm, the append-only points ledger, and each community's
# redemption items. Writes in participation/volunteering.py and participation/points.py.


class VolunteerActivity(TimeStampedModel):
    """A volunteer activity posted by staff for their area's subtree."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("volunteer activity status", "Open")
        CANCELLED = "cancelled", _("Cancelled")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=3000, blank=True)
    place = models.CharField(_("place"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    slots = models.PositiveIntegerField(_("places"))
    points_per_hour = models.PositiveIntegerField(_("points per hour"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("volunteer activity")
        verbose_name_plural = _("volunteer activities")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="volunteer_ends_after_start"),
            models.CheckConstraint(condition=Q(slots__gte=1, slots__lte=1000), name="volunteer_slots_range"),
            models.CheckConstraint(condition=Q(points_per_hour__lte=1000), name="volunteer_rate_range"),
            models.CheckConstraint(condition=Q(status__in=["open", "cancelled"]), name="volunteer_status_valid"),
            models.CheckConstraint(condition=~Q(title=""), name="volunteer_title_not_empty"),
        ]
        indexes = [models.Index(fields=["area", "starts_at"], name="volunteer_area_starts_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def length_hours(self):
        """The activity's length in hours, the most hours one person can be credited with."""
        from decimal import Decimal

        return (Decimal((self.ends_at - self.starts_at).total_seconds()) / 3600).quantize(Decimal("0.1"))


class VolunteerSignup(TimeStampedModel):
    """A resident's place on an activity, and the hours staff confirmed afterwards."""

    class Status(models.TextChoices):
        SIGNED_UP = "signed_up", _("Signed up")
        CANCELLED = "cancelled", _("Cancelled")
        CONFIRMED = "confirmed", _("Hours confirmed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    activity = models.ForeignKey(VolunteerActivity, on_delete=models.PROTECT, related_name="signups")
    # The account stays (a deleted account is a tombstone), so confirmed hours keep counting in the
    # community's totals without naming anyone.
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="volunteer_signups")
    # The volunteer's grid when they signed up: hours count for that grid's community.
    grid = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SIGNED_UP)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1, null=True, blank=True)
    confirmed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["activity_id", "created_at", "id"]
        constraints = [
            # Once per activity; a cancelled place does not stop signing up again.
            models.UniqueConstraint(
                fields=["activity", "user"], condition=~Q(status="cancelled"), name="volunteer_signup_once"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["signed_up", "cancelled", "confirmed"]), name="volunteer_signup_status_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="confirmed", hours__gt=0, confirmed_by__isnull=False, confirmed_at__isnull=False)
                    | (~Q(status="confirmed") & Q(hours__isnull=True))
                ),
                name="volunteer_signup_hours_when_confirmed",
            ),
        ]
        indexes = [models.Index(fields=["user", "status"], name="volunteer_signup_user_idx")]

    def __str__(self) -> str:
        return f"{self.activity_id} · {self.user_id}"


class PointsAccount(models.Model):
    """One row per person: the head of their ledger, locked (select_for_update) by every write.

    Why a row of its own: a spend must read the balance and append an entry as one step, and two
    spends at once must not both read the same balance. Locking this row serialises one person's
    ledger writes (other people's run in parallel) with a plain SELECT … FOR UPDATE, and it exists
    even before the first entry, so there is always something to lock. `balance` and
    `last_sequence` are the newest entry's `balance_after` and `sequence`, kept here so the lock and
    the read are one query; the database refuses a negative balance in both places, and the unique
    (user, sequence) of the entries stops a second writer that somehow got past the lock.
    """

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="points_account")
    balance = models.IntegerField(default=0)
    last_sequence = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="points_account_not_negative")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.balance}"


class RedemptionItem(TimeStampedModel):
    """Something a community gives for points (a bag of rice, a haircut), with its stock."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    community = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("community"))
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=500, blank=True)
    points_cost = models.PositiveIntegerField(_("points"))
    stock = models.PositiveIntegerField(_("in stock"))
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["community_id", "points_cost", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(points_cost__gte=1), name="redemption_item_cost_positive"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="redemption_item_stock_not_negative"),
            models.CheckConstraint(condition=~Q(name=""), name="redemption_item_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class Redemption(models.Model):
    """A resident's redemption of one item: points spent and stock taken at once, handed over at
    the community office against the pickup code."""

    class Status(models.TextChoices):
        AWAITING_PICKUP = "awaiting_pickup", _("To be collected")
        HANDED_OVER = "handed_over", _("Collected")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    item = models.ForeignKey(RedemptionItem, on_delete=models.PROTECT, related_name="redemptions")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="redemptions")
    points = models.PositiveIntegerField()
    pickup_code = models.CharField(max_length=8)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.AWAITING_PICKUP)
    created_at = models.DateTimeField()
    handed_over_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    handed_over_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["awaiting_pickup", "handed_over"]), name="redemption_status_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item_id} · {self.pickup_code}"


class PointsEntry(models.Model):
    """One line of a person's points ledger. Append-only: no code path updates or deletes a row, a
    database trigger refuses UPDATE and DELETE (participation migration `points_ledger_append_only`),
    and in production the portal's role has only SELECT and INSERT on the table
    (`manage.py database_roles`). A mistake is corrected by a new `adjusted` entry.

    No `updated_at`: an entry never changes."""

    class Kind(models.TextChoices):
        EARNED = "earned", _("Earned")
        SPENT = "spent", _("Spent")
        ADJUSTED = "adjusted", _("Adjusted")

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="points_entries")
    sequence = models.PositiveIntegerField()
    amount = models.IntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    reason = models.CharField(max_length=200)
    signup = models.ForeignKey(VolunteerSignup, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    redemption = models.ForeignKey(Redemption, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    balance_after = models.IntegerField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["user_id", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["user", "sequence"], name="points_entry_sequence_unique"),
            # A confirmed sign-up earns once.
            models.UniqueConstraint(fields=["signup"], condition=Q(kind="earned"), name="points_entry_earned_once"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="points_entry_balance_not_negative"),
            models.CheckConstraint(condition=~Q(amount=0), name="points_entry_amount_not_zero"),
            models.CheckConstraint(
                condition=(
                    Q(kind="earned", amount__gt=0, signup__isnull=False, redemption__isnull=True)
                    | Q(kind="spent", amount__lt=0, signup__isnull=True, redemption__isnull=False)
                    | (Q(kind="adjusted", signup__isnull=True, redemption__isnull=True) & ~Q(reason=""))
                ),
                name="points_entry_kind_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} #{self.sequence}: {self.amount:+d}"


# --- Meetings and events (议事会、社区活动; issue 17, item 4) ----------------------------------------


class EventKind(models.TextChoices):
    COUNCIL = "council", _("Residents' council meeting")
    ACTIVITY = "activity", _("Community activity")
    OTHER = "other", _("Other")


class EventStatus(models.TextChoices):
    # Open for sign-up until it starts; "past" is read from the times, not stored.
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")


class Event(TimeStampedModel):
    """A meeting or activity for the residents of one area's subtree, organised by its staff."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices, default=EventKind.ACTIVITY)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200)
    capacity = models.PositiveIntegerField(_("places"))
    # Who may sign up: verified residents whose household's grid lies in this area's subtree.
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("for residents of"))
    status = models.CharField(_("status"), max_length=16, choices=EventStatus.choices, default=EventStatus.SCHEDULED)
    organiser = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("organiser")
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), max_length=1000, blank=True)
    # Published afterwards by staff: what was discussed and what was decided or done.
    minutes = models.TextField(_("minutes"), max_length=20000, blank=True)
    outcomes = models.TextField(_("outcomes"), max_length=5000, blank=True)
    minutes_published_at = models.DateTimeField(null=True, blank=True)
    minutes_published_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="event_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="event_capacity_positive"),
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="event_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=EventStatus.values), name="event_status_valid"),
            models.CheckConstraint(condition=~Q(title=""), name="event_title_not_empty"),
            models.CheckConstraint(condition=~Q(place=""), name="event_place_not_empty"),
        ]
        indexes = [
            models.Index(fields=["area", "starts_at"], name="event_area_start_idx"),
            models.Index(fields=["status", "starts_at"], name="event_status_start_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class EventSignupStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Place confirmed")
    WAITING = "waiting", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")
    ATTENDED = "attended", _("Attended")


class EventSignup(TimeStampedModel):
    """One resident's place (or place on the waiting list) at an event.

    One row per person and event: cancelling and signing up again reuses it. The waiting list is
    ordered by `waiting_since`; `code` is what the resident shows at the door to be checked in.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="signups")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="event_signups")
    status = models.CharField(_("status"), max_length=16, choices=EventSignupStatus.choices)
    code = models.CharField(_("check-in code"), max_length=8)
    waiting_since = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["event_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="event_signup_once"),
            models.UniqueConstraint(fields=["event", "code"], name="event_signup_code_unique"),
            models.CheckConstraint(condition=Q(status__in=EventSignupStatus.values), name="event_signup_status_valid"),
            models.CheckConstraint(
                condition=~Q(status="waiting") | Q(waiting_since__isnull=False), name="event_signup_waiting_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status="attended") | Q(checked_in_at__isnull=False), name="event_signup_attended_has_time"
            ),
        ]
        indexes = [
            models.Index(fields=["event", "status", "waiting_since"], name="event_signup_queue_idx"),
            models.Index(fields=["user", "status"], name="event_signup_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} · {self.user_id} · {self.status}"


# --- Polls and consultations (民意调查), issue 17 item 3 --------------------------------------------
# The secret ballot: `Ballot` and `BallotAnswer` say what was chosen, `PollVoter` says who voted,
# and no column joins the two. See docs/participation.md, "Polls and the secret ballot".


class PollResultsShown(models.TextChoices):
    LIVE = "live", _("While the poll is open")
    AFTER_CLOSING = "after_closing", _("Only after it closes")


class PollQuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TEXT = "text", _("Free text")


class Poll(TimeStampedModel):
    """A poll or consultation for the verified residents of one area's subtree. It can be changed
    only before it opens; it may be closed early, which sets `closes_at` to the moment of closing."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    results_shown = models.CharField(
        _("results shown"), max_length=16, choices=PollResultsShown.choices, default=PollResultsShown.AFTER_CLOSING
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by"))
    closed_early_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    closed_early_at = models.DateTimeField(_("closed early"), null=True, blank=True)

    class Meta:
        ordering = ["-opens_at", "-id"]
        verbose_name = _("poll")
        verbose_name_plural = _("polls")
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="poll_closes_after_opening"),
            models.CheckConstraint(condition=~Q(title=""), name="poll_title_not_empty"),
            models.CheckConstraint(condition=Q(results_shown__in=PollResultsShown.values), name="poll_results_valid"),
        ]
        indexes = [models.Index(fields=["area", "opens_at"], name="poll_area_opens_idx")]

    def __str__(self) -> str:
        return self.title


class PollQuestion(TimeStampedModel):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(_("kind"), max_length=16, choices=PollQuestionKind.choices)
    text = models.CharField(_("question"), max_length=500)
    # Multiple choice: at most this many options may be ticked.
    max_choices = models.PositiveSmallIntegerField(_("at most this many choices"), null=True, blank=True)

    class Meta:
        ordering = ["poll_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "position"], name="poll_question_position_unique"),
            models.CheckConstraint(condition=Q(kind__in=PollQuestionKind.values), name="poll_question_kind_valid"),
            models.CheckConstraint(condition=~Q(text=""), name="poll_question_text_not_empty"),
            models.CheckConstraint(
                condition=Q(kind="multiple", max_choices__gte=1) | (~Q(kind="multiple") & Q(max_choices__isnull=True)),
                name="poll_question_max_only_for_multiple",
            ),
        ]

    def __str__(self) -> str:
        return self.text


class PollOption(TimeStampedModel):
    question = models.ForeignKey(PollQuestion, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(_("option"), max_length=200)

    class Meta:
        ordering = ["question_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "position"], name="poll_option_position_unique"),
            models.CheckConstraint(condition=~Q(text=""), name="poll_option_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text


class Ballot(models.Model):
    """One cast ballot, apart from who cast it.

    Deliberately not a TimeStampedModel, the one exception to timestamps on every table: a time
    on a ballot could be matched with the time of the voter's "voted" record or audit event, and
    that would reveal the vote. Likewise no link to the voter, and a random UUID as the primary key
    instead of a sequence whose order would follow the order of voting (and so the order of
    PollVoter rows and audit events). `community` is the voter's community when they voted, for
    results per community, which are shown only where a community has at least 10 ballots.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="ballots")
    community = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")

    class Meta:
        # Random: listing ballots in their default order says nothing about when they were cast.
        ordering = ["id"]
        indexes = [models.Index(fields=["poll", "community"], name="ballot_poll_community_idx")]

    def __str__(self) -> str:
        return str(self.id)


class BallotAnswer(models.Model):
    """One ticked option, or the free text given, on a ballot. Like the ballot: a random key, no
    time (see Ballot)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(PollQuestion, on_delete=models.PROTECT, related_name="+")
    option = models.ForeignKey(PollOption, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    text = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(option__isnull=False) & Q(text="")) | (Q(option__isnull=True) & ~Q(text="")),
                name="ballot_answer_option_or_text",
            ),
            # The same option twice on one ballot would count twice.
            models.UniqueConstraint(
                fields=["ballot", "option"], condition=Q(option__isnull=False), name="ballot_answer_option_once"
            ),
        ]
        indexes = [models.Index(fields=["question", "option"], name="ballot_answer_tally_idx")]

    def __str__(self) -> str:
        return str(self.id)


class PollVoter(models.Model):
    """That a person has voted in a poll, and nothing about how.

    One ballot per verified resident is enforced here, by the database: this row is inserted in
    the ballot's transaction, and a second vote fails on these unique constraints. Both the account
    and its register entry are keyed, so deleting an account and verifying a new one as the same
    resident does not give a second vote (on deletion `user` is cleared, `resident` stays).
    `voted_at` is safe to keep because the ballot has no time to match it with; the audit log
    records the same moment anyway.
    """

    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="voters")
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="poll_votes")
    resident = models.ForeignKey(ResidentProfile, on_delete=models.CASCADE, related_name="+")
    voted_at = models.DateTimeField()

    class Meta:
        ordering = ["poll_id", "voted_at"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "user"], name="poll_voter_once_per_account"),
            models.UniqueConstraint(fields=["poll", "resident"], name="poll_voter_once_per_resident"),
        ]
        indexes = [models.Index(fields=["user"], name="poll_voter_user_idx")]

    def __str__(self) -> str:
        return f"{self.poll_id} · {self.user_id}"
