"""The summary path: the figures of a period from the summary tables, with the days not yet
summarised computed live from the requests, in one query.

Every filter and the user's scope depend only on a row's grid, service and organisation, so rows
are filtered where they are read and summed straight away, in two reads:

- the cells: per grid × service × organisation over the whole period (a few hundred, however long
  the period), from which the totals, the drill-down, the grids, the services and the
  organisations are grouped (GROUPING SETS over the cells). The period is cut into the coarsest
  pieces that fit: whole years from YearlySummary, then whole months, whole weeks, and days from
  DailySummary; two years read a month and two years, some 1,800 rows rather than 24 months'
  14,000;
- the series: the counts per step (day, week or month), from the table of its step, with days
  from DailySummary where a step is cut by the period's start or end.

The roll-up row of the current week, month or year holds the days summarised so far, so a period
running to today takes it whole; the days from `SummaryState.summarised_until` on (today, at
least) come from the requests themselves. A page asks only for the groupings it shows, so most
skip one of the two reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection

from dashboards.cohort_sql import cohort_sql, scope_condition, scope_params, sql_params
from dashboards.figures import (
    ALL_GROUPINGS,
    COUNT_COLUMNS,
    SUMMED_COLUMNS,
    Figures,
    Filters,
    Measures,
    Scope,
    figures_from_rows,
    grouping_sets_sql,
)
from dashboards.models import DailySummary
from dashboards.services import ROLLUPS, day_start, next_unit, summary_state, unit_start

# Every grouping of the figures but the series, which is the only one that needs the steps.
CELL_GROUPINGS = tuple(name for name in ALL_GROUPINGS if name != "series")
# Sums of summary rows are cast back to integer, the tables' own type, before they are summed
# again: PostgreSQL sums integers to bigint but bigints to numeric, whose slower arithmetic the
# next level would pay for every column. (A yearly row already holds a cell's year in an integer;
# a piece sums at most three years of a cell, or one step of the whole district.)
_SUMS = ", ".join(f"SUM({column})::integer AS {column}" for column in SUMMED_COLUMNS)
_COUNT_SUMS = ", ".join(f"SUM({column})::integer AS {column}" for column in COUNT_COLUMNS)
_FINAL_SUMS = ", ".join(f"SUM({column}) AS {column}" for column in SUMMED_COLUMNS)


@dataclass(frozen=True)
class Pieces:
    """Half-open date ranges that together cover a period exactly once: summarised ones, each with
    the unit whose table it is read from ("day" or a ROLLUPS unit), and the live days."""

    summarised: list[tuple[str, date, date]]
    live: tuple[date, date] | None


def _cover(first: date, after: date, units: tuple[str, ...], summarised_until: date) -> list[tuple[str, date, date]]:
    """[first, after) in whole units, the coarsest first, and days for what no unit fits. The
    roll-up row of the unit holding the last summarised day covers exactly the days up to
    summarised_until, so a range reaching the live part takes it whole."""
    if first >= after:
        return []
    if not units:
        return [("day", first, after)]
    unit, finer = units[0], units[1:]
    whole_from = first if unit_start(first, unit) == first else next_unit(unit_start(first, unit), unit)
    whole_to = covered_to = unit_start(after, unit)
    if after == summarised_until and whole_from <= whole_to < after:
        whole_to, covered_to = next_unit(whole_to, unit), after
    if whole_from >= whole_to:
        return _cover(first, after, finer, summarised_until)
    return [
        *_cover(first, whole_from, finer, summarised_until),
        (unit, whole_from, whole_to),
        *_cover(covered_to, after, finer, summarised_until),
    ]


def period_pieces(filters: Filters, summarised_until: date, units: tuple[str, ...]) -> Pieces:
    """The pieces of the period, in the ROLLUPS `units` where they fit (coarsest first)."""
    start, end = filters.start, filters.end + timedelta(days=1)
    summarised_end = max(start, min(end, summarised_until))
    live = (summarised_end, end) if summarised_end < end else None
    return Pieces(summarised=_cover(start, summarised_end, units, summarised_until), live=live)


# The cells read the coarsest rows that fit; the series the rows of its own step.
CELL_UNITS = ("year", "month", "week")


def series_units(filters: Filters) -> tuple[str, ...]:
    return (filters.granularity,) if filters.granularity in ROLLUPS else ()


@dataclass(frozen=True)
class Source:
    """One piece's rows: a table (or the live CTE), its date column and the range read from it."""

    table: str
    date_column: str
    range_sql: str  # "" for the live rows, all of which count


