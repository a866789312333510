"""Volunteering and points (志愿服务、积分): volunteer activities with places, residents' sign-ups and the
hours staff confirm, the append-only points ledger, and each community's redemption items. Writes in
participation/volunteering.py and participation/points.py."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import TimeStampedModel
from directory.models import Area, Organisation
from security.models import User


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
    # A social organisation that runs the activity (its operators manage it); empty: the area's staff.
    organiser = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("organiser")
    )

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
