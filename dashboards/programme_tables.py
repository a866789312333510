"""The programme page's tables (see dashboards.programme for what each figure counts), built once for
the page, the CSV and the XLSX like every other dashboard table."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dashboards.programme import STATUSES, DelayedProject, League, Spending, SpendingRow
from dashboards.tables import Column, Table
from programme.project_status import STATUS_LABELS

SPENDING_COLUMNS: list[tuple[str, str, Callable[[Spending], object]]] = [
    (gettext_lazy("Projects"), "int", lambda s: s.projects),
    (gettext_lazy("Approved budget (yuan)"), "money", lambda s: s.budget),
    (gettext_lazy("Spent to date (yuan)"), "money", lambda s: s.spent),
    (gettext_lazy("Share spent"), "share", lambda s: s.share_spent),
    (gettext_lazy("Spent in the period (yuan)"), "money", lambda s: s.spent_in_period),
]
# The approved budget's and the spending's columns (after the row's name), for the charts.
MONEY_CHART_COLUMNS = [2, 3]
# The league's score column, for its chart.
LEAGUE_SCORE_COLUMN = 4
NO_PROJECTS = gettext_lazy("No project to show.")


def _columns() -> list[Column]:
    spending = [Column(str(label), kind) for label, kind, _value in SPENDING_COLUMNS]
    return spending + [Column(str(STATUS_LABELS[status])) for status in STATUSES]


def _cells(figures: Spending) -> list:
    return [value(figures) for _label, _kind, value in SPENDING_COLUMNS] + [figures.statuses[s] for s in STATUSES]


def programme_areas_table(rows: list[SpendingRow], *, row_link) -> Table:
    """The projects by the area they are registered for; each subdistrict below leads one level down."""
    table = Table(
        "programme-areas",
        _("Projects by area"),
        [Column(_("Registered for"), "text"), *_columns()],
        empty=str(NO_PROJECTS),
    )
    for row in rows:
        table.add([row.label, *_cells(row.figures)], [row_link(row)] + [None] * (len(table.columns) - 1))
    return table


def programme_funding_table(rows: list[SpendingRow]) -> Table:
    table = Table(
        "programme-funding", _("Projects by funding source"), [Column(_("Funding source"), "text"), *_columns()]
    )
    for row in rows:
        table.add([row.label, *_cells(row.figures)])
    return table


def programme_delayed_table(delayed: list[DelayedProject], *, project_link) -> Table:
    """The delayed projects, the latest first: what is late and since when."""
    table = Table(
        "programme-delayed",
        _("Delayed projects"),
        [
            Column(_("Project"), "text"),
            Column(_("Registered for"), "text"),
            Column(_("Days late")),
            Column(_("Overdue milestone"), "text"),
            Column(_("Planned date"), "text"),
        ],
        empty=str(gettext_lazy("No project is delayed.")),
    )
    for row in delayed:
        table.add(
            [
                row.project.name,
                row.project.area.name,
                row.days_late,
                row.milestone.name,
                row.milestone.planned_date.isoformat(),
            ],
            [project_link(row.project), None, None, None, None],
        )
    return table


def programme_league_table(league: League | None) -> Table:
    """The communities of the latest closed assessment round, best first."""
    title = _("Assessment league: %(round)s") % {"round": league.round.name} if league else _("Assessment league")
    table = Table(
        "programme-league",
        title,
        [
            Column(_("Community"), "text"),
            Column(_("Subdistrict"), "text"),
            Column(_("Rank in the district")),
            Column(_("Rank in the subdistrict")),
            Column(_("Score"), "score"),
            Column(_("Change since the round before"), "change"),
        ],
        empty=str(gettext_lazy("No assessment round has been closed yet.")),
    )
    for score in league.scores if league else []:
        table.add(
            [
                score.community.name,
                score.subdistrict.name,
                score.rank_in_district,
                score.rank_in_subdistrict,
                score.total,
                score.change,
            ]
        )
    return table
