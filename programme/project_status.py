"""A construction project's status and delay, computed from its milestones and its acceptance, never
stored: in Python for one project (`project_status`) and as annotations for a list
(`with_status`), which say the same thing.

- accepted: the acceptance decision is "accepted";
- awaiting acceptance: every milestone is reached (and no acceptance, or a refused one);
- delayed: a milestone is past its planned date and not reached;
- in progress: a milestone is reached;
- not started: none is reached, none is overdue.

The delay is the days since the planned date of the longest-overdue milestone not reached (0 when none).
"""

from __future__ import annotations

from datetime import date

from django.db.models import Case, Count, Exists, F, Min, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from programme.models import AcceptanceDecision, ConstructionProject, Milestone


class Status:
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DELAYED = "delayed"
    AWAITING_ACCEPTANCE = "awaiting_acceptance"
    ACCEPTED = "accepted"


STATUS_LABELS = {
    Status.NOT_STARTED: _("Not started"),
    Status.IN_PROGRESS: _("In progress"),
    Status.DELAYED: _("Delayed"),
    Status.AWAITING_ACCEPTANCE: _("Awaiting acceptance"),
    Status.ACCEPTED: pgettext_lazy("project acceptance", "Accepted"),
}


def _status(*, accepted: bool, total: int, reached: int, overdue: bool) -> str:
    if accepted:
        return Status.ACCEPTED
    if total and reached == total:
        return Status.AWAITING_ACCEPTANCE
    if overdue:
        return Status.DELAYED
    return Status.IN_PROGRESS if reached else Status.NOT_STARTED


def project_status(project: ConstructionProject, today: date | None = None) -> tuple[str, int]:
    """(status, delay in days) of one project, from its milestones (prefetched ones are used)."""
    today = today or timezone.localdate()
    milestones = list(project.milestones.all())
    reached = sum(1 for milestone in milestones if milestone.actual_date is not None)
    overdue = [today - m.planned_date for m in milestones if m.actual_date is None and m.planned_date < today]
    accepted = project.acceptance_decision == AcceptanceDecision.ACCEPTED
    status = _status(accepted=accepted, total=len(milestones), reached=reached, overdue=bool(overdue))
    delay = max(overdue).days if overdue and not accepted else 0
    return status, delay


def with_status(projects: QuerySet[ConstructionProject], today: date | None = None) -> QuerySet[ConstructionProject]:
    """`projects` annotated with milestones_total, milestones_reached, overdue_since (the planned date of
    the longest-overdue milestone not reached, or None) and status (as project_status says)."""
    today = today or timezone.localdate()
    overdue = Milestone.objects.filter(project=OuterRef("pk"), actual_date__isnull=True, planned_date__lt=today)
    projects = projects.annotate(
        milestones_total=Count("milestones", distinct=True),
        milestones_reached=Count("milestones", filter=Q(milestones__actual_date__isnull=False), distinct=True),
        overdue_since=Min(
            "milestones__planned_date",
            filter=Q(milestones__actual_date__isnull=True, milestones__planned_date__lt=today),
        ),
        is_overdue=Exists(overdue),
    )
    return projects.annotate(
        status=Case(
            When(acceptance_decision=AcceptanceDecision.ACCEPTED, then=Value(Status.ACCEPTED)),
            When(
                Q(milestones_total__gt=0) & Q(milestones_reached=F("milestones_total")),
                then=Value(Status.AWAITING_ACCEPTANCE),
            ),
            When(is_overdue=True, then=Value(Status.DELAYED)),
            When(milestones_reached__gt=0, then=Value(Status.IN_PROGRESS)),
            default=Value(Status.NOT_STARTED),
        )
    )
