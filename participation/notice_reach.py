"""Who a notice reached: the publisher's reach per grid, the grid workers' list of living-alone
elderly residents who have not read an urgent notice, and the record that a worker told one of
them in person or by phone (the only write here).

Living-alone elderly residents (is_elderly and lives_alone) count as reached when their account
read the notice or their grid worker recorded them informed; those without an account can only be
reached the second way.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Area
from participation.models import Notice, NoticeInformed, NoticeReceipt, NoticeStatus
from residents.models import ResidentProfile
from security.audit import audit_record
from security.models import User
from security.roles import UNMASK_ROLES
from security.scoping import area_paths, covers_area, restrict

# Who keeps the list and records residents informed: those who visit and call them, and may see
# their contact details (grid workers and community staff).
NOTICE_INFORM_ROLES = UNMASK_ROLES


def _living_alone_elderly():
    return ResidentProfile.objects.living().filter(is_elderly=True, lives_alone=True)


def _reached_q(notice_ref) -> Q:
    """A resident (the outer row) has read the notice or been told of it."""
    read = NoticeReceipt.objects.filter(notice=notice_ref, user_id=OuterRef("user_id"), read_at__isnull=False)
    informed = NoticeInformed.objects.filter(notice=notice_ref, resident_id=OuterRef("pk"))
    return Q(Exists(read)) | Q(Exists(informed))


# --- the publisher's reach -----------------------------------------------------------------------------
@dataclass(frozen=True)
class GridReach:
    grid: Area
    delivered: int
    read: int
    elderly_alone: int
    elderly_reached: int

    @property
    def read_percent(self) -> int | None:
        return round(100 * self.read / self.delivered) if self.delivered else None

    @property
    def elderly_not_reached(self) -> int:
        return self.elderly_alone - self.elderly_reached


@dataclass(frozen=True)
class NoticeReach:
    grids: list[GridReach]
    delivered: int
    read: int
    elderly_alone: int
    elderly_reached: int

    @property
    def read_percent(self) -> int | None:
        return round(100 * self.read / self.delivered) if self.delivered else None


def notice_reach(*, notice: Notice) -> NoticeReach:
    """Reach per grid of the notice's area: receipts delivered and read, and the living-alone elderly
    and how many of them were reached. Three queries whatever the number of recipients; the
    receipts are counted in SQL on the (notice, grid) index. The caller has checked the viewer may
    see the notice's reach (selectors.notice_get_for_manager)."""
    receipts = {
        row["grid_id"]: row
        for row in NoticeReceipt.objects.filter(notice=notice)
        .values("grid_id")
        .annotate(delivered=Count("id"), read=Count("id", filter=Q(read_at__isnull=False)))
        .order_by()
    }
    elderly = {
        row["household__grid_id"]: row
        for row in _living_alone_elderly()
        .filter(household__grid__path__startswith=notice.area.path)
        .values("household__grid_id")
        .annotate(total=Count("id"), reached=Count("id", filter=_reached_q(notice.pk)))
        .order_by()
    }
    grids = Area.objects.filter(kind=Area.Kind.GRID, path__startswith=notice.area.path).order_by("path")
    rows = [
        GridReach(
            grid=grid,
            delivered=receipts.get(grid.pk, {}).get("delivered", 0),
            read=receipts.get(grid.pk, {}).get("read", 0),
            elderly_alone=elderly.get(grid.pk, {}).get("total", 0),
            elderly_reached=elderly.get(grid.pk, {}).get("reached", 0),
        )
        for grid in grids
    ]
    return NoticeReach(
        grids=rows,
        delivered=sum(r.delivered for r in rows),
        read=sum(r.read for r in rows),
        elderly_alone=sum(r.elderly_alone for r in rows),
        elderly_reached=sum(r.elderly_reached for r in rows),
    )


