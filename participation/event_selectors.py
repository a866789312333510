"""Reads of meetings and events, always for an acting user.

Staff see the events of their area's subtree (the roles that organise them), a social organisation's
operator those their organisation runs in their role's area (participation/organisers.py); a verified resident
sees the events addressed to their grid or any area above it. Everyone else sees none, and a
single event they may not see is a 404, the same as a missing one.
"""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from directory.models import Area, Organisation
from participation.events import TAKEN
from participation.models import Event, EventSignup, EventSignupStatus, EventStatus, Proposal
from participation.organisers import managed, may_manage, organiser_areas, organiser_choices
from residents.selectors import resident_own_profile
from security.models import User


def _with_counts(events: QuerySet[Event]) -> QuerySet[Event]:
    return events.select_related("area", "organiser").annotate(
        taken_count=Count("signups", filter=Q(signups__status__in=TAKEN)),
        waiting_count=Count("signups", filter=Q(signups__status=EventSignupStatus.WAITING)),
        attended_count=Count("signups", filter=Q(signups__status=EventSignupStatus.ATTENDED)),
    )


# --- staff ---------------------------------------------------------------------------------------
def events_for_staff(*, user: User) -> QuerySet[Event]:
    """Events the user manages (of their subtrees, or their organisation's), newest start first, with
    their counts."""
    events = managed(Event.objects.all(), user, area_path="area__path", organiser="organiser_id")
    return _with_counts(events).order_by("-starts_at", "-id")


def event_get_for_staff(*, user: User, public_id) -> Event:
    event = events_for_staff(user=user).filter(public_id=public_id).first()
    if event is None:
        raise Http404
    return event


def event_attendees(*, event: Event) -> QuerySet[EventSignup]:
    """Everyone signed up (not cancelled), with their register name and grid: places first, then the
    waiting list in its order. For staff who already passed event_get_for_staff."""
    order = {
        EventSignupStatus.ATTENDED: 0,
        EventSignupStatus.CONFIRMED: 0,
        EventSignupStatus.WAITING: 1,
    }
    return (
        EventSignup.objects.filter(event=event)
        .exclude(status=EventSignupStatus.CANCELLED)
        .select_related("user", "user__resident_profile", "user__resident_profile__household__grid")
        .annotate(
            group=Case(
                *(When(status=status, then=Value(rank)) for status, rank in order.items()),
                output_field=IntegerField(),
            )
        )
        .order_by("group", "waiting_since", "confirmed_at", "id")
    )


def event_area_choices(*, user: User) -> QuerySet[Area]:
    return organiser_areas(user)


def event_organiser_choices(*, user: User) -> QuerySet[Organisation]:
    return organiser_choices(user)


def event_proposal_choices(*, event: Event) -> QuerySet[Proposal]:
    """The proposals an event's minutes may name: of communities within its area, not hidden by
    moderation, or already named; newest first."""
    return (
        Proposal.objects.filter(
            Q(community__path__startswith=event.area.path, hidden_at__isnull=True) | Q(meetings=event)
        )
        .distinct()
        .select_related("community")
        .order_by("-created_at", "-id")
    )


def proposal_meetings(*, user: User, proposal: Proposal, limit: int = 20) -> list[Event]:
    """The events whose published minutes name `proposal`, that the user may see: as one who manages
    it (`link` to the organiser's page) or as a verified resident of its area (`link` to its page).
    Newest first; one query beyond the user's roles and register entry, however many events."""
    staff = managed(Event.objects.all(), user, area_path="area__path", organiser="organiser_id")
    profile = resident_own_profile(user=user)
    events = staff
    if profile is not None:
        own = Event.objects.filter(area__path__in=_ancestor_paths(profile.household.grid.path))
        events = staff | own
    found = list(
        events.filter(proposals_discussed=proposal, minutes_published_at__isnull=False)
        .select_related("area", "organiser")
        .order_by("-starts_at", "-id")[:limit]
    )
    for event in found:
        manages = may_manage(user, area=event.area, organiser_id=event.organiser_id)
        name = "participation:event_manage" if manages else "participation:event_detail"
        event.link = reverse(name, kwargs={"public_id": event.public_id})
    return found


# --- residents -----------------------------------------------------------------------------------
def _ancestor_paths(path: str) -> list[str]:
    parts = [part for part in path.split("/") if part]
    return ["/".join(parts[: depth + 1]) + "/" for depth in range(len(parts))]


def events_for_resident(*, user: User) -> QuerySet[Event]:
    """Events a verified resident may see and sign up for: those of their grid and every area above
    it, with their counts and the resident's own sign-up status (`my_status`, None if none)."""
    profile = resident_own_profile(user=user)
    if profile is None:
        return Event.objects.none()
    events = Event.objects.filter(area__path__in=_ancestor_paths(profile.household.grid.path))
    mine = EventSignup.objects.filter(event=OuterRef("pk"), user=user)
    return _with_counts(events).annotate(
        my_status=Subquery(mine.values("status")[:1]),
    )


def events_upcoming_for_resident(*, user: User) -> QuerySet[Event]:
    return events_for_resident(user=user).filter(ends_at__gt=timezone.now()).order_by("starts_at", "id")


def events_past_for_resident(*, user: User) -> QuerySet[Event]:
    """Past events that took place (not cancelled), newest first: their minutes are here."""
    return (
        events_for_resident(user=user)
        .filter(ends_at__lte=timezone.now(), status=EventStatus.SCHEDULED)
        .order_by("-starts_at", "-id")
    )


def event_get_for_resident(*, user: User, public_id) -> Event:
    event = events_for_resident(user=user).filter(public_id=public_id).first()
    if event is None:
        raise Http404
    return event


def own_signup(*, user: User, event: Event) -> EventSignup | None:
    return EventSignup.objects.filter(event=event, user=user).first()


def waiting_position(signup: EventSignup) -> int | None:
    """1 for the first on the waiting list; None when not waiting."""
    if signup.status != EventSignupStatus.WAITING:
        return None
    ahead = EventSignup.objects.filter(event_id=signup.event_id, status=EventSignupStatus.WAITING).filter(
        Q(waiting_since__lt=signup.waiting_since) | Q(waiting_since=signup.waiting_since, id__lt=signup.pk)
    )
    return ahead.count() + 1
