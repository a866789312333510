"""The indicator system (评价指标体系): versioned per district; a draft is edited and published, so a
round keeps the version it was assessed by (see programme.assessment)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from directory.models import Area
from programme import indicators
from programme.models import (
    Indicator,
    IndicatorGroup,
    IndicatorSystem,
)
from security.audit import audit_record
from security.models import User
from security.roles import PROGRAMME_DISTRICT_ROLES
from security.scoping import covers_area

NAME_MAX = 100
TARGET_MAX = Decimal("99999999")

# The first version of a district's system (`default_indicators`): every computation of the
# registry (programme.indicators.COMPUTATIONS: its label, unit, group, direction and target) with the
# weight below, and two infrastructure figures the community reports with a photo or a document.
# The weights add up to 100.
DEFAULT_WEIGHTS = {
    "requests_on_time": 12,
    "satisfaction": 12,
    "verified_per_household": 8,
    "proposals_answered_on_time": 8,
    "volunteer_hours": 8,
    "visit_coverage": 12,
    "training_completion": 8,
    "datasets_shared": 6,
    "security_incidents": 8,
}
DEFAULT_REPORTED: list[dict] = [
    {
        "code": "smart_access_coverage",
        "group": IndicatorGroup.INFRASTRUCTURE,
        "name_zh": "智能门禁覆盖率",
        "name_en": "Smart access control coverage",
        "weight": 10,
        "target": Decimal(100),
        "direction": Indicator.Direction.HIGHER,
        "computation": "",
        "unit": "%",
    },
    {
        "code": "video_coverage",
        "group": IndicatorGroup.INFRASTRUCTURE,
        "name_zh": "公共区域视频监控覆盖率",
        "name_en": "Public-area video coverage",
        "weight": 8,
        "target": Decimal(100),
        "direction": Indicator.Direction.HIGHER,
        "computation": "",
        "unit": "%",
    },
]
INDICATOR_FIELDS = ("code", "group", "name_zh", "name_en", "weight", "target", "direction", "computation", "unit")


def default_indicators() -> list[dict]:
    """The indicators of a district's first system (see DEFAULT_WEIGHTS)."""
    rows = []
    for key, computation in indicators.COMPUTATIONS.items():
        names = {}
        for field, language in (("name_zh", "zh-hans"), ("name_en", "en")):
            with translation.override(language):
                names[field] = str(computation.label)[:NAME_MAX]
        with translation.override(settings.LANGUAGE_CODE):
            unit = str(computation.unit)[:20]
        rows.append(
            {
                "code": key[:40],
                "group": computation.group,
                **names,
                "weight": DEFAULT_WEIGHTS.get(key, 0),
                "target": computation.target,
                "direction": computation.direction,
                "computation": key,
                "unit": unit,
            }
        )
    return rows + DEFAULT_REPORTED


def district_of(area: Area) -> Area:
    """The district an area lies in (the root of its path)."""
    if area.kind == Area.Kind.DISTRICT:
        return area
    return Area.objects.get(path=area.path.split("/", 1)[0] + "/")


def check_leader(actor: User, district: Area) -> None:
    if not covers_area(actor, district, PROGRAMME_DISTRICT_ROLES):
        raise PermissionDenied


# --- the indicator system ------------------------------------------------------------------------
def system_in_force(district: Area) -> IndicatorSystem | None:
    return IndicatorSystem.objects.filter(district=district, status=IndicatorSystem.Status.IN_FORCE).first()


@transaction.atomic
def system_draft_start(*, district: Area, actor: User) -> IndicatorSystem:
    """A new version as a draft: a copy of the system in force, or the default system the first time."""
    check_leader(actor, district)
    # The district row's lock serialises two leaders starting (or publishing) at once.
    Area.objects.select_for_update().filter(pk=district.pk).first()
    if IndicatorSystem.objects.filter(district=district, status=IndicatorSystem.Status.DRAFT).exists():
        raise ValidationError(_("A draft of the indicator system is already being edited: publish or discard it."))
    current = system_in_force(district)
    latest = IndicatorSystem.objects.filter(district=district).aggregate(v=Max("version"))["v"] or 0
    draft = IndicatorSystem.objects.create(district=district, version=latest + 1, created_by=actor)
    if current is not None:
        rows = [{field: getattr(i, field) for field in INDICATOR_FIELDS} for i in current.indicators.all()]
    else:
        rows = default_indicators()
    Indicator.objects.bulk_create(
        [
            Indicator(
                system=draft,
                order=position,
                source=Indicator.Source.COMPUTED if row["computation"] else Indicator.Source.REPORTED,
                **{field: row[field] for field in INDICATOR_FIELDS},
            )
            for position, row in enumerate(rows, start=1)
        ]
    )
    audit_record(
        actor=actor,
        action="programme.system_draft",
        target=draft,
        area=district,
        details={"version": draft.version, "copied_from": current.version if current else "default"},
    )
    return draft


def _draft_locked(system: IndicatorSystem) -> IndicatorSystem:
    locked = IndicatorSystem.objects.select_for_update().get(pk=system.pk)
    if locked.status != IndicatorSystem.Status.DRAFT:
        raise ValidationError(_("Only a draft is edited: this version is no longer a draft."))
    return locked


def decimal_clean(raw, field: str, errors: dict, *, maximum: Decimal, message: str) -> Decimal | None:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = message
        return None
    if not value.is_finite() or value < 0 or value > maximum:
        errors[field] = message
        return None
    return value


