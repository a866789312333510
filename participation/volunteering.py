"""Volunteer activities (志愿服务): staff post them for their area's subtree (and a social organisation's
operators for their role's area, as their organisation: participation/organisers.py), verified residents of
that subtree sign up for a limited number of places, and afterwards staff confirm each person's
hours, which earns points at the activity's rate (participation/points.py) in the same transaction."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from directory.models import Area, Organisation
from notifications.services import notify
from participation.models import VolunteerActivity, VolunteerSignup
from participation.organisers import may_manage, organiser_checked
from participation.points import points_earn_for_signup
from residents.selectors import resident_own_profile
from security.audit import audit_record
from security.models import User

MAX_SLOTS = 1000
MAX_POINTS_PER_HOUR = 1000
MAX_LENGTH_HOURS = 24
# The places that count against the slots: a cancelled sign-up frees its place.
TAKING_A_PLACE = (VolunteerSignup.Status.SIGNED_UP, VolunteerSignup.Status.CONFIRMED)


def _tell(*, signup: VolunteerSignup, activity: VolunteerActivity, kind: str, title: str, body: str) -> None:
    notify(
        recipient=signup.user,
        kind=kind,
        title=title,
        body=body,
        link=reverse("participation:volunteer_activity", kwargs={"public_id": activity.public_id}),
        key=f"volunteer:{activity.pk}:signup:{signup.pk}:{kind}",
    )


def can_manage_activity(*, actor: User, activity: VolunteerActivity) -> bool:
    return may_manage(actor, area=activity.area, organiser_id=activity.organiser_id)


def _check_activity_fields(
    *, title: str, place: str, starts_at: datetime | None, ends_at: datetime | None, slots, points_per_hour
) -> None:
    errors = {}
    if not title:
        errors["title"] = _("Give the activity a title.")
    if not place:
        errors["place"] = _("Say where volunteers meet.")
    if starts_at is None:
        errors["starts_at"] = _("Give the start time.")
    if ends_at is None:
        errors["ends_at"] = _("Give the end time.")
    if starts_at and ends_at:
        if ends_at <= starts_at:
            errors["ends_at"] = _("The activity must end after it starts.")
        elif (ends_at - starts_at).total_seconds() > MAX_LENGTH_HOURS * 3600:
            errors["ends_at"] = _("An activity lasts at most 24 hours; post longer ones day by day.")
    if not isinstance(slots, int) or not 1 <= slots <= MAX_SLOTS:
        errors["slots"] = _("The number of places is from 1 to 1,000.")
    if not isinstance(points_per_hour, int) or not 0 <= points_per_hour <= MAX_POINTS_PER_HOUR:
        errors["points_per_hour"] = _("Points per hour are a whole number from 0 to 1,000.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def volunteer_activity_create(
    *,
    actor: User,
    area: Area,
    title: str,
    place: str,
    starts_at: datetime,
    ends_at: datetime,
    slots: int,
    points_per_hour: int,
    description: str = "",
    organiser: Organisation | None = None,
) -> VolunteerActivity:
    """A new activity for `area`'s residents. Area staff may credit an organisation of their area as
    its organiser; a social organisation's operator posts as their organisation."""
    title, place, description = (title or "").strip(), (place or "").strip(), (description or "").strip()
    if area is None:
        raise ValidationError({"area": _("Choose an area of your own.")})
    try:
        organiser = organiser_checked(actor=actor, area=area, organiser=organiser)
    except PermissionDenied:
        raise ValidationError({"area": _("Choose an area of your own.")}) from None
    _check_activity_fields(
        title=title, place=place, starts_at=starts_at, ends_at=ends_at, slots=slots, points_per_hour=points_per_hour
    )
    activity = VolunteerActivity.objects.create(
        area=area,
        title=title[:120],
        description=description[:3000],
        place=place[:200],
        starts_at=starts_at,
        ends_at=ends_at,
        slots=slots,
        points_per_hour=points_per_hour,
        created_by=actor,
        organiser=organiser,
    )
    audit_record(
        actor=actor,
        action="volunteer.activity_create",
        target=activity,
        details={
            "title": activity.title,
            "slots": slots,
            "points_per_hour": points_per_hour,
            "organiser": organiser.code if organiser else None,
        },
    )
    return activity


@transaction.atomic
def volunteer_activity_cancel(*, actor: User, activity: VolunteerActivity) -> VolunteerActivity:
    activity = VolunteerActivity.objects.select_for_update().select_related("area").get(pk=activity.pk)
    if not can_manage_activity(actor=actor, activity=activity):
        raise ValidationError(_("This activity is outside your area."))
    if activity.status == VolunteerActivity.Status.CANCELLED:
        raise ValidationError(_("This activity is already cancelled."))
    if activity.signups.filter(status=VolunteerSignup.Status.CONFIRMED).exists():
        raise ValidationError(_("Hours have been confirmed for this activity; it cannot be cancelled."))
    activity.status = VolunteerActivity.Status.CANCELLED
    activity.save(update_fields=["status", "updated_at"])
    # Everyone holding a place is told (in the outbox, in this transaction); their places stay as
    # they were, so "My volunteering" shows what they had signed up for.
    signed_up = list(activity.signups.filter(status=VolunteerSignup.Status.SIGNED_UP).select_related("user"))
    with translation.override(settings.LANGUAGE_CODE):
        for signup in signed_up:
            _tell(
                signup=signup,
                activity=activity,
                kind="volunteer.cancelled",
                title=_("Volunteer activity cancelled: %(title)s") % {"title": activity.title},
                body=_("The activity on %(when)s at %(place)s will not take place. Thank you for signing up.")
                % {"when": timezone.localtime(activity.starts_at).strftime("%Y-%m-%d %H:%M"), "place": activity.place},
            )
    audit_record(actor=actor, action="volunteer.activity_cancel", target=activity, details={"told": len(signed_up)})
    return activity


