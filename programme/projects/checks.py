"""Who may write a construction project, and the checks of what they write (shared by the services of
programme.projects)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Area, Organisation
from participation.notices import notice_attachment_clean
from programme.models import (
    AcceptanceDecision,
    BudgetAdjustment,
    ConstructionProject,
    FundingSource,
)
from security.models import User
from security.roles import PROGRAMME_DISTRICT_ROLES, PROGRAMME_OFFICER_ROLES
from security.scoping import area_paths, covers_area

NAME_MAX = 200
DESCRIPTION_MAX = 5000
PURPOSE_MAX = 300
REASON_MAX = 500
NOTE_MAX = 500
MONEY_MAX = Decimal("999999999999.99")
CENT = Decimal("0.01")
# The kinds of area a project is registered for, and the kinds of its partners.
PROJECT_AREA_KINDS = (Area.Kind.DISTRICT, Area.Kind.SUBDISTRICT)
PARTNER_KINDS = (Organisation.Kind.PARTNER, Organisation.Kind.SOCIAL_ORGANISATION)
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


def yuan(amount: Decimal) -> str:
    """An amount as people read it: ¥1,234,567.50."""
    return f"¥{amount:,.2f}"


# --- who may do what ---------------------------------------------------------------------------


def registrable_areas(user: User) -> list[Area]:
    """The areas `user` may register projects for: the district or subdistrict of each officer role."""
    paths = area_paths(user, PROGRAMME_OFFICER_ROLES)
    if not paths:
        return []
    return list(Area.objects.filter(path__in=paths, kind__in=PROJECT_AREA_KINDS).order_by("path"))


def can_manage(*, actor: User, project: ConstructionProject) -> bool:
    """Officers covering the project's area register its spending, milestones and acceptance."""
    return actor.is_authenticated and covers_area(actor, project.area, PROGRAMME_OFFICER_ROLES)


def can_decide_adjustment(*, actor: User, adjustment: BudgetAdjustment) -> bool:
    """A district leader over the project's area, never the one who asked."""
    return (
        actor.is_authenticated
        and adjustment.requested_by_id != actor.pk
        and covers_area(actor, adjustment.project.area, PROGRAMME_DISTRICT_ROLES)
    )


def require_manager(actor: User, project: ConstructionProject) -> None:
    if not can_manage(actor=actor, project=project):
        raise PermissionDenied(_("You cannot change this project."))


def require_open(project: ConstructionProject) -> None:
    if project.acceptance_decision == AcceptanceDecision.ACCEPTED:
        raise ValidationError(_("The project has been accepted; it can no longer be changed."))


def locked_project(project: ConstructionProject) -> ConstructionProject:
    return ConstructionProject.objects.select_for_update().select_related("area").get(pk=project.pk)


# --- checking input ----------------------------------------------------------------------------