def _sources(pieces: Pieces, prefix: str) -> tuple[list[Source], dict]:
    """The pieces' sources and their date parameters (named with `prefix`)."""
    sources: list[Source] = []
    params: dict = {}
    for n, (unit, first, after) in enumerate(pieces.summarised):
        model, column = ROLLUPS[unit] if unit in ROLLUPS else (DailySummary, "day")
        sources.append(
            Source(
                model._meta.db_table,
                column,
                f"{column} >= %({prefix}_from_{n})s AND {column} < %({prefix}_to_{n})s",
            )
        )
        params.update({f"{prefix}_from_{n}": first, f"{prefix}_to_{n}": after})
    if pieces.live:
        sources.append(Source("live", "day", ""))
    return sources, params


def _live(pieces: Pieces) -> tuple[str, dict]:
    """The WITH clause of the live rows ("" without any), and its parameters."""
    if not pieces.live:
        return "", {}
    # Computed once (MATERIALIZED) for both reads, its bigint counts cast to the summary tables'
    # integer (see _SUMS).
    casts = ", ".join(f"{column}::integer AS {column}" for column in SUMMED_COLUMNS)
    sql = (
        f"live AS MATERIALIZED (SELECT day, grid_id, service_id, organisation_id, {casts} "  # noqa: S608
        f"FROM ({cohort_sql('live_from', 'live_to')}) cohort)"
    )
    return sql, {"live_from": day_start(pieces.live[0]), "live_to": day_start(pieces.live[1])}


def summary_figures(
    *, filters: Filters, scope: Scope, now: datetime | None = None, groupings: tuple[str, ...] = ALL_GROUPINGS
) -> Figures:
    """The figures for `filters` within `scope`, from the summaries (see the module's docstring):
    the `groupings` asked for (Figures attributes, "total" included), by default all of them. `now`
    is accepted for symmetry with the raw path; no figure depends on the clock."""
    if scope.is_empty:
        return Figures(filters=filters)
    del now
    state = summary_state()
    # Without a summary yet (a fresh database), everything is live: correct, only slower.
    summarised_until = state.summarised_until if state else filters.start
    cell_sources, cell_params = _sources(period_pieces(filters, summarised_until, CELL_UNITS), "cells")
    series_pieces = period_pieces(filters, summarised_until, series_units(filters))
    series_sources, series_params = _sources(series_pieces, "series")
    live, live_params = _live(series_pieces)  # (both cuts have the same live days)
    visible = scope_condition(
        filters, grid_column="grid_id", service_column="service_id", organisation_column="organisation_id"
    )

    def where(source: Source) -> str:
        return f"WHERE {source.range_sql} AND {visible}" if source.range_sql else f"WHERE {visible}"

    parts = []
    cell_groupings = tuple(name for name in CELL_GROUPINGS if name in groupings)
    if cell_groupings:
        cells = " UNION ALL ".join(
            f"SELECT grid_id, service_id, organisation_id, {_SUMS} FROM {source.table} {where(source)} "  # noqa: S608
            "GROUP BY grid_id, service_id, organisation_id"
            for source in cell_sources
        )
        name, sets = grouping_sets_sql(cell_groupings)
        parts.append(
            f"SELECT {name}, {_FINAL_SUMS} "  # noqa: S608
            f"FROM (SELECT grid_id, service_id, organisation_id, {_SUMS} FROM ({cells}) pieces "
            "GROUP BY grid_id, service_id, organisation_id) cells "
            "JOIN unnest(%(grid_ids)s::bigint[], %(child_paths)s::text[]) AS g(id, child_path) ON g.id = grid_id "
            f"GROUP BY {sets}"
        )
    if "series" in groupings:
        steps = " UNION ALL ".join(
            f"SELECT {source.date_column} AS t, {_COUNT_SUMS} FROM {source.table} {where(source)} "  # noqa: S608
            f"GROUP BY {source.date_column}"
            for source in series_sources
        )
        name, sets = grouping_sets_sql(("series",))
        counts = ", ".join(
            f"SUM({column}) AS {column}" if column in COUNT_COLUMNS else f"NULL AS {column}"
            for column in SUMMED_COLUMNS
        )
        # A roll-up row's date is its step already; date_trunc is left to the few summed rows.
        parts.append(
            f"SELECT {name}, {counts} "  # noqa: S608
            f"FROM (SELECT date_trunc(%(granularity)s, t)::date AS step, * FROM ({steps}) pieces) steps "
            f"GROUP BY {sets}"
        )
    sql = (f"WITH {live} " if live else "") + " UNION ALL ".join(parts)
    with connection.cursor() as cursor:
        params = cell_params | series_params | live_params | scope_params(filters, scope)
        cursor.execute(sql, sql_params(**params, granularity=filters.granularity))
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return figures_from_rows(filters, rows, Measures.from_sums)
