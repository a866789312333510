import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from directory.models import Area, Organisation

_CODE_RE = re.compile(r"^[0-9A-Za-z_-]{1,32}$")


def _validate_centre(centre: tuple[Decimal, Decimal] | None) -> None:
    if centre is None:
        return
    lat, lng = centre
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValidationError(_("The centre point must be a latitude within ±90 and a longitude within ±180."))


@transaction.atomic
def area_create(
    *,
    code: str,
    kind: str,
    name_zh: str,
    name_en: str = "",
    parent: Area | None = None,
    centre: tuple[Decimal, Decimal] | None = None,
    boundary: dict | None = None,
) -> Area:
    """Add an area under `parent`, checking that the tree keeps its four levels."""
    if not _CODE_RE.match(code):
        raise ValidationError(_("An area code may use only letters, digits, '-' and '_' (at most 32)."))
    if kind not in Area.Kind.values:
        raise ValidationError(_("Unknown area kind: %(kind)s.") % {"kind": kind})
    if parent is None and kind != Area.Kind.DISTRICT:
        raise ValidationError(_("Only a district can stand without a parent area."))
    if parent is not None and Area.CHILD_KIND.get(parent.kind) != kind:
        raise ValidationError(
            _("A %(parent)s cannot contain a %(child)s.")
            % {"parent": Area.Kind(parent.kind).label, "child": Area.Kind(kind).label}
        )
    if not name_zh.strip():
        raise ValidationError(_("An area needs a Chinese name."))
    if boundary is not None and boundary.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValidationError(_("A boundary must be a GeoJSON Polygon or MultiPolygon."))
    _validate_centre(centre)
    if Area.objects.filter(code=code).exists():
        raise ValidationError(_("An area with code %(code)s already exists.") % {"code": code})

    path = f"{parent.path if parent else ''}{code}/"
    lat, lng = centre if centre else (None, None)
    return Area.objects.create(
        code=code,
        kind=kind,
        name_zh=name_zh.strip(),
        name_en=name_en.strip(),
        parent=parent,
        path=path,
        depth=parent.depth + 1 if parent else 0,
        centre_lat=lat,
        centre_lng=lng,
        boundary=boundary,
    )


# Which level of the tree each kind of organisation works at.
ORGANISATION_AREA_KINDS = {
    Organisation.Kind.DEPARTMENT: {Area.Kind.DISTRICT},
    Organisation.Kind.SUBDISTRICT_OFFICE: {Area.Kind.SUBDISTRICT},
    Organisation.Kind.COMMUNITY_COMMITTEE: {Area.Kind.COMMUNITY},
    Organisation.Kind.PARTNER: {Area.Kind.DISTRICT, Area.Kind.SUBDISTRICT, Area.Kind.COMMUNITY},
    Organisation.Kind.SOCIAL_ORGANISATION: {Area.Kind.DISTRICT, Area.Kind.SUBDISTRICT, Area.Kind.COMMUNITY},
}


def organisation_check(*, kind: str, area: Area) -> None:
    """Raise ValidationError unless an organisation of `kind` may work at `area`'s level."""
    if kind not in Organisation.Kind.values:
        raise ValidationError(_("Unknown organisation kind: %(kind)s.") % {"kind": kind})
    if area.kind not in ORGANISATION_AREA_KINDS[kind]:
        raise ValidationError(
            _("A %(org)s cannot be tied to a %(area)s.")
            % {"org": Organisation.Kind(kind).label, "area": Area.Kind(area.kind).label}
        )


@transaction.atomic
def organisation_create(*, code: str, kind: str, name_zh: str, area: Area, name_en: str = "") -> Organisation:
    organisation_check(kind=kind, area=area)
    if not name_zh.strip():
        raise ValidationError(_("An organisation needs a Chinese name."))
    if Organisation.objects.filter(code=code).exists():
        raise ValidationError(_("An organisation with code %(code)s already exists.") % {"code": code})
    return Organisation.objects.create(
        code=code, kind=kind, name_zh=name_zh.strip(), name_en=name_en.strip(), area=area
    )