def money_clean(value, field: str, errors: dict, *, allow_negative: bool = False) -> Decimal | None:
    """`value` as yuan with at most two decimals; a message in `errors[field]` otherwise."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        errors[field] = _("Enter an amount in yuan, e.g. 12500.00.")
        return None
    if not amount.is_finite():
        errors[field] = _("Enter an amount in yuan, e.g. 12500.00.")
        return None
    if abs(amount) > MONEY_MAX:
        errors[field] = _("The amount is too large.")
        return None
    if amount != amount.quantize(CENT, rounding=ROUND_DOWN):
        errors[field] = _("Enter an amount in yuan with at most two decimals.")
        return None
    if amount == 0 and allow_negative:
        errors[field] = _("Enter an amount other than zero.")
        return None
    if amount <= 0 and not allow_negative:
        errors[field] = _("Enter an amount above zero.")
        return None
    return amount.quantize(CENT)


def text_clean(
    value: str, field: str, errors: dict, *, limit: int, required: str | None = None, collapse: bool = True
) -> str:
    text = " ".join((value or "").split()) if collapse else (value or "").strip()
    if required and not text:
        errors[field] = required
    elif len(text) > limit:
        errors[field] = _("Keep this under %(count)d characters.") % {"count": limit}
    return text


def date_not_future(value: date | None, field: str, errors: dict, *, required: str) -> date | None:
    if value is None:
        errors[field] = required
    elif value > timezone.localdate():
        errors[field] = _("The date cannot be in the future.")
    return value


@dataclass(frozen=True)
class PlannedMilestone:
    name: str
    planned_date: date


def project_fields_clean(
    *,
    actor: User,
    name: str,
    description: str,
    area: Area,
    communities: Iterable[Area],
    department: Organisation | None,
    partners: Iterable[Organisation],
    funding_source: str,
    budget,
    spent: Decimal = Decimal(0),
    adjustments: Decimal = Decimal(0),
) -> dict:
    errors: dict[str, str] = {}
    fields = {
        "name": text_clean(name, "name", errors, limit=NAME_MAX, required=_("Give the project a name.")),
        "description": text_clean(description, "description", errors, limit=DESCRIPTION_MAX, collapse=False),
    }
    if area is None or area.kind not in PROJECT_AREA_KINDS or not covers_area(actor, area, PROGRAMME_OFFICER_ROLES):
        errors["area"] = _("Register the project for your district or subdistrict.")
    communities = list(communities or [])
    if not communities:
        errors["communities"] = _("Choose at least one community the project covers.")
    elif area is not None and any(
        c.kind != Area.Kind.COMMUNITY or not c.path.startswith(area.path) for c in communities
    ):
        errors["communities"] = _("Choose communities of the area the project is registered for.")
    if department is None or department.kind != Organisation.Kind.DEPARTMENT or not department.is_active:
        errors["department"] = _("Choose the responsible government department.")
    partners = list(partners or [])
    if any(p.kind not in PARTNER_KINDS or not p.is_active for p in partners):
        errors["partners"] = _("Partners are enterprises or social organisations.")
    if funding_source not in FundingSource.values:
        errors["funding_source"] = _("Choose a funding source from the list.")
    budget = money_clean(budget, "budget", errors)
    if budget is not None and budget + adjustments < spent:
        errors["budget"] = _("The budget cannot be less than what is already spent (%(spent)s).") % {
            "spent": yuan(spent)
        }
    if errors:
        raise ValidationError(errors)
    return fields | {
        "area": area,
        "communities": communities,
        "department": department,
        "partners": partners,
        "funding_source": funding_source,
        "budget": budget,
    }


def milestones_clean(milestones: Sequence[PlannedMilestone], *, required: bool) -> list[PlannedMilestone]:
    cleaned = []
    for milestone in milestones:
        name = " ".join((milestone.name or "").split())
        if not name and milestone.planned_date is None:
            continue
        if not name or milestone.planned_date is None:
            raise ValidationError({"milestones": _("Give every milestone a name and a planned date.")})
        if len(name) > NAME_MAX:
            raise ValidationError(
                {"milestones": _("Keep milestone names under %(count)d characters.") % {"count": NAME_MAX}}
            )
        cleaned.append(PlannedMilestone(name, milestone.planned_date))
    if required and not cleaned:
        raise ValidationError({"milestones": _("Plan at least one milestone.")})
    return cleaned


def deliverables_clean(deliverables: Sequence[str]) -> list[str]:
    cleaned = [" ".join((name or "").split()) for name in deliverables]
    cleaned = [name for name in cleaned if name]
    if any(len(name) > NAME_MAX for name in cleaned):
        raise ValidationError(
            {"deliverables": _("Keep deliverable names under %(count)d characters.") % {"count": NAME_MAX}}
        )
    return cleaned


def attach_file(row, upload) -> None:
    """Clean `upload` as a notice's attachment is (image re-encoded, PDF by its first bytes, size-limited)
    and store it on `row` under a random name."""
    try:
        clean = notice_attachment_clean(upload)
    except ValidationError as exc:
        raise ValidationError({"document": exc.messages}) from None
    row.file.save(f"{uuid.uuid4().hex}{EXTENSIONS[clean.content_type]}", clean.content, save=False)
    row.file_name = clean.name
    row.content_type = clean.content_type
    row.size = clean.size
