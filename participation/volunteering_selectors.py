"""Reads for volunteering and points, each taking the acting user: residents see the activities of
their own area and their own sign-ups, hours and ledger; staff see their area's subtree through
`security.scoping`. A row out of reach is the same 404 as a missing one."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.http import Http404
from django.utils import timezone

from directory.models import Area
from directory.selectors import area_ancestor_paths
from participation.models import (
    PointsAccount,
    PointsEntry,
    Redemption,
    RedemptionItem,
    VolunteerActivity,
    VolunteerSignup,
)
from participation.organisers import managed, organiser_areas
from participation.volunteering import TAKING_A_PLACE
from residents.selectors import resident_own_profile
from security.models import User
from security.roles import PARTICIPATION_ORGANISER_ROLES, REDEMPTION_STAFF_ROLES
from security.scoping import restrict


def _with_taken(queryset: QuerySet[VolunteerActivity]) -> QuerySet[VolunteerActivity]:
    return queryset.select_related("area", "organiser").annotate(
        taken=Count("signups", filter=Q(signups__status__in=TAKING_A_PLACE))
    )


def resident_grid(*, user: User) -> Area | None:
    profile = resident_own_profile(user=user)
    return profile.household.grid if profile is not None else None


def volunteer_activities_for_resident(*, user: User, grid: Area | None) -> QuerySet[VolunteerActivity]:
    """Open activities for the resident's grid and every area above it, soonest first."""
    if grid is None:
        return VolunteerActivity.objects.none()
    return _with_taken(
        VolunteerActivity.objects.filter(
            area__path__in=area_ancestor_paths(area=grid), status=VolunteerActivity.Status.OPEN
        )
    ).order_by("starts_at", "id")


def volunteer_activities_for_staff(*, user: User) -> QuerySet[VolunteerActivity]:
    """The activities the user manages: of their subtrees, or their social organisation's."""
    return _with_taken(
        managed(VolunteerActivity.objects.all(), user, area_path="area__path", organiser="organiser_id")
    ).order_by("-starts_at", "-id")


def volunteer_activity_get(*, user: User, public_id) -> tuple[VolunteerActivity, bool]:
    """One activity and whether the user manages it: staff over its area, or a verified resident
    of its area (who only reads it). Anyone else: 404."""
    try:
        staff = volunteer_activities_for_staff(user=user).filter(public_id=public_id).first()
        if staff is not None:
            return staff, True
        # A resident reads any activity of their area, also a cancelled or past one they signed up for.
        grid = resident_grid(user=user)
        found = (
            _with_taken(VolunteerActivity.objects.filter(area__path__in=area_ancestor_paths(area=grid)))
            .filter(public_id=public_id)
            .first()
            if grid is not None
            else None
        )
    except ValidationError:
        raise Http404 from None
    if found is None:
        raise Http404
    return found, False


def volunteer_signups_of_activity(*, activity: VolunteerActivity) -> QuerySet[VolunteerSignup]:
    """The people on an activity (the caller has checked the user manages it), with their names
    from the register."""
    return (
        activity.signups.exclude(status=VolunteerSignup.Status.CANCELLED)
        .select_related("user__resident_profile", "grid")
        .order_by("created_at", "id")
    )


def volunteer_signup_own(*, user: User, activity: VolunteerActivity) -> VolunteerSignup | None:
    return activity.signups.filter(user=user).exclude(status=VolunteerSignup.Status.CANCELLED).first()


def volunteer_signup_get_for_staff(*, user: User, public_id) -> VolunteerSignup:
    queryset = managed(
        VolunteerSignup.objects.select_related("activity__area", "user"),
        user,
        area_path="activity__area__path",
        organiser="activity__organiser_id",
    )
    try:
        return queryset.get(public_id=public_id)
    except (VolunteerSignup.DoesNotExist, ValidationError):
        raise Http404 from None


def volunteer_signups_own(*, user: User) -> QuerySet[VolunteerSignup]:
    if not user.is_authenticated:
        return VolunteerSignup.objects.none()
    return VolunteerSignup.objects.filter(user=user).select_related("activity").order_by("-activity__starts_at", "-id")


def volunteer_hours_own_by_year(*, user: User) -> list[dict]:
    """The person's confirmed hours per year of the activities, newest year first."""
    if not user.is_authenticated:
        return []
    return list(
        VolunteerSignup.objects.filter(user=user, status=VolunteerSignup.Status.CONFIRMED)
        .annotate(year=ExtractYear("activity__starts_at"))
        .values("year")
        .annotate(hours=Sum("hours"), activities=Count("id"))
        .order_by("-year")
    )


