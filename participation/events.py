"""Meetings and events (议事会、社区活动): every write, as services.

Staff of an area (grid worker up to district leader) create events for their subtree, change and
cancel them, check people in and publish the minutes; so do a social organisation's operators for the
events their organisation runs in their role's area (participation/organisers.py says who may).
Verified residents whose household lies in the event's area sign up; beyond capacity they join a
waiting list, and when a place frees the first waiting person moves up and is told.

Capacity under concurrency: every write that changes who holds a place locks the event row first
(`select_for_update`), so sign-ups, cancellations, check-ins and capacity changes of one event run
one after the other and the count read under the lock is the count written. Lock order is always
event, then its sign-ups; the audit event comes last (it takes the audit chain's lock).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from directory.models import Area, Organisation
from notifications.services import notify
from participation.models import Event, EventKind, EventSignup, EventSignupStatus, EventStatus, Proposal
from participation.organisers import may_manage, organiser_checked
from residents.selectors import resident_own_profile
from security.audit import audit_record
from security.models import User

# Staff who organise events for their area's subtree and check people in.
TAKEN = (EventSignupStatus.CONFIRMED, EventSignupStatus.ATTENDED)
ACTIVE = (EventSignupStatus.CONFIRMED, EventSignupStatus.WAITING, EventSignupStatus.ATTENDED)
MAX_CAPACITY = 2000
# Check-in at the door: from some hours before the start until some hours after the end, so an
# evening meeting's late arrivals and a morning activity's early queue both count.
CHECK_IN_OPENS_BEFORE = timedelta(hours=12)
CHECK_IN_CLOSES_AFTER = timedelta(hours=12)
# The reminder goes to confirmed residents of events starting within this time.
REMINDER_AHEAD = timedelta(hours=24)
REMINDER_BATCH = 500
CODE_DIGITS = 4


# --- who may do what ---------------------------------------------------------------------------
def can_manage_event(*, actor: User, event: Event) -> bool:
    return may_manage(actor, area=event.area, organiser_id=event.organiser_id)


def _check_manager(actor: User, event: Event) -> None:
    if not can_manage_event(actor=actor, event=event):
        raise PermissionDenied(_("Only the staff of the event's area manage it."))


def _resident_grid(user: User, event: Event) -> Area:
    """The grid of a verified resident in the event's area, or a clear refusal."""
    profile = resident_own_profile(user=user)
    if profile is None:
        raise ValidationError(_("Only verified residents can sign up. Verify your residence first."))
    grid = profile.household.grid
    if not grid.path.startswith(event.area.path):
        raise ValidationError(
            _("This event is for residents of %(area)s; your household is not there.") % {"area": event.area.name}
        )
    return grid


# --- validation --------------------------------------------------------------------------------
def _validated(
    *,
    kind: str,
    title: str,
    description: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    place: str,
    capacity: int | None,
) -> dict:
    errors: dict[str, str] = {}
    title = (title or "").strip()
    place = (place or "").strip()
    description = (description or "").strip()
    if kind not in EventKind.values:
        errors["kind"] = _("Choose the kind of event.")
    if not title:
        errors["title"] = _("Give the event a title.")
    elif len(title) > 120:
        errors["title"] = _("Keep the title under 120 characters.")
    if len(description) > 5000:
        errors["description"] = _("Keep the description under 5,000 characters.")
    if not place:
        errors["place"] = _("Say where it takes place.")
    elif len(place) > 200:
        errors["place"] = _("Keep the place under 200 characters.")
    if starts_at is None:
        errors["starts_at"] = _("Give the start time.")
    if ends_at is None:
        errors["ends_at"] = _("Give the end time.")
    elif starts_at is not None and ends_at <= starts_at:
        errors["ends_at"] = _("The event must end after it starts.")
    if capacity is None or capacity < 1:
        errors["capacity"] = _("There must be at least one place.")
    elif capacity > MAX_CAPACITY:
        errors["capacity"] = _("At most %(max)d places.") % {"max": MAX_CAPACITY}
    if errors:
        raise ValidationError(errors)
    return {
        "kind": kind,
        "title": title,
        "description": description,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "place": place,
        "capacity": capacity,
    }


def _locked(event: Event) -> Event:
    return Event.objects.select_for_update(of=("self",)).select_related("area", "organiser").get(pk=event.pk)


