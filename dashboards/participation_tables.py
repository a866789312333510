"""The participation page's tables (see dashboards.participation for what each figure counts),
built once for the page, the CSV and the XLSX like every other dashboard table."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dashboards.participation import Participation, ParticipationRow
from dashboards.tables import Column, Table, cell_text

# The figures of a row, in the order of the columns: label, kind, value.
PARTICIPATION_COLUMNS: list[tuple[str, str, Callable[[Participation], object]]] = [
    (gettext_lazy("Verified residents"), "int", lambda p: p.verified),
    (gettext_lazy("Residents taking part"), "int", lambda p: p.active),
    (gettext_lazy("Participation rate"), "share", lambda p: p.participation_rate),
    (gettext_lazy("Proposals"), "int", lambda p: p.proposals),
    (gettext_lazy("Supports"), "int", lambda p: p.supports),
    (gettext_lazy("Proposals reaching the threshold"), "int", lambda p: p.reached),
    (gettext_lazy("Answered on time"), "share", lambda p: p.on_time_share),
    (gettext_lazy("Ballots cast"), "int", lambda p: p.poll_voters),
    (gettext_lazy("Poll turnout"), "share", lambda p: p.turnout),
    (gettext_lazy("Event attendances"), "int", lambda p: p.attended),
    (gettext_lazy("Volunteer hours"), "decimal", lambda p: p.volunteer_hours),
]
# The participation rate's column in the table of areas (after the area's name), for its chart.
AREAS_RATE_COLUMN = 1 + [kind for _label, kind, _value in PARTICIPATION_COLUMNS].index("share")
EMPTY = gettext_lazy("No area to show.")


def _columns() -> list[Column]:
    return [Column(str(label), kind) for label, kind, _value in PARTICIPATION_COLUMNS]


def _cells(figures: Participation) -> list:
    return [value(figures) for _label, _kind, value in PARTICIPATION_COLUMNS]


def participation_summary_table(total: Participation) -> Table:
    table = Table("participation-summary", _("Key figures"), [Column(_("Figure"), "text"), Column(_("Value"), "text")])
    for label, kind, value in PARTICIPATION_COLUMNS:
        table.add([str(label), cell_text(value(total), kind)])
    table.add([_("Proposals whose answer is given or due"), str(total.answer_due)])
    table.add([_("Proposals answered on time"), str(total.answered_on_time)])
    table.add([_("Residents the polls were open to"), str(total.poll_eligible)])
    return table


def participation_areas_table(rows: list[ParticipationRow], *, row_link) -> Table:
    """The areas one level below the drill-down area; each leads one level down, to the communities."""
    table = Table("participation-areas", _("By area"), [Column(_("Area"), "text"), *_columns()], empty=str(EMPTY))
    for row in rows:
        link = row_link(row) if row.area.kind != row.area.Kind.COMMUNITY else None
        table.add([row.area.name, *_cells(row.figures)], [link] + [None] * len(PARTICIPATION_COLUMNS))
    return table


def participation_communities_table(rows: list[ParticipationRow], *, ranking_label: str) -> Table:
    """Every community in the drill-down area, in the order of the chosen ranking."""
    title = _("Communities ranked by %(figure)s") % {"figure": ranking_label}
    table = Table(
        "participation-communities",
        title,
        [Column(_("Community"), "text"), Column(_("Rank")), *_columns()],
        empty=str(EMPTY),
    )
    for rank, row in enumerate(rows, start=1):
        table.add([row.area.name, rank, *_cells(row.figures)])
    return table
