"""Spending entries and budget adjustments: a project never spends past its budget plus its approved
adjustments (see programme.projects)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from programme.models import (
    BudgetAdjustment,
    ConstructionProject,
    ProjectSpend,
)
from programme.projects.checks import (
    NOTE_MAX,
    PURPOSE_MAX,
    REASON_MAX,
    attach_file,
    can_decide_adjustment,
    date_not_future,
    locked_project,
    money_clean,
    require_manager,
    require_open,
    text_clean,
    yuan,
)
from security.audit import audit_record
from security.models import User

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
    require_manager(actor, project)
    errors: dict[str, str] = {}
    amount = money_clean(amount, "amount", errors, allow_negative=corrects is not None)
    date_not_future(spent_on, "spent_on", errors, required=_("Give the date of the spending."))
    purpose = text_clean(purpose, "purpose", errors, limit=PURPOSE_MAX, required=_("Say what the money was spent on."))
    if not document:
        errors["document"] = _("Attach the invoice or contract (a photo or a PDF).")
    if corrects is not None and amount is not None and amount > 0:
        errors["amount"] = _("A correction is a negative amount.")
    if errors:
        raise ValidationError(errors)
    # The project row's lock puts concurrent entries one after the other: each sees the spending of the
    # ones before it.
    project = locked_project(project)
    require_open(project)
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
    attach_file(spend, document)
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
    require_manager(actor, project)
    errors: dict[str, str] = {}
    amount = money_clean(amount, "amount", errors, allow_negative=True)
    reason = text_clean(reason, "reason", errors, limit=REASON_MAX, required=_("Give the reason for the change."))
    if errors:
        raise ValidationError(errors)
    project = locked_project(project)
    require_open(project)
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
    note = text_clean(
        note,
        "decision_note",
        errors,
        limit=NOTE_MAX,
        required=None if approve else _("Give the reason for refusing."),
    )
    if errors:
        raise ValidationError(errors)
    project = locked_project(adjustment.project)
    adjustment = BudgetAdjustment.objects.select_for_update().get(pk=adjustment.pk)
    if adjustment.status != BudgetAdjustment.Status.PENDING:
        raise ValidationError(_("This adjustment has already been decided."))
    if approve:
        require_open(project)
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
