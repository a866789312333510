"""Every table the dashboards show, built once and used three ways: rendered as HTML (the
accessible twin of each chart), written as CSV and written as XLSX. One definition, so a page and
its export can never disagree."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from dashboards.figures import Figures, Measures
from dashboards.selectors import HotSpot, Row


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = "int"  # int | text | share | hours | average | ratio | decimal | money | score | change


@dataclass
class Table:
    slug: str
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    # Same shape as rows: where each cell leads (None: nowhere).
    links: list[list[str | None]] = field(default_factory=list)
    # What an empty table says instead of the request tables' "No requests in this period."
    empty: str = ""

    def add(self, cells: list, links: list[str | None] | None = None) -> None:
        self.rows.append(cells)
        self.links.append(links or [None] * len(cells))

    def html_rows(self) -> list[SafeString]:
        """Each row as HTML, for the template. Built here, and escaped with the standard library's
        html.escape (what Django's escape calls): the template language cell by cell, or
        format_html, took over 10 ms for the 150 rows of a hot-spot page; this, under 2."""
        rows = []
        for row, links in zip(self.rows, self.links, strict=True):
            cells = []
            for i, (value, link, column) in enumerate(zip(row, links, self.columns, strict=True)):
                content = escape(cell_text(value, column.kind))
                if link:
                    content = f'<a href="{escape(link)}">{content}</a>'
                if i == 0:
                    cells.append(f'<th scope="row">{content}</th>')
                elif column.kind == "text":
                    cells.append(f"<td>{content}</td>")
                else:
                    cells.append(f'<td class="num">{content}</td>')
            rows.append(mark_safe(f"<tr>{''.join(cells)}</tr>"))  # noqa: S308 - every value escaped above
        return rows


def cell_text(value, kind: str) -> str:
    """How a value reads on the page and in the CSV: shares as percentages, durations at the
    histogram's resolution, "—" where there is nothing to measure."""
    if value is None:
        return "—"
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "average":
        return f"{value:.2f}"
    if kind == "ratio":
        return f"{value:.3f}"
    if kind == "decimal":
        return f"{value:.1f}"
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "score":
        return f"{value:.2f}"
    if kind == "change":
        return f"{value:+.2f}"
    if kind == "hours":
        if math.isinf(value):
            return _("over 30 days")
        if value < 24:
            return _("≤ %(hours)s h") % {"hours": f"{value:g}"}
        return _("≤ %(days)s d") % {"days": f"{value / 24:g}"}
    return str(value)


def cell_value(value, kind: str):
    """The value as a spreadsheet cell: numbers stay numbers (shares as percentages)."""
    if value is None:
        return None
    if kind == "share":
        return round(value * 100, 1)
    if kind == "hours":
        return None if math.isinf(value) else value
    if kind in ("average", "ratio"):
        return round(value, 3)
    if kind == "decimal":
        return round(float(value), 1)
    # Money, scores and changes stay Decimals: to the cent, as a spreadsheet adds them up exactly.
    return value


MEASURE_COLUMNS: list[tuple[str, str, Callable[[Measures], object]]] = [
    (gettext_lazy("New"), "int", lambda m: m.new),
    (pgettext_lazy("requests still open", "Open"), "int", lambda m: m.open),
    (gettext_lazy("Overdue"), "int", lambda m: m.overdue),
    (gettext_lazy("Closed"), "int", lambda m: m.closed),
    (gettext_lazy("Accepted within SLA"), "share", lambda m: m.accept_sla_share),
    (gettext_lazy("Resolved within SLA"), "share", lambda m: m.resolve_sla_share),
    (gettext_lazy("Median time to resolve"), "hours", lambda m: m.resolve_median_h),
    (gettext_lazy("Satisfaction (1–5)"), "average", lambda m: m.satisfaction),
    (gettext_lazy("Reopen rate"), "share", lambda m: m.reopen_rate),
]
# The columns whose numbers open the list of requests behind them.
LINKED_FIGURES = {0: "new", 1: "open", 2: "overdue", 3: "closed"}


def _measure_table(slug: str, title: str, first: str, rows: list[Row], *, row_link=None, figure_link=None) -> Table:
    table = Table(
        slug, title, [Column(first, "text")] + [Column(str(label), kind) for label, kind, _f in MEASURE_COLUMNS]
    )
    for row in rows:
        cells = [row.label] + [value(row.measures) for _l, _k, value in MEASURE_COLUMNS]
        links = [row_link(row) if row_link else None] + [
            figure_link(row, LINKED_FIGURES[i]) if figure_link and i in LINKED_FIGURES else None
            for i in range(len(MEASURE_COLUMNS))
        ]
        table.add(cells, links)
    return table


def summary_table(figures: Figures) -> Table:
    m = figures.total
    table = Table("summary", _("Key figures"), [Column(_("Figure"), "text"), Column(_("Value"), "text")])
    for label, value, kind in (
        (_("New requests"), m.new, "int"),
        (_("Open now"), m.open, "int"),
        (_("Overdue now"), m.overdue, "int"),
        (_("Closed"), m.closed, "int"),
        (_("Rejected"), m.rejected, "int"),
        (_("Accepted within SLA"), m.accept_sla_share, "share"),
        (_("Resolved within SLA"), m.resolve_sla_share, "share"),
        (_("Median time to accept"), m.accept_median_h, "hours"),
        (_("90th percentile time to accept"), m.accept_p90_h, "hours"),
        (_("Median time to resolve"), m.resolve_median_h, "hours"),
        (_("90th percentile time to resolve"), m.resolve_p90_h, "hours"),
        (_("Satisfaction (1–5)"), m.satisfaction, "average"),
        (_("Ratings given"), m.rated, "int"),
        (_("Reopen rate"), m.reopen_rate, "share"),
    ):
        table.add([label, cell_text(value, kind)])
    return table


def ratings_table(figures: Figures) -> Table:
    table = Table("ratings", _("Satisfaction"), [Column(_("Stars"), "text"), Column(_("Ratings"), "int")])
    for star, count in enumerate(figures.total.ratings, start=1):
        table.add(["★" * star, count])
    return table


def areas_table(rows: list[Row], *, row_link, figure_link, with_people: bool) -> Table:
    table = _measure_table("areas", _("By area"), _("Area"), rows, row_link=row_link, figure_link=figure_link)
    if with_people:
        table.columns += [Column(_("Households")), Column(_("Residents")), Column(_("Elderly living alone"))]
        for cells, links, row in zip(table.rows, table.links, rows, strict=True):
            cells += [row.households, row.residents, row.elderly_alone]
            links += [None, None, None]
    return table


def services_table(rows: list[Row], *, figure_link) -> Table:
    return _measure_table("services", _("Top services"), _("Service"), rows, figure_link=figure_link)


def series_table(rows: list[Row], granularity: str) -> Table:
    first = {"day": _("Day"), "week": _("Week of"), "month": _("Month")}[granularity]
    table = Table(
        "series",
        _("Over the period"),
        [
            Column(first, "text"),
            Column(_("New")),
            Column(pgettext("requests still open", "Open")),
            Column(_("Closed")),
            Column(_("Resolved within SLA"), "share"),
            Column(_("Satisfaction (1–5)"), "average"),
        ],
    )
    for row in rows:
        label = row.obj.strftime("%Y-%m") if granularity == "month" else row.label
        m = row.measures
        table.add([label, m.new, m.open, m.closed, m.resolve_sla_share, m.satisfaction])
    return table


def league_table(slug: str, title: str, rows: list[Row], *, figure_link) -> Table:
    return _measure_table(slug, title, _("Organisation"), rows, figure_link=figure_link)


def hot_spot_tables(by_household: list[HotSpot], by_overdue: list[HotSpot], *, grid_link) -> list[Table]:
    households = Table(
        "hotspots-households",
        _("Grids by requests per household"),
        [
            Column(_("Grid"), "text"),
            Column(_("New")),
            Column(_("Households")),
            Column(_("Requests per household"), "ratio"),
        ],
    )
    # Both tables list mostly the same grids: each grid's link is built once.
    links: dict[int, str] = {}

    def link(spot: HotSpot) -> str:
        if spot.grid.pk not in links:
            links[spot.grid.pk] = grid_link(spot)
        return links[spot.grid.pk]

    for spot in by_household:
        households.add(
            [spot.grid.name, spot.measures.new, spot.households, spot.per_household],
            [link(spot), None, None, None],
        )
    overdue = Table(
        "hotspots-overdue",
        _("Grids by overdue share"),
        [
            Column(_("Grid"), "text"),
            Column(pgettext("requests still open", "Open")),
            Column(_("Overdue")),
            Column(_("Overdue share"), "share"),
        ],
    )
    for spot in by_overdue:
        overdue.add(
            [spot.grid.name, spot.measures.open, spot.measures.overdue, spot.measures.overdue_share],
            [link(spot), None, None, None],
        )
    return [households, overdue]


def requests_table(requests, *, detail_link) -> Table:
    """The requests behind a figure, with personal data left out: no names, no address, no
    description (free text), the contact phone only masked."""
    table = Table(
        "requests",
        _("Requests"),
        [
            Column(_("Request number"), "text"),
            Column(_("Service"), "text"),
            Column(_("Grid"), "text"),
            Column(_("Status"), "text"),
            Column(_("Filed"), "text"),
            Column(_("Resolve by"), "text"),
            Column(_("Handled by"), "text"),
            Column(_("Contact phone"), "text"),
        ],
    )
    for request in requests:
        table.add(
            [
                request.public_id,
                request.service.name,
                request.grid.name,
                request.get_status_display(),
                f"{localtime(request.created_at):%Y-%m-%d %H:%M}",
                f"{localtime(request.resolve_due_at):%Y-%m-%d %H:%M}",
                request.handling_organisation.name if request.handling_organisation else "",
                request.contact_phone_masked,
            ],
            [detail_link(request)] + [None] * 7,
        )
    return table