def volunteer_hours_report(*, user: User, year: int, limit: int = 200) -> dict:
    """Confirmed hours in a year, in the staff member's area: per community (the volunteer's
    community when they signed up) and per resident. Three queries whatever the rows."""
    confirmed = restrict(
        VolunteerSignup.objects.filter(status=VolunteerSignup.Status.CONFIRMED, activity__starts_at__year=year),
        user,
        area_path="grid__path",
        area_roles=PARTICIPATION_ORGANISER_ROLES,
    )
    by_community = list(
        confirmed.values("grid__parent_id", "grid__parent__name_zh", "grid__parent__name_en")
        .annotate(hours=Sum("hours"), volunteers=Count("user", distinct=True), signups=Count("id"))
        .order_by("-hours", "grid__parent_id")
    )
    by_resident = list(
        confirmed.values("user_id", "user__username", "user__resident_profile__full_name", "grid__name_zh")
        .annotate(hours=Sum("hours"), activities=Count("id"))
        .order_by("-hours", "user_id")[:limit]
    )
    return {"year": year, "by_community": by_community, "by_resident": by_resident}


def points_balance(*, user: User) -> int:
    account = PointsAccount.objects.filter(user=user).only("balance").first() if user.is_authenticated else None
    return account.balance if account else 0


def points_entries_own(*, user: User) -> QuerySet[PointsEntry]:
    """The person's own ledger, newest first. Only ever their own: there is no staff view of
    another's ledger beyond the audit log."""
    if not user.is_authenticated:
        return PointsEntry.objects.none()
    return PointsEntry.objects.filter(user=user).order_by("-sequence")


def redemption_items_for_resident(*, grid: Area | None) -> QuerySet[RedemptionItem]:
    if grid is None or grid.parent_id is None:
        return RedemptionItem.objects.none()
    return RedemptionItem.objects.filter(community_id=grid.parent_id, is_active=True).order_by("points_cost", "id")


def redemption_item_get_for_resident(*, grid: Area | None, public_id) -> RedemptionItem:
    try:
        return redemption_items_for_resident(grid=grid).get(public_id=public_id)
    except (RedemptionItem.DoesNotExist, ValidationError):
        raise Http404 from None


def redemption_items_for_staff(*, user: User) -> QuerySet[RedemptionItem]:
    return restrict(
        RedemptionItem.objects.select_related("community"),
        user,
        area_path="community__path",
        area_roles=REDEMPTION_STAFF_ROLES,
    ).order_by("community__code", "points_cost", "id")


def redemption_item_get_for_staff(*, user: User, public_id) -> RedemptionItem:
    try:
        return redemption_items_for_staff(user=user).get(public_id=public_id)
    except (RedemptionItem.DoesNotExist, ValidationError):
        raise Http404 from None


def redemptions_own(*, user: User) -> QuerySet[Redemption]:
    if not user.is_authenticated:
        return Redemption.objects.none()
    return Redemption.objects.filter(user=user).select_related("item__community").order_by("-created_at", "-id")


def redemptions_awaiting_for_staff(*, user: User) -> QuerySet[Redemption]:
    return restrict(
        Redemption.objects.filter(status=Redemption.Status.AWAITING_PICKUP).select_related(
            "item__community", "user__resident_profile"
        ),
        user,
        area_path="item__community__path",
        area_roles=REDEMPTION_STAFF_ROLES,
    ).order_by("created_at", "id")


def redemption_get_for_staff(*, user: User, public_id) -> Redemption:
    try:
        return restrict(
            Redemption.objects.select_related("item__community"),
            user,
            area_path="item__community__path",
            area_roles=REDEMPTION_STAFF_ROLES,
        ).get(public_id=public_id)
    except (Redemption.DoesNotExist, ValidationError):
        raise Http404 from None


def staff_communities(*, user: User) -> QuerySet[Area]:
    """The communities where the user manages redemption items."""
    return restrict(
        Area.objects.filter(kind=Area.Kind.COMMUNITY), user, area_path="path", area_roles=REDEMPTION_STAFF_ROLES
    ).order_by("code")


def staff_activity_areas(*, user: User) -> QuerySet[Area]:
    """The areas the user may post activities for: their subtrees, grids included."""
    return organiser_areas(user)


# --- figures by community for the programme's assessment (issue 19) ---
# Read by a district-scope batch run (programme.indicators), not for a user: the caller names the
# communities. One grouped query, whatever their number.
def volunteer_hours_by_community(*, communities: list[Area], start: date, end: date) -> dict[int, Decimal]:
    """{community id: hours} confirmed by staff for activities that started from `start` to `end`
    (local days, both included), counted for the community of the grid each volunteer lived in when
    they signed up (as the dashboards count them). Every community is in the result."""
    hours = {community.pk: Decimal(0) for community in communities}
    if not hours or end < start:
        return hours
    zone = timezone.get_default_timezone()
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    rows = (
        VolunteerSignup.objects.filter(
            status=VolunteerSignup.Status.CONFIRMED,
            activity__starts_at__gte=since,
            activity__starts_at__lt=until,
            grid__parent_id__in=list(hours),
        )
        .order_by()
        .values("grid__parent_id")
        .annotate(hours=Sum("hours"))
        .values_list("grid__parent_id", "hours")
    )
    for community_id, total in rows:
        hours[community_id] = total or Decimal(0)
    return hours
