"""Meetings and events (议事会、社区活动): what staff organise and who signed up, waiting or came."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from directory.models import Area, Organisation
from security.models import User


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
    # Published with the minutes: the proposals of communities in the event's area that it discussed.
    proposals_discussed = models.ManyToManyField(
        "participation.Proposal", blank=True, related_name="meetings", verbose_name=_("proposals discussed")
    )

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