@transaction.atomic
def volunteer_sign_up(*, user: User, activity: VolunteerActivity) -> VolunteerSignup:
    """A verified resident of the activity's area takes a place.

    The activity row is locked while the places are counted, so parallel sign-ups for the last
    place queue and only one gets it."""
    profile = resident_own_profile(user=user)
    if profile is None:
        raise ValidationError(_("Only verified residents can sign up. Verify your residence first."))
    grid = profile.household.grid
    activity = VolunteerActivity.objects.select_for_update().select_related("area").get(pk=activity.pk)
    if not grid.is_within(activity.area):
        raise ValidationError(_("This activity is for residents of another area."))
    if activity.status != VolunteerActivity.Status.OPEN:
        raise ValidationError(_("This activity is cancelled."))
    if activity.starts_at <= timezone.now():
        raise ValidationError(_("This activity has already started; sign-up is closed."))
    taken = activity.signups.filter(status__in=TAKING_A_PLACE)
    if taken.filter(user=user).exists():
        raise ValidationError(_("You have already signed up for this activity."))
    if taken.count() >= activity.slots:
        raise ValidationError(_("This activity is full."))
    signup = VolunteerSignup.objects.create(activity=activity, user=user, grid=grid)
    audit_record(
        actor=user, action="volunteer.sign_up", target=signup, details={"activity": activity.pk}, area=activity.area
    )
    return signup


@transaction.atomic
def volunteer_sign_up_cancel(*, user: User, signup: VolunteerSignup) -> VolunteerSignup:
    """The volunteer gives their place back before the activity starts."""
    signup = VolunteerSignup.objects.select_for_update().select_related("activity__area").get(pk=signup.pk)
    if signup.user_id != user.pk:
        raise ValidationError(_("This is not your sign-up."))
    if signup.status != VolunteerSignup.Status.SIGNED_UP:
        raise ValidationError(_("This sign-up can no longer be cancelled."))
    if signup.activity.starts_at <= timezone.now():
        raise ValidationError(_("The activity has started; ask its organisers instead."))
    signup.status = VolunteerSignup.Status.CANCELLED
    signup.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=user,
        action="volunteer.sign_up_cancel",
        target=signup,
        details={"activity": signup.activity_id},
        area=signup.activity.area,
    )
    return signup


def parse_hours(value) -> Decimal:
    """Hours as typed (e.g. "2", "1.5"), to a tenth of an hour; a clear error for anything else."""
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"hours": _("Enter the hours as a number, e.g. 2 or 1.5.")}) from None
    if not hours.is_finite():
        raise ValidationError({"hours": _("Enter the hours as a number, e.g. 2 or 1.5.")})
    return hours.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@transaction.atomic
def volunteer_hours_confirm(*, actor: User, signup: VolunteerSignup, hours) -> VolunteerSignup:
    """Staff over the activity's area confirm the hours a volunteer served, once, after the
    activity has started; the points (hours × the activity's rate, rounded) are earned in the
    same transaction, so hours never stand without their points or the other way round."""
    hours = parse_hours(hours)
    signup = VolunteerSignup.objects.select_for_update().select_related("activity__area", "user").get(pk=signup.pk)
    activity = signup.activity
    if not can_manage_activity(actor=actor, activity=activity):
        raise ValidationError(_("This activity is outside your area."))
    if signup.status == VolunteerSignup.Status.CONFIRMED:
        raise ValidationError(_("These hours are already confirmed."))
    if signup.status != VolunteerSignup.Status.SIGNED_UP:
        raise ValidationError(_("This volunteer cancelled their sign-up."))
    if activity.status != VolunteerActivity.Status.OPEN:
        raise ValidationError(_("This activity is cancelled."))
    if activity.starts_at > timezone.now():
        raise ValidationError(_("Hours are confirmed after the activity has started."))
    if hours <= 0:
        raise ValidationError({"hours": _("Hours must be more than 0.")})
    if hours > activity.length_hours:
        raise ValidationError(
            {"hours": _("At most %(hours)s hours: the length of the activity.") % {"hours": activity.length_hours}}
        )
    signup.status = VolunteerSignup.Status.CONFIRMED
    signup.hours = hours
    signup.confirmed_by = actor
    signup.confirmed_at = timezone.now()
    signup.save(update_fields=["status", "hours", "confirmed_by", "confirmed_at", "updated_at"])
    points = int((hours * activity.points_per_hour).to_integral_value(rounding=ROUND_HALF_UP))
    entry = points_earn_for_signup(signup=signup, points=points, actor=actor)
    with translation.override(settings.LANGUAGE_CODE):
        _tell(
            signup=signup,
            activity=activity,
            kind="volunteer.hours_confirmed",
            title=_("Volunteer hours confirmed: %(title)s") % {"title": activity.title},
            body=_("%(hours)s hours confirmed, %(points)s points earned. Thank you!")
            % {"hours": hours, "points": points},
        )
    audit_record(
        actor=actor,
        action="volunteer.hours_confirm",
        target=signup,
        details={
            "activity": activity.pk,
            "user": signup.user_id,
            "hours": str(hours),
            "points": points,
            "balance_after": entry.balance_after if entry else None,
        },
        area=activity.area,
    )
    return signup