def _taken(event: Event) -> int:
    return EventSignup.objects.filter(event=event, status__in=TAKEN).count()


def _new_code(event: Event) -> str:
    # Called with the event locked, so no one else picks a code for it meanwhile; the unique
    # constraint (event, code) backs this up.
    used = set(EventSignup.objects.filter(event=event).values_list("code", flat=True))
    digits = CODE_DIGITS if len(used) < 10**CODE_DIGITS // 4 else CODE_DIGITS + 2
    while True:
        code = "".join(secrets.choice("0123456789") for _unused in range(digits))
        if code not in used:
            return code


# --- telling people ----------------------------------------------------------------------------
def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _tell(*, user: User, event: Event, kind: str, key: str, title: str, body: str) -> None:
    notify(
        recipient=user,
        kind=kind,
        title=title,
        body=body,
        link=reverse("participation:event_detail", kwargs={"public_id": event.public_id}),
        key=key,
    )


def _tell_promoted(signup: EventSignup, event: Event) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        _tell(
            user=signup.user,
            event=event,
            kind="event.promoted",
            key=f"event:{event.pk}:signup:{signup.pk}:promoted:{signup.confirmed_at.isoformat()}",
            title=_("A place is yours: %(title)s") % {"title": event.title},
            body=_("Someone cancelled, so you moved up from the waiting list. %(when)s at %(place)s.")
            % {"when": _local(event.starts_at), "place": event.place},
        )


def _promote(event: Event, now: datetime) -> list[EventSignup]:
    """Move the first waiting people up while places are free, and tell them. Event locked."""
    free = event.capacity - _taken(event)
    if free <= 0:
        return []
    promoted = list(
        EventSignup.objects.select_for_update()
        .select_related("user")
        .filter(event=event, status=EventSignupStatus.WAITING)
        .order_by("waiting_since", "id")[:free]
    )
    for signup in promoted:
        signup.status = EventSignupStatus.CONFIRMED
        signup.confirmed_at = now
        signup.waiting_since = None
        signup.save(update_fields=["status", "confirmed_at", "waiting_since", "updated_at"])
        _tell_promoted(signup, event)
    return promoted


# --- staff: create, change, cancel -------------------------------------------------------------
@transaction.atomic
def event_create(
    *,
    actor: User,
    area: Area,
    kind: str,
    title: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    place: str,
    capacity: int | None,
    description: str = "",
    organiser: Organisation | None = None,
) -> Event:
    if area is None:
        raise ValidationError({"area": _("Choose who the event is for.")})
    organiser = organiser_checked(actor=actor, area=area, organiser=organiser)
    fields = _validated(
        kind=kind,
        title=title,
        description=description,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        capacity=capacity,
    )
    if fields["starts_at"] <= timezone.now():
        raise ValidationError({"starts_at": _("The start must be in the future.")})
    event = Event.objects.create(area=area, organiser=organiser, created_by=actor, **fields)
    audit_record(
        actor=actor,
        action="event.create",
        target=event,
        area=area,
        details={"event": str(event.public_id), "capacity": event.capacity, "starts_at": _local(event.starts_at)},
    )
    return event


