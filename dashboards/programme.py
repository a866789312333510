"""The smart-community programme on the dashboards (issue 19): the construction projects' progress and
spending by the area they are registered for and by funding source, the delayed projects, and the
assessment league of the district's latest closed round.

Read for an area overseer only (as participation is: see docs/dashboards.md), for the drill-down area
(already checked to be in the viewer's scope): the projects registered for an area in its subtree or
covering one of its communities, and the communities in it of the league of the latest closed round
the viewer sees (programme.assessment_selectors.league_for). A constant number of queries,
however many projects and communities there are.

Definitions:
- approved budget: the budget plus the approved adjustments; spent: the project's spending to date;
  share spent: spent over approved budget, summed over the row's projects;
- spent in the period: the spending entries dated in the period (corrections included);
- status and delay: as programme.project_status computes them, today (the period does not change
  them): a project is delayed when a milestone is past its planned date and not reached, late by the
  days since the planned date of the longest-overdue one;
- by area: each project counts once, in the row of the area it is registered for (the district or a
  subdistrict); every subdistrict below the drill-down area has a row, with or without projects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum

from directory.models import Area
from programme.assessment_selectors import League, league_for
from programme.models import ConstructionProject, FundingSource, Milestone, ProjectSpend
from programme.project_status import STATUS_LABELS, Status, with_status

STATUSES = list(STATUS_LABELS)


@dataclass
class Spending:
    """The projects of one row: how many, their money and how many are in each status."""

    projects: int = 0
    budget: Decimal = Decimal(0)
    spent: Decimal = Decimal(0)
    spent_in_period: Decimal = Decimal(0)
    statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))

    def add(self, project: ConstructionProject, spent_in_period: Decimal) -> None:
        self.projects += 1
        self.budget += project.budget + project.adjustments
        self.spent += project.spent
        self.spent_in_period += spent_in_period
        self.statuses[project.status] += 1

    @property
    def share_spent(self) -> float | None:
        return float(self.spent / self.budget) if self.budget else None


@dataclass
class SpendingRow:
    label: str
    figures: Spending
    area: Area | None = None


@dataclass
class DelayedProject:
    project: ConstructionProject
    days_late: int
    milestone: Milestone


@dataclass
class ProgrammeFigures:
    area: Area
    total: Spending
    by_area: list[SpendingRow]
    by_funding: list[SpendingRow]
    delayed: list[DelayedProject]
    league: League | None


def projects_in(area: Area):
    """The projects registered for an area in `area`'s subtree or covering one of its communities."""
    covering = ConstructionProject.communities.through.objects.filter(area__path__startswith=area.path).values(
        "constructionproject_id"
    )
    return ConstructionProject.objects.filter(Q(area__path__startswith=area.path) | Q(pk__in=covering))


def league_in(*, user, area: Area) -> League | None:
    """The league of the latest closed round the user sees (programme.assessment_selectors), for the
    communities in `area`."""
    league = league_for(user)
    if league is not None:
        league.scores = [score for score in league.scores if score.community.path.startswith(area.path)]
    return league


def programme_figures(*, user, area: Area, start: date, end: date, today: date) -> ProgrammeFigures:
    projects = list(
        with_status(projects_in(area), today=today).select_related("area").order_by("area__path", "name", "pk")
    )
    ids = [project.pk for project in projects]
    in_period: dict[int, Decimal] = dict(
        ProjectSpend.objects.filter(project_id__in=ids, spent_on__gte=start, spent_on__lte=end)
        .order_by()
        .values("project_id")
        .annotate(total=Sum("amount"))
        .values_list("project_id", "total")
    )

    rows: dict[int, SpendingRow] = {}
    if area.kind == Area.Kind.DISTRICT:
        # Every subdistrict has a row, so one without projects shows as one.
        for child in Area.objects.filter(parent=area, kind=Area.Kind.SUBDISTRICT).order_by("path"):
            rows[child.pk] = SpendingRow(label=child.name, figures=Spending(), area=child)
    by_funding = {source: SpendingRow(label=str(label), figures=Spending()) for source, label in FundingSource.choices}
    total = Spending()
    for project in projects:
        spent = in_period.get(project.pk, Decimal(0))
        total.add(project, spent)
        if project.area_id not in rows:
            rows[project.area_id] = SpendingRow(label=project.area.name, figures=Spending(), area=project.area)
        rows[project.area_id].figures.add(project, spent)
        by_funding[project.funding_source].figures.add(project, spent)

    delayed = [project for project in projects if project.status == Status.DELAYED]
    # The longest-overdue milestone of each delayed project, in one query.
    overdue = {
        milestone.project_id: milestone
        for milestone in Milestone.objects.filter(
            project_id__in=[project.pk for project in delayed], actual_date__isnull=True, planned_date__lt=today
        )
        .order_by("project_id", "planned_date", "pk")
        .distinct("project_id")
    }
    late = [
        DelayedProject(project=project, days_late=(today - milestone.planned_date).days, milestone=milestone)
        for project in delayed
        if (milestone := overdue.get(project.pk)) is not None
    ]
    late.sort(key=lambda row: (-row.days_late, row.project.name, row.project.pk))
    return ProgrammeFigures(
        area=area,
        total=total,
        by_area=sorted(rows.values(), key=lambda row: row.area.path),
        by_funding=list(by_funding.values()),
        delayed=late,
        league=league_in(user=user, area=area),
    )
