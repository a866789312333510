"""Writing construction projects (智慧社区建设项目): registering and editing them, their milestones and
deliverables, spending entries, budget adjustments, documents and the acceptance.

Who may write:
- a project is registered for an area the officer covers (security.roles.PROGRAMME_OFFICER_ROLES: a
  subdistrict officer for their subdistrict, a district leader for the district) and covers communities
  of that area's subtree; officers covering the project's area manage it afterwards;
- a budget adjustment is decided by a district leader over the project's area who did not ask for it;
- once accepted, a project is read-only.

Money: every amount is a Decimal of yuan with two decimals. What a project has spent is kept on its
row (`spent`) and changed only here, under the row's lock (select_for_update), so two concurrent
entries are checked one after the other; the database check `project_spent_within_budget` is the last
guard. Lock order: the project row first, then any other row of it (an adjustment), then the audit
chain (audit_record, always last).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Area, Organisation
from participation.notices import notice_attachment_clean
from programme.models import (
    AcceptanceDecision,
    BudgetAdjustment,
    ConstructionProject,
    Deliverable,
    FundingSource,
    Milestone,
    ProjectDocument,
    ProjectSpend,
)
from security.audit import audit_record
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
_EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


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


def _require_manager(actor: User, project: ConstructionProject) -> None:
    if not can_manage(actor=actor, project=project):
        raise PermissionDenied(_("You cannot change this project."))


def _require_open(project: ConstructionProject) -> None:
    if project.acceptance_decision == AcceptanceDecision.ACCEPTED:
        raise ValidationError(_("The project has been accepted; it can no longer be changed."))


def _locked(project: ConstructionProject) -> ConstructionProject:
    return ConstructionProject.objects.select_for_update().select_related("area").get(pk=project.pk)


# --- checking input ----------------------------------------------------------------------------


def _money(value, field: str, errors: dict, *, allow_negative: bool = False) -> Decimal | None:
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


def _text(
    value: str, field: str, errors: dict, *, limit: int, required: str | None = None, collapse: bool = True
) -> str:
    text = " ".join((value or "").split()) if collapse else (value or "").strip()
    if required and not text:
        errors[field] = required
    elif len(text) > limit:
        errors[field] = _("Keep this under %(count)d characters.") % {"count": limit}
    return text


def _past_or_today(value: date | None, field: str, errors: dict, *, required: str) -> date | None:
    if value is None:
        errors[field] = required
    elif value > timezone.localdate():
        errors[field] = _("The date cannot be in the future.")
    return value


@dataclass(frozen=True)
class PlannedMilestone:
    name: str
    planned_date: date


def _checked_project(
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
        "name": _text(name, "name", errors, limit=NAME_MAX, required=_("Give the project a name.")),
        "description": _text(description, "description", errors, limit=DESCRIPTION_MAX, collapse=False),
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
    budget = _money(budget, "budget", errors)
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


def _checked_milestones(milestones: Sequence[PlannedMilestone], *, required: bool) -> list[PlannedMilestone]:
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


def _checked_deliverables(deliverables: Sequence[str]) -> list[str]:
    cleaned = [" ".join((name or "").split()) for name in deliverables]
    cleaned = [name for name in cleaned if name]
    if any(len(name) > NAME_MAX for name in cleaned):
        raise ValidationError(
            {"deliverables": _("Keep deliverable names under %(count)d characters.") % {"count": NAME_MAX}}
        )
    return cleaned


def _attach(row, upload) -> None:
    """Clean `upload` as a notice's attachment is (image re-encoded, PDF by its first bytes, size-limited)
    and store it on `row` under a random name."""
    try:
        clean = notice_attachment_clean(upload)
    except ValidationError as exc:
        raise ValidationError({"document": exc.messages}) from None
    row.file.save(f"{uuid.uuid4().hex}{_EXTENSIONS[clean.content_type]}", clean.content, save=False)
    row.file_name = clean.name
    row.content_type = clean.content_type
    row.size = clean.size


# --- projects -------------------------------------------------------------------------------------


@transaction.atomic
def project_create(
    *,
    actor: User,
    name: str,
    area: Area,
    communities: Iterable[Area],
    department: Organisation,
    funding_source: str,
    budget,
    milestones: Sequence[PlannedMilestone],
    partners: Iterable[Organisation] = (),
    deliverables: Sequence[str] = (),
    description: str = "",
) -> ConstructionProject:
    if not actor.is_authenticated or not registrable_areas(actor):
        raise PermissionDenied(_("You cannot register construction projects."))
    fields = _checked_project(
        actor=actor,
        name=name,
        description=description,
        area=area,
        communities=communities,
        department=department,
        partners=partners,
        funding_source=funding_source,
        budget=budget,
    )
    planned = _checked_milestones(milestones, required=True)
    named = _checked_deliverables(deliverables)
    communities, partners = fields.pop("communities"), fields.pop("partners")
    project = ConstructionProject.objects.create(created_by=actor, **fields)
    project.communities.set(communities)
    project.partners.set(partners)
    Milestone.objects.bulk_create(Milestone(project=project, name=m.name, planned_date=m.planned_date) for m in planned)
    Deliverable.objects.bulk_create(Deliverable(project=project, name=n) for n in named)
    audit_record(
        actor=actor,
        action="programme.project_create",
        target=project,
        area=project.area,
        details={
            "budget": str(project.budget),
            "funding_source": project.funding_source,
            "communities": [c.code for c in communities],
            "milestones": len(planned),
        },
    )
    return project


@transaction.atomic
def project_update(
    *,
    actor: User,
    project: ConstructionProject,
    name: str,
    communities: Iterable[Area],
    department: Organisation,
    funding_source: str,
    budget,
    partners: Iterable[Organisation] = (),
    description: str = "",
) -> ConstructionProject:
    """Change what was registered (the area stays); the budget never below what is spent."""
    _require_manager(actor, project)
    project = _locked(project)
    _require_open(project)
    fields = _checked_project(
        actor=actor,
        name=name,
        description=description,
        area=project.area,
        communities=communities,
        department=department,
        partners=partners,
        funding_source=funding_source,
        budget=budget,
        spent=project.spent,
        adjustments=project.adjustments,
    )
    communities, partners = fields.pop("communities"), fields.pop("partners")
    fields.pop("area")
    changed = [key for key, value in fields.items() if getattr(project, key) != value]
    for key in changed:
        setattr(project, key, fields[key])
    if changed:
        project.save(update_fields=[*changed, "updated_at"])
    project.communities.set(communities)
    project.partners.set(partners)
    audit_record(
        actor=actor,
        action="programme.project_update",
        target=project,
        area=project.area,
        details={"changed": changed, "budget": str(project.budget), "communities": [c.code for c in communities]},
    )
    return project


# --- milestones and deliverables --------------------------------------------------------------------


@transaction.atomic
def milestone_add(*, actor: User, project: ConstructionProject, name: str, planned_date: date | None) -> Milestone:
    _require_manager(actor, project)
    project = _locked(project)
    _require_open(project)
    (planned,) = _checked_milestones([PlannedMilestone(name, planned_date)], required=True)
    milestone = Milestone.objects.create(project=project, name=planned.name, planned_date=planned.planned_date)
    audit_record(
        actor=actor,
        action="programme.milestone_add",
        target=project,
        area=project.area,
        details={"milestone": milestone.pk, "name": milestone.name, "planned_date": str(milestone.planned_date)},
    )
    return milestone


@transaction.atomic
def milestone_plan_change(*, actor: User, milestone: Milestone, name: str, planned_date: date | None) -> Milestone:
    """Rename or re-plan a milestone not yet reached."""
    _require_manager(actor, milestone.project)
    project = _locked(milestone.project)
    _require_open(project)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk, project=project)
    if milestone.actual_date is not None:
        raise ValidationError(_("This milestone is reached; its plan can no longer change."))
    (planned,) = _checked_milestones([PlannedMilestone(name, planned_date)], required=True)
    before = str(milestone.planned_date)
    milestone.name, milestone.planned_date = planned.name, planned.planned_date
    milestone.save(update_fields=["name", "planned_date"])
    audit_record(
        actor=actor,
        action="programme.milestone_update",
        target=project,
        area=project.area,
        details={"milestone": milestone.pk, "planned_date": str(milestone.planned_date), "was": before},
    )
    return milestone


@transaction.atomic
def milestone_reach(*, actor: User, milestone: Milestone, actual_date: date | None, note: str = "") -> Milestone:
    _require_manager(actor, milestone.project)
    project = _locked(milestone.project)
    _require_open(project)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk, project=project)
    if milestone.actual_date is not None:
        raise ValidationError(_("This milestone is already reached."))
    errors: dict[str, str] = {}
    _past_or_today(actual_date, "actual_date", errors, required=_("Give the date the milestone was reached."))
    note = _text(note, "note", errors, limit=NOTE_MAX)
    if errors:
        raise ValidationError(errors)
    milestone.actual_date, milestone.note = actual_date, note
    milestone.save(update_fields=["actual_date", "note"])
    audit_record(
        actor=actor,
        action="programme.milestone_reach",
        target=project,
        area=project.area,
        details={
            "milestone": milestone.pk,
            "actual_date": str(actual_date),
            "planned_date": str(milestone.planned_date),
        },
    )
    return milestone


@transaction.atomic
def deliverable_add(*, actor: User, project: ConstructionProject, name: str) -> Deliverable:
    _require_manager(actor, project)
    project = _locked(project)
    _require_open(project)
    named = _checked_deliverables([name])
    if not named:
        raise ValidationError({"name": _("Name the deliverable.")})
    deliverable = Deliverable.objects.create(project=project, name=named[0])
    audit_record(
        actor=actor,
        action="programme.deliverable_add",
        target=project,
        area=project.area,
        details={"deliverable": deliverable.pk, "name": deliverable.name},
    )
    return deliverable


@transaction.atomic
def deliverable_deliver(*, actor: User, deliverable: Deliverable, delivered_on: date | None) -> Deliverable:
    _require_manager(actor, deliverable.project)
    project = _locked(deliverable.project)
    _require_open(project)
    deliverable = Deliverable.objects.select_for_update().get(pk=deliverable.pk, project=project)
    if deliverable.delivered_on is not None:
        raise ValidationError(_("This deliverable is already delivered."))
    errors: dict[str, str] = {}
    _past_or_today(delivered_on, "delivered_on", errors, required=_("Give the date it was delivered."))
    if errors:
        raise ValidationError(errors)
    deliverable.delivered_on = delivered_on
    deliverable.save(update_fields=["delivered_on"])
    audit_record(
        actor=actor,
        action="programme.deliverable_deliver",
        target=project,
        area=project.area,
        details={"deliverable": deliverable.pk, "delivered_on": str(delivered_on)},
    )
    return deliverable


# --- spending -------------------------------------------------------------------------------------


def _over_budget(project: ConstructionProject) -> ValidationError:
    left = project.budget + project.adjustments - project.spent
    return ValidationError(
        {
            "amount": _(
                "This would take the spending over the approved budget: %(left)s is left of %(budget)s. "
                "Ask for a budget adjustment first."
            )
            % {"left": yuan(left), "budget": yuan(project.budget + project.adjustments)}
        }
    )


@transaction.atomic
def spend_record(
    *,
    actor: User,
    project: ConstructionProject,
    amount,
    spent_on: date | None,
    purpose: str,
    document,
    corrects: ProjectSpend | None = None,
) -> ProjectSpend:
    """Record one spending entry with its document (invoice, contract: image or PDF). A correction is a
    negative entry naming the entry it corrects. Refused when the total would exceed the approved budget
    (the budget plus the approved adjustments)."""
    _require_manager(actor, project)
    errors: dict[str, str] = {}
    amount = _money(amount, "amount", errors, allow_negative=corrects is not None)
    _past_or_today(spent_on, "spent_on", errors, required=_("Give the date of the spending."))
    purpose = _text(purpose, "purpose", errors, limit=PURPOSE_MAX, required=_("Say what the money was spent on."))
    if not document:
        errors["document"] = _("Attach the invoice or contract (a photo or a PDF).")
    if corrects is not None and amount is not None and amount > 0:
        errors["amount"] = _("A correction is a negative amount.")
    if errors:
        raise ValidationError(errors)
    # The project row's lock puts concurrent entries one after the other: each sees the spending of the
    # ones before it.
    project = _locked(project)
    _require_open(project)
    if corrects is not None:
        corrects = ProjectSpend.objects.select_for_update().get(pk=corrects.pk, project=project)
        corrected = ProjectSpend.objects.filter(corrects=corrects).aggregate(total=Sum("amount"))["total"] or 0
        if corrects.amount < 0 or corrects.amount + corrected + amount < 0:
            raise ValidationError({"amount": _("A correction cannot take back more than the entry recorded.")})
    elif project.spent + amount > project.budget + project.adjustments:
        raise _over_budget(project)
    spend = ProjectSpend(
        project=project, amount=amount, spent_on=spent_on, purpose=purpose, corrects=corrects, recorded_by=actor
    )
    _attach(spend, document)
    try:
        with transaction.atomic():
            spend.save()
            ConstructionProject.objects.filter(pk=project.pk).update(
                spent=F("spent") + amount, updated_at=timezone.now()
            )
    except IntegrityError:
        # The database's check (project_spent_within_budget) holds even if the lock above were bypassed.
        project.refresh_from_db(fields=["spent", "adjustments", "budget"])
        raise _over_budget(project) from None
    project.refresh_from_db(fields=["spent"])
    audit_record(
        actor=actor,
        action="programme.spend_record",
        target=project,
        area=project.area,
        details={
            "spend": spend.pk,
            "amount": str(amount),
            "spent_on": str(spent_on),
            "corrects": corrects.pk if corrects else None,
            "spent": str(project.spent),
        },
    )
    return spend


# --- budget adjustments ---------------------------------------------------------------------------


def _check_new_budget(project: ConstructionProject, amount: Decimal) -> None:
    new = project.budget + project.adjustments + amount
    if new <= 0 or new < project.spent:
        raise ValidationError(
            {
                "amount": _("The budget cannot be cut below what is already spent (%(spent)s).")
                % {"spent": yuan(project.spent)}
            }
        )


@transaction.atomic
def adjustment_request(*, actor: User, project: ConstructionProject, amount, reason: str) -> BudgetAdjustment:
    """Ask for the budget to change by `amount` (negative: a cut); a district leader decides."""
    _require_manager(actor, project)
    errors: dict[str, str] = {}
    amount = _money(amount, "amount", errors, allow_negative=True)
    reason = _text(reason, "reason", errors, limit=REASON_MAX, required=_("Give the reason for the change."))
    if errors:
        raise ValidationError(errors)
    project = _locked(project)
    _require_open(project)
    _check_new_budget(project, amount)
    if BudgetAdjustment.objects.filter(project=project, status=BudgetAdjustment.Status.PENDING).exists():
        raise ValidationError(_("An adjustment of this project is already waiting for a decision."))
    adjustment = BudgetAdjustment.objects.create(project=project, amount=amount, reason=reason, requested_by=actor)
    audit_record(
        actor=actor,
        action="programme.adjustment_request",
        target=project,
        area=project.area,
        details={"adjustment": adjustment.pk, "amount": str(amount)},
    )
    return adjustment


def _decide(*, actor: User, adjustment: BudgetAdjustment, note: str, approve: bool) -> BudgetAdjustment:
    if not can_decide_adjustment(actor=actor, adjustment=adjustment):
        raise PermissionDenied(_("A district leader other than the one who asked decides this adjustment."))
    errors: dict[str, str] = {}
    note = _text(
        note,
        "decision_note",
        errors,
        limit=NOTE_MAX,
        required=None if approve else _("Give the reason for refusing."),
    )
    if errors:
        raise ValidationError(errors)
    project = _locked(adjustment.project)
    adjustment = BudgetAdjustment.objects.select_for_update().get(pk=adjustment.pk)
    if adjustment.status != BudgetAdjustment.Status.PENDING:
        raise ValidationError(_("This adjustment has already been decided."))
    if approve:
        _require_open(project)
        _check_new_budget(project, adjustment.amount)
        ConstructionProject.objects.filter(pk=project.pk).update(
            adjustments=F("adjustments") + adjustment.amount, updated_at=timezone.now()
        )
    adjustment.status = BudgetAdjustment.Status.APPROVED if approve else BudgetAdjustment.Status.REFUSED
    adjustment.decided_by, adjustment.decided_at, adjustment.decision_note = actor, timezone.now(), note
    adjustment.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    project.refresh_from_db(fields=["adjustments"])
    audit_record(
        actor=actor,
        action="programme.adjustment_approve" if approve else "programme.adjustment_refuse",
        target=project,
        area=project.area,
        details={
            "adjustment": adjustment.pk,
            "amount": str(adjustment.amount),
            "adjustments": str(project.adjustments),
        },
    )
    return adjustment


@transaction.atomic
def adjustment_approve(*, actor: User, adjustment: BudgetAdjustment, note: str = "") -> BudgetAdjustment:
    return _decide(actor=actor, adjustment=adjustment, note=note, approve=True)


@transaction.atomic
def adjustment_refuse(*, actor: User, adjustment: BudgetAdjustment, note: str) -> BudgetAdjustment:
    return _decide(actor=actor, adjustment=adjustment, note=note, approve=False)


# --- documents and acceptance ---------------------------------------------------------------------


def _document(project: ConstructionProject, upload, kind: str, actor: User) -> ProjectDocument:
    document = ProjectDocument(project=project, kind=kind, uploaded_by=actor)
    _attach(document, upload)
    document.save()
    return document


@transaction.atomic
def document_add(*, actor: User, project: ConstructionProject, document) -> ProjectDocument:
    """A document of the project (a plan, a photo of the work)."""
    _require_manager(actor, project)
    if not document:
        raise ValidationError({"document": _("Choose a photo or a PDF file.")})
    project = _locked(project)
    _require_open(project)
    row = _document(project, document, ProjectDocument.Kind.OTHER, actor)
    audit_record(
        actor=actor,
        action="programme.document_add",
        target=project,
        area=project.area,
        details={"document": row.pk, "kind": row.kind, "file_name": row.file_name},
    )
    return row


@transaction.atomic
def acceptance_record(
    *,
    actor: User,
    project: ConstructionProject,
    decision: str,
    acceptance_date: date | None,
    opinion: str,
    documents: Sequence,
) -> ConstructionProject:
    """The acceptance (验收) once every milestone is reached: accepted makes the project read-only; not
    accepted leaves it open for rework and a later acceptance."""
    _require_manager(actor, project)
    errors: dict[str, str] = {}
    if decision not in AcceptanceDecision.values:
        errors["decision"] = _("Choose the acceptance decision.")
    _past_or_today(acceptance_date, "acceptance_date", errors, required=_("Give the date of the acceptance."))
    opinion = _text(
        opinion, "opinion", errors, limit=DESCRIPTION_MAX, required=_("Write the acceptance opinion."), collapse=False
    )
    documents = [d for d in documents or [] if d]
    if not documents:
        errors["documents"] = _("Attach at least one acceptance document (a photo or a PDF).")
    if errors:
        raise ValidationError(errors)
    project = _locked(project)
    _require_open(project)
    milestones = list(project.milestones.all())
    if not milestones or any(m.actual_date is None for m in milestones):
        raise ValidationError(_("Every milestone must be reached before the acceptance."))
    try:
        rows = [_document(project, upload, ProjectDocument.Kind.ACCEPTANCE, actor) for upload in documents]
    except ValidationError as exc:
        raise ValidationError({"documents": exc.messages}) from None
    project.acceptance_decision = decision
    project.acceptance_date = acceptance_date
    project.acceptance_note = opinion
    project.accepted_by = actor
    project.save(
        update_fields=["acceptance_decision", "acceptance_date", "acceptance_note", "accepted_by", "updated_at"]
    )
    audit_record(
        actor=actor,
        action="programme.acceptance_record",
        target=project,
        area=project.area,
        details={"decision": decision, "date": str(acceptance_date), "documents": [row.pk for row in rows]},
    )
    return project