@transaction.atomic
def event_update(
    *,
    actor: User,
    event: Event,
    area: Area,
    kind: str,
    title: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    place: str,
    capacity: int | None,
    description: str = "",
    organiser: Organisation | None = None,
) -> Event:
    event = _locked(event)
    _check_manager(actor, event)
    now = timezone.now()
    if event.status == EventStatus.CANCELLED:
        raise ValidationError(_("This event is cancelled and cannot be changed."))
    if event.ends_at <= now:
        raise ValidationError(_("This event is over. Publish its minutes instead."))
    if area is None:
        raise ValidationError({"area": _("Choose who the event is for.")})
    fields = _validated(
        kind=kind,
        title=title,
        description=description,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        capacity=capacity,
    )
    if fields["starts_at"] != event.starts_at and fields["starts_at"] <= now:
        raise ValidationError({"starts_at": _("The start must be in the future.")})
    taken = _taken(event)
    if fields["capacity"] < taken:
        raise ValidationError(
            {
                "capacity": _("%(count)d people already have a place; there must be at least as many places.")
                % {"count": taken}
            }
        )
    if area.pk != event.area_id or (organiser.pk if organiser else None) != event.organiser_id:
        organiser = organiser_checked(actor=actor, area=area, organiser=organiser, current_id=event.organiser_id)
    if area.pk != event.area_id and EventSignup.objects.filter(event=event, status__in=ACTIVE).exists():
        raise ValidationError({"area": _("People have signed up: the event's area can no longer change.")})
    moved = fields["starts_at"] != event.starts_at or fields["place"] != event.place
    changed = sorted(name for name, value in fields.items() if getattr(event, name) != value)
    if area.pk != event.area_id:
        changed.append("area")
    if (organiser.pk if organiser else None) != event.organiser_id:
        changed.append("organiser")
    for name, value in fields.items():
        setattr(event, name, value)
    event.area = area
    event.organiser = organiser
    event.save(update_fields=[*fields.keys(), "area", "organiser", "updated_at"])
    promoted = _promote(event, now)
    if moved:
        _tell_changed(event)
    audit_record(
        actor=actor,
        action="event.update",
        target=event,
        area=event.area,
        details={
            "event": str(event.public_id),
            "changed": changed,
            "promoted": [str(signup.public_id) for signup in promoted],
        },
    )
    return event


def _tell_changed(event: Event) -> None:
    signups = EventSignup.objects.select_related("user").filter(event=event, status__in=ACTIVE)
    stamp = event.updated_at.isoformat()
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Changed: %(title)s") % {"title": event.title}
        body = _("It is now %(when)s at %(place)s.") % {"when": _local(event.starts_at), "place": event.place}
        for signup in signups:
            _tell(
                user=signup.user,
                event=event,
                kind="event.changed",
                key=f"event:{event.pk}:signup:{signup.pk}:changed:{stamp}",
                title=title,
                body=body,
            )


