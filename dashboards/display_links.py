"""Read-only display links to the command-centre screen: made, listed and revoked by oversight
officials for their own area, opened by a wall display with no session.

The token in a link's URL is the row's public id signed with the secret key (django.core.signing),
so a forged or altered token is refused before the database is asked. The row is still read on
every use, so a revoke or an expiry counts from the very next request.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dashboards.models import DisplayLink
from dashboards.services import local_today
from directory.models import Area
from security.audit import audit_record
from security.models import User
from security.roles import OVERSIGHT_ROLES
from security.scoping import area_paths, covers_area

TOKEN_SALT = "dashboards.display-link"  # noqa: S105 (a signing salt, not a secret)
# Levels a link can show: a grid's screen would be too small to be worth a wall.
LINK_AREA_KINDS = (Area.Kind.DISTRICT, Area.Kind.SUBDISTRICT, Area.Kind.COMMUNITY)
MAX_DAYS = 366


class DisplayLinkRefused(Exception):
    """The link cannot be used: `reason` is "invalid" (forged, altered, unknown), "revoked" or "expired"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def display_link_token(link: DisplayLink) -> str:
    return signing.dumps(str(link.public_id), salt=TOKEN_SALT)


def display_link_areas(*, user: User) -> QuerySet[Area]:
    """The areas a user may make a link for: within their oversight subtrees."""
    paths = area_paths(user, OVERSIGHT_ROLES)
    if not paths:
        return Area.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return Area.objects.filter(condition, kind__in=LINK_AREA_KINDS).order_by("path")


def display_links_for_user(*, user: User) -> QuerySet[DisplayLink]:
    """The links of the areas the user oversees (made by them or by colleagues there)."""
    paths = area_paths(user, OVERSIGHT_ROLES)
    if not paths:
        return DisplayLink.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(area__path__startswith=path)
    return DisplayLink.objects.filter(condition).select_related("area", "created_by", "revoked_by")


def display_link_get_for_user(*, user: User, public_id) -> DisplayLink:
    """The link, or DisplayLink.DoesNotExist alike when it is missing or another area's."""
    return display_links_for_user(user=user).get(public_id=public_id)


@transaction.atomic
def display_link_create(*, actor: User, name: str, area: Area, valid_days: int | None = None) -> DisplayLink:
    if not covers_area(actor, area, OVERSIGHT_ROLES):
        raise PermissionDenied
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the display a name, e.g. where it hangs."))
    if area.kind not in LINK_AREA_KINDS:
        raise ValidationError(_("A display link shows a district, a subdistrict or a community."))
    if valid_days is not None and not 1 <= valid_days <= MAX_DAYS:
        raise ValidationError(_("A link is valid for 1 to %(days)s days, or until revoked.") % {"days": MAX_DAYS})
    link = DisplayLink.objects.create(
        public_id=uuid.uuid4(),
        name=name[:100],
        area=area,
        created_by=actor,
        expires_at=timezone.now() + timedelta(days=valid_days) if valid_days else None,
    )
    audit_record(
        actor=actor,
        action="dashboards.display_link_create",
        target=link,
        details={"area": area.code, "expires_at": link.expires_at.isoformat() if link.expires_at else None},
    )
    return link


@transaction.atomic
def display_link_revoke(*, actor: User, link: DisplayLink) -> DisplayLink:
    if not covers_area(actor, link.area, OVERSIGHT_ROLES):
        raise PermissionDenied
    changed = DisplayLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    link.refresh_from_db()
    if changed:
        audit_record(
            actor=actor, action="dashboards.display_link_revoke", target=link, details={"area": link.area.code}
        )
    return link


def display_link_open(*, token: str) -> DisplayLink:
    """The usable link a token names, recording its first use of the day; DisplayLinkRefused otherwise."""
    try:
        public_id = uuid.UUID(signing.loads(token, salt=TOKEN_SALT))
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise DisplayLinkRefused("invalid") from error
    link = DisplayLink.objects.select_related("area").filter(public_id=public_id).first()
    if link is None:
        raise DisplayLinkRefused("invalid")
    if link.revoked_at is not None:
        raise DisplayLinkRefused("revoked")
    if link.expires_at is not None and link.expires_at <= timezone.now():
        raise DisplayLinkRefused("expired")
    _record_first_use_today(link)
    return link


@transaction.atomic
def _record_first_use_today(link: DisplayLink) -> None:
    today = local_today()
    # Claimed with one conditional UPDATE: of two displays reloading at once, one records the day.
    claimed = (
        DisplayLink.objects.filter(pk=link.pk)
        .filter(Q(last_used_on__isnull=True) | Q(last_used_on__lt=today))
        .update(last_used_on=today)
    )
    if claimed:
        audit_record(actor=None, action="dashboards.display_link_use", target=link, details={"area": link.area.code})
