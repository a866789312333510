"""Reads of participation's tables, scoped to the acting user."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from directory.models import Area
from directory.selectors import area_ancestor_paths
from participation.models import Notice, NoticeAudience, NoticeReceipt, NoticeStatus
from participation.notices import ORGANISATION_AREA_KINDS, can_manage
from residents.selectors import resident_own_profile
from security.models import User
from security.roles import AREA_ROLES, NOTICE_APPROVER_ROLES, PARTICIPATION_ORGANISER_ROLES
from security.scoping import covers_area, organisation_ids, restrict, visible_areas
from services.selectors import areas_routed_to

# --- notices (通知公告) ---------------------------------------------------------------------------
# Everywhere notices are listed: urgent ones (not yet expired) first, then the newest.
_NOTICE_LIST_RELATED = ("area", "organisation")


def _live_q(now) -> Q:
    """Published, not hidden by moderation, started and not expired: what residents see."""
    return Q(status=NoticeStatus.PUBLISHED, hidden_at__isnull=True, publish_at__lte=now) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def _urgent_first(notices: QuerySet[Notice], now) -> QuerySet[Notice]:
    current_urgent = Q(is_urgent=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    return notices.annotate(
        urgent_rank=Case(When(current_urgent, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("urgent_rank", "-publish_at", "-id")


def notice_is_live(notice: Notice, now=None) -> bool:
    now = now or timezone.now()
    return (
        notice.status == NoticeStatus.PUBLISHED
        and notice.hidden_at is None
        and notice.publish_at <= now
        and (notice.expires_at is None or notice.expires_at > now)
    )


def _readable_q(user: User, now) -> Q:
    """Live notices a reader may open from a list: those for everyone, and an "elderly households"
    notice where the reader is one of its recipients (the fan-out wrote them a receipt)."""
    readable = Q(audience=NoticeAudience.EVERYONE)
    if user.is_authenticated:
        readable |= Q(pk__in=NoticeReceipt.objects.filter(user=user).values("notice_id"))
    return _live_q(now) & readable


def notice_reader_grid(*, user: User) -> Area | None:
    """The grid of a verified resident (an account linked to a register entry), else None."""
    profile = resident_own_profile(user=user)
    return profile.household.grid if profile is not None else None


def notices_for_reader(*, user: User, community: Area | None = None, grid: Area | None = None) -> QuerySet[Notice]:
    """The notices page. With `community`: the notices reaching it (to it, to an area above it, or
    to one of its grids). Else for a verified resident (`grid` is theirs): those whose area
    contains their grid. Anyone else: every public notice of the district."""
    now = timezone.now()
    notices = Notice.objects.filter(_readable_q(user, now)).select_related(*_NOTICE_LIST_RELATED)
    if community is not None:
        notices = notices.filter(
            Q(area__path__in=area_ancestor_paths(area=community)) | Q(area__path__startswith=community.path)
        )
    elif grid is not None:
        notices = notices.filter(area__path__in=area_ancestor_paths(area=grid))
    return _urgent_first(notices, now)


def notices_latest_for_reader(*, user: User, limit: int = 5) -> list[Notice]:
    """The home page's few notices for the person: urgent first, then newest."""
    return list(notices_for_reader(user=user, grid=notice_reader_grid(user=user))[:limit])


def notice_can_read(*, user: User, notice: Notice) -> bool:
    """A live notice for everyone: anyone, signed in or not. A live "elderly households" notice:
    its recipients and staff over its area. Any other (draft, awaiting approval, refused,
    withdrawn, hidden, scheduled, expired): those who manage it and staff over its area."""
    if notice_is_live(notice):
        if notice.audience == NoticeAudience.EVERYONE:
            return True
        if user.is_authenticated and NoticeReceipt.objects.filter(notice=notice, user=user).exists():
            return True
    return can_manage(actor=user, notice=notice) or covers_area(user, notice.area, AREA_ROLES)


def notice_get_for_reader(*, user: User, public_id) -> Notice:
    """One notice the user may read; the same 404 whether it is missing or not theirs to see."""
    try:
        notice = Notice.objects.select_related(*_NOTICE_LIST_RELATED, "author").get(public_id=public_id)
    except (Notice.DoesNotExist, ValidationError):
        raise Http404 from None
    if not notice_can_read(user=user, notice=notice):
        raise Http404
    return notice


def notice_communities() -> QuerySet[Area]:
    """Every community, for the notices page's filter (the district's structure is public)."""
    return Area.objects.filter(kind=Area.Kind.COMMUNITY).select_related("parent").order_by("path")


def notices_for_manager(*, user: User, status: str = "") -> QuerySet[Notice]:
    """The publisher's list: notices they wrote, their organisation's, and those in the area they
    publish to (the same people as `participation.notices.can_manage`)."""
    notices = restrict(
        Notice.objects.select_related(*_NOTICE_LIST_RELATED, "author"),
        user,
        area_path="area__path",
        organisation="organisation",
        owner="author",
        area_roles=PARTICIPATION_ORGANISER_ROLES,
    )
    if status:
        notices = notices.filter(status=status)
    return _urgent_first(notices, timezone.now())


def notice_get_for_manager(*, user: User, public_id) -> Notice:
    """One notice the user may manage; 404 alike for missing and not theirs."""
    try:
        notice = notices_for_manager(user=user).select_related("decided_by").get(public_id=public_id)
    except (Notice.DoesNotExist, ValidationError):
        raise Http404 from None
    return notice


def notices_awaiting_approval(*, user: User) -> QuerySet[Notice]:
    """Organisations' notices waiting for the user's decision (community staff over their area),
    oldest first."""
    notices = restrict(
        Notice.objects.select_related(*_NOTICE_LIST_RELATED, "author"),
        user,
        area_path="area__path",
        area_roles=NOTICE_APPROVER_ROLES,
    )
    return notices.filter(status=NoticeStatus.AWAITING_APPROVAL).order_by("created_at", "id")


def notice_get_for_approver(*, user: User, public_id) -> Notice:
    try:
        return notices_awaiting_approval(user=user).get(public_id=public_id)
    except (Notice.DoesNotExist, ValidationError):
        raise Http404 from None


def notice_publishable_areas(*, user: User) -> list[tuple[Area, bool]]:
    """The areas `user` may address, each with whether a notice there waits for approval: their
    own subtree (at once), then the communities and grids their organisation's routing rules
    cover (approved by the community's staff)."""
    own = list(visible_areas(user, PARTICIPATION_ORGANISER_ROLES).order_by("path"))
    choices = [(area, False) for area in own]
    ids = organisation_ids(user)
    if ids:
        routed = list(areas_routed_to(organisation_ids=ids).values_list("path", flat=True))
        if routed:
            reach = Q()
            for path in routed:
                reach |= Q(path__startswith=path)
            seen = {area.pk for area in own}
            for area in Area.objects.filter(reach, kind__in=ORGANISATION_AREA_KINDS).order_by("path"):
                if area.pk not in seen:
                    choices.append((area, True))
    return choices


# --- end of notices ---------------------------------------------------------------------------------