@transaction.atomic
def event_cancel(*, actor: User, event: Event, reason: str) -> Event:
    """Cancel the event: everyone with a place or on the waiting list is told, with the reason."""
    event = _locked(event)
    _check_manager(actor, event)
    if event.status == EventStatus.CANCELLED:
        raise ValidationError(_("This event is already cancelled."))
    now = timezone.now()
    if event.ends_at <= now:
        raise ValidationError(_("This event is over and cannot be cancelled."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Tell the residents why the event is cancelled.")})
    if len(reason) > 1000:
        raise ValidationError({"reason": _("Keep it under 1,000 characters.")})
    event.status = EventStatus.CANCELLED
    event.cancelled_at = now
    event.cancel_reason = reason
    event.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    told = 0
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Cancelled: %(title)s") % {"title": event.title}
        body = _("The event on %(when)s is cancelled. Reason: %(reason)s") % {
            "when": _local(event.starts_at),
            "reason": reason,
        }
        for signup in EventSignup.objects.select_related("user").filter(event=event, status__in=ACTIVE):
            _tell(
                user=signup.user,
                event=event,
                kind="event.cancelled",
                key=f"event:{event.pk}:signup:{signup.pk}:cancelled",
                title=title,
                body=body,
            )
            told += 1
    audit_record(
        actor=actor,
        action="event.cancel",
        target=event,
        area=event.area,
        details={"event": str(event.public_id), "told": told},
    )
    return event


# --- residents: sign up, cancel -----------------------------------------------------------------
@transaction.atomic
def event_signup(*, user: User, event: Event) -> EventSignup:
    """Sign a verified resident up: a place while there is one, else the end of the waiting list."""
    event = _locked(event)
    grid = _resident_grid(user, event)
    now = timezone.now()
    if event.status == EventStatus.CANCELLED:
        raise ValidationError(_("This event is cancelled."))
    if event.starts_at <= now:
        raise ValidationError(_("Sign-up has closed: the event has started or is over."))
    signup = EventSignup.objects.filter(event=event, user=user).first()
    if signup is not None and signup.status == EventSignupStatus.WAITING:
        raise ValidationError(_("You are already on the waiting list."))
    if signup is not None and signup.status in TAKEN:
        raise ValidationError(_("You have already signed up."))
    waiting = EventSignup.objects.filter(event=event, status=EventSignupStatus.WAITING).exists()
    confirmed = _taken(event) < event.capacity and not waiting
    if signup is None:
        signup = EventSignup(event=event, user=user, code=_new_code(event))
    signup.status = EventSignupStatus.CONFIRMED if confirmed else EventSignupStatus.WAITING
    signup.confirmed_at = now if confirmed else None
    signup.waiting_since = None if confirmed else now
    signup.cancelled_at = None
    signup.save()
    audit_record(
        actor=user,
        action="event.signup",
        target=event,
        area=grid,
        details={"event": str(event.public_id), "signup": str(signup.public_id), "status": signup.status},
    )
    return signup


@transaction.atomic
def event_signup_cancel(*, user: User, event: Event) -> EventSignup:
    """The resident gives up their place (the first waiting person moves up) or leaves the list."""
    event = _locked(event)
    signup = (
        EventSignup.objects.select_for_update()
        .filter(event=event, user=user, status__in=[EventSignupStatus.CONFIRMED, EventSignupStatus.WAITING])
        .first()
    )
    if signup is None:
        raise ValidationError(_("You are not signed up for this event."))
    now = timezone.now()
    if event.status == EventStatus.SCHEDULED and event.starts_at <= now:
        raise ValidationError(_("The event has started; it is too late to cancel."))
    was = signup.status
    signup.status = EventSignupStatus.CANCELLED
    signup.cancelled_at = now
    signup.waiting_since = None
    signup.save(update_fields=["status", "cancelled_at", "waiting_since", "updated_at"])
    promoted = _promote(event, now) if event.status == EventStatus.SCHEDULED else []
    audit_record(
        actor=user,
        action="event.signup_cancel",
        target=event,
        area=event.area,
        details={
            "event": str(event.public_id),
            "signup": str(signup.public_id),
            "was": was,
            "promoted": [str(p.public_id) for p in promoted],
        },
    )
    return signup


# --- on the day and afterwards -------------------------------------------------------------------
def check_in_open(event: Event, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        event.status == EventStatus.SCHEDULED
        and event.starts_at - CHECK_IN_OPENS_BEFORE <= now <= event.ends_at + CHECK_IN_CLOSES_AFTER
    )


@transaction.atomic
def event_check_in(*, actor: User, event: Event, code: str) -> EventSignup:
    """Staff check in the person whose sign-up has this code (typed, or picked from the list)."""
    event = _locked(event)
    _check_manager(actor, event)
    if event.status == EventStatus.CANCELLED:
        raise ValidationError(_("This event is cancelled."))
    now = timezone.now()
    if not check_in_open(event, now):
        raise ValidationError(_("Check-in is open only on the day of the event."))
    code = "".join((code or "").split())
    signup = (
        EventSignup.objects.select_for_update().filter(event=event, code=code).first()
        if code.isdigit() and len(code) <= 8
        else None
    )
    if signup is None or signup.status == EventSignupStatus.CANCELLED:
        raise ValidationError({"code": _("No sign-up for this event has this code. Check the number.")})
    if signup.status == EventSignupStatus.WAITING:
        raise ValidationError({"code": _("This person is on the waiting list and has no place.")})
    if signup.status == EventSignupStatus.ATTENDED:
        raise ValidationError({"code": _("Already checked in at %(time)s.") % {"time": _local(signup.checked_in_at)}})
    signup.status = EventSignupStatus.ATTENDED
    signup.checked_in_at = now
    signup.checked_in_by = actor
    signup.save(update_fields=["status", "checked_in_at", "checked_in_by", "updated_at"])
    audit_record(
        actor=actor,
        action="event.check_in",
        target=event,
        area=event.area,
        details={"event": str(event.public_id), "signup": str(signup.public_id)},
    )
    return signup


@transaction.atomic
def event_minutes_publish(
    *, actor: User, event: Event, minutes: str, outcomes: str = "", proposals: list[Proposal] | None = None
) -> Event:
    """Publish (or correct) what was discussed and what came of it, with the residents' proposals it
    discussed (of communities within the event's area; publishing again replaces them); residents of
    the area read it, and each proposal's page lists the meeting."""
    event = _locked(event)
    _check_manager(actor, event)
    if event.status == EventStatus.CANCELLED:
        raise ValidationError(_("This event was cancelled; there are no minutes to publish."))
    now = timezone.now()
    if event.starts_at > now:
        raise ValidationError(_("Minutes are published once the event has taken place."))
    minutes = (minutes or "").strip()
    outcomes = (outcomes or "").strip()
    errors = {}
    if not minutes:
        errors["minutes"] = _("Write the minutes.")
    elif len(minutes) > 20000:
        errors["minutes"] = _("Keep the minutes under 20,000 characters.")
    if len(outcomes) > 5000:
        errors["outcomes"] = _("Keep the outcomes under 5,000 characters.")
    proposals = list(proposals or [])
    if any(not proposal.community.is_within(event.area) for proposal in proposals):
        errors["proposals"] = _("Choose proposals of communities within the event's area (%(area)s).") % {
            "area": event.area.name
        }
    if errors:
        raise ValidationError(errors)
    first = event.minutes_published_at is None
    event.minutes = minutes
    event.outcomes = outcomes
    event.minutes_published_at = now
    event.minutes_published_by = actor
    event.save(update_fields=["minutes", "outcomes", "minutes_published_at", "minutes_published_by", "updated_at"])
    event.proposals_discussed.set(proposals)
    audit_record(
        actor=actor,
        action="event.minutes_publish",
        target=event,
        area=event.area,
        details={
            "event": str(event.public_id),
            "first": first,
            "proposals": sorted(str(proposal.public_id) for proposal in proposals),
        },
    )
    return event


# --- the day before -------------------------------------------------------------------------------
def event_reminders_send(*, now: datetime | None = None) -> int:
    """Remind everyone with a place at an event starting within 24 hours; returns how many.

    Safe to run twice or in two workers at once: rows are claimed with SKIP LOCKED and marked, and
    the message key is per event and sign-up, so nobody is reminded twice.
    """
    now = now or timezone.now()
    sent = 0
    while True:
        with transaction.atomic():
            batch = list(
                EventSignup.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("event", "event__area", "user")
                .filter(
                    status=EventSignupStatus.CONFIRMED,
                    reminded_at__isnull=True,
                    event__status=EventStatus.SCHEDULED,
                    event__starts_at__gt=now,
                    event__starts_at__lte=now + REMINDER_AHEAD,
                )
                .order_by("pk")[:REMINDER_BATCH]
            )
            if not batch:
                return sent
            by_event: dict[int, list[EventSignup]] = {}
            with translation.override(settings.LANGUAGE_CODE):
                for signup in batch:
                    event = signup.event
                    _tell(
                        user=signup.user,
                        event=event,
                        kind="event.reminder",
                        key=f"event:{event.pk}:signup:{signup.pk}:reminder",
                        title=_("Reminder: %(title)s") % {"title": event.title},
                        body=_("%(when)s at %(place)s. Show your check-in code %(code)s at the door.")
                        % {"when": _local(event.starts_at), "place": event.place, "code": signup.code},
                    )
                    by_event.setdefault(event.pk, []).append(signup)
            EventSignup.objects.filter(pk__in=[s.pk for s in batch]).update(reminded_at=now)
            for signups in by_event.values():
                event = signups[0].event
                audit_record(
                    actor=None,
                    action="event.remind",
                    target=event,
                    area=event.area,
                    details={"event": str(event.public_id), "reminded": len(signups)},
                )
            sent += len(batch)


# --- account deletion ------------------------------------------------------------------------------
def event_signups_erase(*, user: User) -> dict:
    """Delete a person's sign-ups (called inside the account deletion's transaction). A place they
    held at an event still to come goes to the first waiting person, who is told; no audit event
    here, the deletion's own event carries the counts (and the chain's lock must come last)."""
    now = timezone.now()
    upcoming = (
        EventSignup.objects.filter(
            user=user, status__in=TAKEN, event__status=EventStatus.SCHEDULED, event__starts_at__gt=now
        )
        .order_by("event_id")
        .values_list("event_id", flat=True)
    )
    promoted = deleted = 0
    for event in Event.objects.filter(pk__in=list(upcoming)).order_by("pk"):
        event = _locked(event)
        deleted += EventSignup.objects.filter(event=event, user=user).delete()[0]
        promoted += len(_promote(event, now))
    deleted += EventSignup.objects.filter(user=user).delete()[0]
    return {"signups": deleted, "places_passed_on": promoted}
