"""The truth: the same figures as dashboards.reads, computed straight from the requests and their
events with one plain aggregate query, no summary table. The consistency test compares the two; the
benchmark (bench/dashboards.py) times the dashboards against this.

Percentiles here are exact (percentile_disc over the durations) and then reported at the same
resolution as the summaries' histograms (dashboards.figures.value_percentile): the bucket that holds
the exact value is the bucket the histogram finds, so the two agree exactly.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from dashboards.cohort_sql import OPEN_SQL, OVERDUE_SQL, REOPENED_SQL, hours_sql, scope_sql, sql_params
from dashboards.figures import (
    ALL_GROUPINGS,
    Figures,
    Filters,
    Measures,
    Scope,
    figures_from_rows,
    grouping_sets_sql,
    value_percentile,
)
from dashboards.services import day_start

_SQL = """
SELECT {grouping},
       COUNT(*) AS new,
       COUNT(*) FILTER (WHERE is_open) AS open,
       COUNT(*) FILTER (WHERE is_overdue) AS overdue,
       COUNT(*) FILTER (WHERE status = 'closed') AS closed,
       COUNT(*) FILTER (WHERE status = 'rejected') AS rejected,
       COUNT(accepted_at) AS accepted,
       COUNT(*) FILTER (WHERE accepted_at <= accept_due_at) AS accepted_in_sla,
       COUNT(resolved_at) AS resolved,
       COUNT(*) FILTER (WHERE resolved_at <= resolve_due_at) AS resolved_in_sla,
       COUNT(*) FILTER (WHERE reopened) AS reopened,
       COUNT(*) FILTER (WHERE rating = 1) AS rating_1,
       COUNT(*) FILTER (WHERE rating = 2) AS rating_2,
       COUNT(*) FILTER (WHERE rating = 3) AS rating_3,
       COUNT(*) FILTER (WHERE rating = 4) AS rating_4,
       COUNT(*) FILTER (WHERE rating = 5) AS rating_5,
       COALESCE(SUM(rating), 0) AS rating_sum,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY accept_hours) AS accept_median,
       percentile_disc(0.9) WITHIN GROUP (ORDER BY accept_hours) AS accept_p90,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY resolve_hours) AS resolve_median,
       percentile_disc(0.9) WITHIN GROUP (ORDER BY resolve_hours) AS resolve_p90
FROM (
    SELECT g.child_path, r.grid_id, r.service_id,
           r.handling_organisation_id AS organisation_id,
           date_trunc(%(granularity)s, (r.created_at AT TIME ZONE %(tz)s)::date)::date AS step,
           r.status, r.rating, r.accepted_at, r.accept_due_at, r.resolved_at, r.resolve_due_at,
           {open} AS is_open, {overdue} AS is_overdue, {reopened} AS reopened,
           {accept_hours} AS accept_hours, {resolve_hours} AS resolve_hours
    FROM services_servicerequest r
    {scope}
    AND r.created_at >= %(period_from)s AND r.created_at < %(period_to)s
) requests
GROUP BY {grouping_sets}
"""


def _measures(row: dict, *, percentiles: bool) -> Measures:
    hours = {}
    if percentiles:
        hours = {
            "accept_median_h": value_percentile(row["accept_median"]),
            "accept_p90_h": value_percentile(row["accept_p90"]),
            "resolve_median_h": value_percentile(row["resolve_median"]),
            "resolve_p90_h": value_percentile(row["resolve_p90"]),
        }
    return Measures(
        new=row["new"],
        open=row["open"],
        overdue=row["overdue"],
        closed=row["closed"],
        rejected=row["rejected"],
        accepted=row["accepted"],
        accepted_in_sla=row["accepted_in_sla"],
        resolved=row["resolved"],
        resolved_in_sla=row["resolved_in_sla"],
        reopened=row["reopened"],
        ratings=tuple(row[f"rating_{star}"] for star in range(1, 6)),
        rating_sum=int(row["rating_sum"]),
        **hours,
    )


def raw_figures(*, filters: Filters, scope: Scope, now: datetime | None = None) -> Figures:
    """Every figure for `filters` within `scope`, aggregated from the raw requests."""
    if scope.is_empty:
        return Figures(filters=filters)
    scope_joins, params = scope_sql(
        filters,
        scope,
        grid_column="r.grid_id",
        service_column="r.service_id",
        organisation_column="r.handling_organisation_id",
    )
    grouping, grouping_sets = grouping_sets_sql(ALL_GROUPINGS)
    sql = _SQL.format(
        grouping=grouping,
        grouping_sets=grouping_sets,
        open=OPEN_SQL,
        overdue=OVERDUE_SQL,
        reopened=REOPENED_SQL,
        accept_hours=hours_sql("accepted_at"),
        resolve_hours=hours_sql("resolved_at"),
        scope=scope_joins,
    )
    params = sql_params(
        **params,
        now=now or timezone.now(),
        granularity=filters.granularity,
        period_from=day_start(filters.start),
        period_to=day_start(filters.end + timedelta(days=1)),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return figures_from_rows(filters, rows, _measures)