def _indicator_fields(system: IndicatorSystem, values: dict, *, indicator: Indicator | None) -> dict:
    errors: dict[str, str] = {}
    cleaned: dict = {}
    code = (values.get("code") or "").strip().lower()
    if not code or len(code) > 40 or not all(c.isascii() and (c.isalnum() or c in "_-") for c in code):
        errors["code"] = _("Give a code of up to 40 letters, digits, hyphens or underscores.")
    elif system.indicators.filter(code=code).exclude(pk=indicator.pk if indicator else None).exists():
        errors["code"] = _("Another indicator of this version has the code %(code)s.") % {"code": code}
    cleaned["code"] = code
    for field in ("name_zh", "name_en"):
        cleaned[field] = " ".join((values.get(field) or "").split())
        if len(cleaned[field]) > NAME_MAX:
            errors[field] = _("Keep the name under %(count)d characters.") % {"count": NAME_MAX}
    if not cleaned["name_zh"]:
        errors["name_zh"] = _("Give the indicator's Chinese name.")
    cleaned["group"] = values.get("group")
    if cleaned["group"] not in IndicatorGroup.values:
        errors["group"] = _("Choose a group from the list.")
    weight = values.get("weight")
    if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 100:
        errors["weight"] = _("Enter a whole weight from 0 to 100.")
    cleaned["weight"] = weight
    cleaned["target"] = decimal_clean(
        values.get("target"), "target", errors, maximum=TARGET_MAX, message=_("Enter a target of 0 or more.")
    )
    cleaned["direction"] = values.get("direction")
    if cleaned["direction"] not in Indicator.Direction.values:
        errors["direction"] = _("Choose a direction from the list.")
    cleaned["source"] = values.get("source")
    cleaned["computation"] = (values.get("computation") or "").strip()
    if cleaned["source"] == Indicator.Source.COMPUTED:
        if cleaned["computation"] not in indicators.COMPUTATIONS:
            errors["computation"] = _("Choose a computation from the list.")
    elif cleaned["source"] == Indicator.Source.REPORTED:
        cleaned["computation"] = ""
    else:
        errors["source"] = _("Choose a source from the list.")
    cleaned["unit"] = (values.get("unit") or "").strip()
    if len(cleaned["unit"]) > 20:
        errors["unit"] = _("Keep the unit under 20 characters.")
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def indicator_save(*, system: IndicatorSystem, actor: User, indicator: Indicator | None = None, **values) -> Indicator:
    """Add an indicator to a draft, or change one of its indicators (`indicator`)."""
    check_leader(actor, system.district)
    system = _draft_locked(system)
    if indicator is not None and indicator.system_id != system.pk:
        raise PermissionDenied
    fields = _indicator_fields(system, values, indicator=indicator)
    if indicator is None:
        last = system.indicators.aggregate(o=Max("order"))["o"] or 0
        indicator = Indicator.objects.create(system=system, order=last + 1, **fields)
        action = "programme.indicator_add"
    else:
        for name, value in fields.items():
            setattr(indicator, name, value)
        indicator.save(update_fields=list(fields))
        action = "programme.indicator_update"
    audit_record(
        actor=actor,
        action=action,
        target=indicator,
        area=system.district,
        details={"version": system.version, **{k: str(v) for k, v in fields.items()}},
    )
    return indicator


@transaction.atomic
def indicator_remove(*, indicator: Indicator, actor: User) -> None:
    system = indicator.system
    check_leader(actor, system.district)
    system = _draft_locked(system)
    audit_record(
        actor=actor,
        action="programme.indicator_remove",
        target=indicator,
        area=system.district,
        details={"version": system.version, "code": indicator.code},
    )
    indicator.delete()


@transaction.atomic
def system_draft_discard(*, system: IndicatorSystem, actor: User) -> None:
    check_leader(actor, system.district)
    system = _draft_locked(system)
    audit_record(
        actor=actor,
        action="programme.system_discard",
        target=system,
        area=system.district,
        details={"version": system.version},
    )
    system.delete()


def system_problems(system: IndicatorSystem) -> list[str]:
    """Why the system cannot be published (empty when it can)."""
    rows = list(system.indicators.all())
    problems = []
    if not rows:
        problems.append(_("The system has no indicators."))
    total = sum(i.weight for i in rows)
    if total != 100:
        problems.append(_("The weights must add up to 100; they add up to %(sum)s.") % {"sum": total})
    known = indicators.COMPUTATIONS
    for indicator in rows:
        if indicator.source == Indicator.Source.COMPUTED and indicator.computation not in known:
            problems.append(
                _("%(indicator)s names a computation the portal does not know: %(key)s.")
                % {"indicator": indicator.name, "key": indicator.computation}
            )
    return problems


@transaction.atomic
def system_publish(*, system: IndicatorSystem, actor: User) -> IndicatorSystem:
    """Put a draft in force, retiring the version in force before it."""
    check_leader(actor, system.district)
    Area.objects.select_for_update().filter(pk=system.district_id).first()
    system = _draft_locked(system)
    problems = system_problems(system)
    if problems:
        raise ValidationError(problems)
    retired = IndicatorSystem.objects.filter(district=system.district, status=IndicatorSystem.Status.IN_FORCE)
    retired_versions = list(retired.values_list("version", flat=True))
    retired.update(status=IndicatorSystem.Status.RETIRED, updated_at=timezone.now())
    system.status = IndicatorSystem.Status.IN_FORCE
    system.published_at = timezone.now()
    system.save(update_fields=["status", "published_at", "updated_at"])
    audit_record(
        actor=actor,
        action="programme.system_publish",
        target=system,
        area=system.district,
        details={"version": system.version, "retired": retired_versions},
    )
    return system
