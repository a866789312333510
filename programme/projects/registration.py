"""Registering and editing construction projects, and planning and reaching their milestones and
deliverables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from directory.models import Area, Organisation
from programme.models import (
    ConstructionProject,
    Deliverable,
    Milestone,
)
from programme.projects.checks import (
    NOTE_MAX,
    PlannedMilestone,
    date_not_future,
    deliverables_clean,
    locked_project,
    milestones_clean,
    project_fields_clean,
    registrable_areas,
    require_manager,
    require_open,
    text_clean,
)
from security.audit import audit_record
from security.models import User

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
    fields = project_fields_clean(
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
    planned = milestones_clean(milestones, required=True)
    named = deliverables_clean(deliverables)
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
    require_manager(actor, project)
    project = locked_project(project)
    require_open(project)
    fields = project_fields_clean(
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
    require_manager(actor, project)
    project = locked_project(project)
    require_open(project)
    (planned,) = milestones_clean([PlannedMilestone(name, planned_date)], required=True)
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
    require_manager(actor, milestone.project)
    project = locked_project(milestone.project)
    require_open(project)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk, project=project)
    if milestone.actual_date is not None:
        raise ValidationError(_("This milestone is reached; its plan can no longer change."))
    (planned,) = milestones_clean([PlannedMilestone(name, planned_date)], required=True)
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
    require_manager(actor, milestone.project)
    project = locked_project(milestone.project)
    require_open(project)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk, project=project)
    if milestone.actual_date is not None:
        raise ValidationError(_("This milestone is already reached."))
    errors: dict[str, str] = {}
    date_not_future(actual_date, "actual_date", errors, required=_("Give the date the milestone was reached."))
    note = text_clean(note, "note", errors, limit=NOTE_MAX)
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
    require_manager(actor, project)
    project = locked_project(project)
    require_open(project)
    named = deliverables_clean([name])
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
    require_manager(actor, deliverable.project)
    project = locked_project(deliverable.project)
    require_open(project)
    deliverable = Deliverable.objects.select_for_update().get(pk=deliverable.pk, project=project)
    if deliverable.delivered_on is not None:
        raise ValidationError(_("This deliverable is already delivered."))
    errors: dict[str, str] = {}
    date_not_future(delivered_on, "delivered_on", errors, required=_("Give the date it was delivered."))
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
