"""The summary path: the figures of a period from the summary tables, with the days not yet
summarised computed live from the requests, in one query.

A period is cut into pieces: for a weekly or monthly series, the weeks or months already
summarised come from WeeklySummary or MonthlySummary (the row of the current week or month holds
the days summarised so far, so a period running to today takes it whole); the other summarised
days come from DailySummary; the days from `SummaryState.summarised_until` on (today, at least)
from the requests themselves. One read of those rows then gives the totals, the drill-down, the
grids, the services, the organisations and the series at once (GROUPING SETS).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection

from dashboards.cohort_sql import cohort_sql, scope_sql, sql_params
from dashboards.figures import (
    COUNT_COLUMNS,
    COUNTS_ONLY,
    SUMMED_COLUMNS,
    WIDE_GROUPINGS,
    Figures,
    Filters,
    Measures,
    Scope,
    figures_from_rows,
    grouping_sets_sql,
)
from dashboards.models import DailySummary
from dashboards.services import ROLLUPS, day_start, next_unit, summary_state, unit_start

_COLUMNS = ", ".join(SUMMED_COLUMNS)
_U_COLUMNS = ", ".join(f"u.{column}" for column in SUMMED_COLUMNS)


@dataclass(frozen=True)
class Pieces:
    """Half-open date ranges that together cover a period exactly once."""

    rollup: tuple[date, date] | None  # first days of weeks or months, of filters.granularity
    days: list[tuple[date, date]]
    live: tuple[date, date] | None


def period_pieces(filters: Filters, summarised_until: date) -> Pieces:
    start, end = filters.start, filters.end + timedelta(days=1)
    summarised_end = max(start, min(end, summarised_until))
    unit = filters.granularity
    rollup = None
    days = [(start, summarised_end)]
    if unit in ROLLUPS:
        first = start if unit_start(start, unit) == start else next_unit(unit_start(start, unit), unit)
        after = unit_start(summarised_end, unit)
        covered = after
        # The roll-up row of the unit holding the last summarised day covers exactly the days up
        # to summarised_until, so a period reaching the live part takes it whole.
        if summarised_end == summarised_until and after < summarised_end and after >= first:
            after, covered = next_unit(after, unit), summarised_end
        if first < after:
            rollup = (first, after)
            days = [(start, first), (covered, summarised_end)]
    days = [(a, b) for a, b in days if a < b]
    live = (summarised_end, end) if summarised_end < end else None
    return Pieces(rollup=rollup, days=days, live=live)


def _sources(filters: Filters, summarised_until: date) -> tuple[list[str], dict]:
    pieces = period_pieces(filters, summarised_until)
    sources: list[str] = []
    params: dict = {}
    if pieces.rollup:
        model, column = ROLLUPS[filters.granularity]
        sources.append(
            f"SELECT {column} AS t, grid_id, service_id, organisation_id, {_COLUMNS} "  # noqa: S608
            f"FROM {model._meta.db_table} WHERE {column} >= %(rollup_from)s AND {column} < %(rollup_to)s"
        )
        params.update(rollup_from=pieces.rollup[0], rollup_to=pieces.rollup[1])
    for n, (first, after) in enumerate(pieces.days):
        sources.append(
            f"SELECT day AS t, grid_id, service_id, organisation_id, {_COLUMNS} "  # noqa: S608
            f"FROM {DailySummary._meta.db_table} WHERE day >= %(day_from_{n})s AND day < %(day_to_{n})s"
        )
        params.update({f"day_from_{n}": first, f"day_to_{n}": after})
    if pieces.live:
        sources.append(
            f"SELECT day AS t, grid_id, service_id, organisation_id, {_COLUMNS} "  # noqa: S608
            f"FROM ({cohort_sql('live_from', 'live_to')}) live"
        )
        params.update(live_from=day_start(pieces.live[0]), live_to=day_start(pieces.live[1]))
    return sources, params


def summary_figures(*, filters: Filters, scope: Scope, now: datetime | None = None) -> Figures:
    """Every figure for `filters` within `scope`, from the summaries (see the module's docstring).
    `now` is accepted for symmetry with the raw path; no figure depends on the clock."""
    if scope.is_empty:
        return Figures(filters=filters)
    del now
    state = summary_state()
    # Without a summary yet (a fresh database), everything is live: correct, only slower.
    summarised_until = state.summarised_until if state else filters.start
    sources, params = _sources(filters, summarised_until)
    joins, scope_params = scope_sql(
        filters, scope, grid_column="u.grid_id", service_column="u.service_id", organisation_column="u.organisation_id"
    )
    wide = ", ".join(f"SUM({column}) AS {column}" for column in SUMMED_COLUMNS)
    narrow = ", ".join(
        f"SUM({column}) AS {column}" if column in COUNT_COLUMNS else f"NULL AS {column}" for column in SUMMED_COLUMNS
    )
    wide_name, wide_sets = grouping_sets_sql(WIDE_GROUPINGS)
    narrow_name, narrow_sets = grouping_sets_sql(COUNTS_ONLY)
    # The rows are read and joined once (MATERIALIZED), then summed twice: with the histograms for
    # the groupings that show percentiles, without them for the many grid and series groups.
    sql = f"""
        WITH x AS MATERIALIZED (
            SELECT g.child_path, u.grid_id, u.service_id, u.organisation_id,
                   date_trunc(%(granularity)s, u.t)::date AS step, {_U_COLUMNS}
            FROM ({" UNION ALL ".join(sources)}) u
            {joins}
        )
        SELECT {wide_name}, {wide} FROM x GROUP BY {wide_sets}
        UNION ALL
        SELECT {narrow_name}, {narrow} FROM x GROUP BY {narrow_sets}
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, sql_params(**params, **scope_params, granularity=filters.granularity))
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return figures_from_rows(filters, rows, Measures.from_sums)
