"""A project's documents and its acceptance (验收)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from programme.models import (
    AcceptanceDecision,
    ConstructionProject,
    ProjectDocument,
)
from programme.projects.checks import (
    DESCRIPTION_MAX,
    attach_file,
    date_not_future,
    locked_project,
    require_manager,
    require_open,
    text_clean,
)
from security.audit import audit_record
from security.models import User

# --- documents and acceptance ---------------------------------------------------------------------


def _document(project: ConstructionProject, upload, kind: str, actor: User) -> ProjectDocument:
    document = ProjectDocument(project=project, kind=kind, uploaded_by=actor)
    attach_file(document, upload)
    document.save()
    return document


@transaction.atomic
def document_add(*, actor: User, project: ConstructionProject, document) -> ProjectDocument:
    """A document of the project (a plan, a photo of the work)."""
    require_manager(actor, project)
    if not document:
        raise ValidationError({"document": _("Choose a photo or a PDF file.")})
    project = locked_project(project)
    require_open(project)
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
    require_manager(actor, project)
    errors: dict[str, str] = {}
    if decision not in AcceptanceDecision.values:
        errors["decision"] = _("Choose the acceptance decision.")
    date_not_future(acceptance_date, "acceptance_date", errors, required=_("Give the date of the acceptance."))
    opinion = text_clean(
        opinion, "opinion", errors, limit=DESCRIPTION_MAX, required=_("Write the acceptance opinion."), collapse=False
    )
    documents = [d for d in documents or [] if d]
    if not documents:
        errors["documents"] = _("Attach at least one acceptance document (a photo or a PDF).")
    if errors:
        raise ValidationError(errors)
    project = locked_project(project)
    require_open(project)
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