# --- the grid worker's list ----------------------------------------------------------------------------
def _urgent_notices_due(now):
    """Urgent notices, live, published longer than NOTICE_ELDERLY_READ_WINDOW ago."""
    return Notice.objects.filter(
        is_urgent=True,
        status=NoticeStatus.PUBLISHED,
        hidden_at__isnull=True,
        publish_at__lte=now - settings.NOTICE_ELDERLY_READ_WINDOW,
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def _ancestor_paths(paths: list[str]) -> list[str]:
    """Every path from the root down to each of `paths` ("a/b/" → "a/", "a/b/")."""
    found = set()
    for path in paths:
        parts = path.split("/")[:-1]
        for end in range(1, len(parts) + 1):
            found.add("/".join(parts[:end]) + "/")
    return sorted(found)


@dataclass(frozen=True)
class NotReached:
    notice: Notice
    residents: list[ResidentProfile]


def elderly_not_reached(*, user: User) -> list[NotReached]:
    """For each urgent notice published more than the read window ago, the living-alone elderly
    residents in the user's grids within the notice's area who have neither read it nor been told:
    three queries whatever the number of notices and residents (plus the user's roles)."""
    paths = area_paths(user, NOTICE_INFORM_ROLES)
    if not paths:
        return []
    now = timezone.now()
    # Notices whose area contains one of the user's areas or lies inside one.
    overlap = Q(area__path__in=_ancestor_paths(paths))
    for path in paths:
        overlap |= Q(area__path__startswith=path)
    notices = list(_urgent_notices_due(now).filter(overlap).select_related("area").order_by("-publish_at", "-id"))
    if not notices:
        return []
    residents = list(
        restrict(_living_alone_elderly(), user, area_path="household__grid__path", area_roles=NOTICE_INFORM_ROLES)
        .select_related("household__grid")
        .order_by("household__grid__path", "household__address", "full_name")
    )
    notice_ids = [n.pk for n in notices]
    user_ids = [r.user_id for r in residents if r.user_id]
    read = set(
        NoticeReceipt.objects.filter(notice_id__in=notice_ids, user_id__in=user_ids, read_at__isnull=False).values_list(
            "notice_id", "user_id"
        )
    )
    informed = set(
        NoticeInformed.objects.filter(notice_id__in=notice_ids, resident__in=[r.pk for r in residents]).values_list(
            "notice_id", "resident_id"
        )
    )
    result = []
    for notice in notices:
        waiting = [
            r
            for r in residents
            if r.household.grid.path.startswith(notice.area.path)
            and (notice.pk, r.user_id) not in read
            and (notice.pk, r.pk) not in informed
        ]
        if waiting:
            result.append(NotReached(notice=notice, residents=waiting))
    return result


def elderly_resident_for_informing(
    *, user: User, notice_public_id, resident_public_id
) -> tuple[Notice, ResidentProfile]:
    """The urgent notice and living-alone elderly resident a worker records informed; 404 alike when
    either is missing, the resident is not in the worker's grids or the notice's area, or the
    notice is not an urgent one due on the list."""
    try:
        notice = _urgent_notices_due(timezone.now()).select_related("area").get(public_id=notice_public_id)
        resident = (
            restrict(_living_alone_elderly(), user, area_path="household__grid__path", area_roles=NOTICE_INFORM_ROLES)
            .select_related("household__grid")
            .get(public_id=resident_public_id)
        )
    except (Notice.DoesNotExist, ResidentProfile.DoesNotExist, ValidationError):
        raise Http404 from None
    if not resident.household.grid.path.startswith(notice.area.path):
        raise Http404
    return notice, resident


@transaction.atomic
def notice_informed_record(*, actor: User, notice: Notice, resident: ResidentProfile, how: str) -> NoticeInformed:
    """Record that `actor` told `resident` of `notice` in person or by phone; the resident leaves the
    list. Recording again changes nothing and returns the first record."""
    if how not in NoticeInformed.How.values:
        raise ValidationError({"how": _("Say whether you told them in person or by phone.")})
    if not covers_area(actor, resident.household.grid, NOTICE_INFORM_ROLES):
        raise PermissionDenied(_("This resident is not in your grid."))
    if not (resident.is_elderly and resident.lives_alone) or not resident.household.grid.path.startswith(
        notice.area.path
    ):
        raise ValidationError(_("This resident is not on the list for this notice."))
    existing = NoticeInformed.objects.filter(notice=notice, resident=resident).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            informed = NoticeInformed.objects.create(
                notice=notice, resident=resident, how=how, informed_by=actor, informed_at=timezone.now()
            )
    except IntegrityError:  # a colleague recorded it at the same moment
        return NoticeInformed.objects.get(notice=notice, resident=resident)
    audit_record(
        actor=actor,
        action="notice.informed",
        target=resident,
        area=resident.household.grid,
        details={"notice": str(notice.public_id), "how": how},
    )
    return informed
