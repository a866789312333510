"""Writes of the dashboards: keeping the summary tables up to date, and recording exports.

The summaries are built set-based in PostgreSQL (INSERT … SELECT … GROUP BY), never by looping
over requests in Python: a million requests rebuild in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from dashboards.cohort_sql import COHORT_SQL, COLUMNS, sql_params
from dashboards.figures import SUMMED_COLUMNS
from dashboards.models import DailySummary, MonthlySummary, SummaryState, WeeklySummary, YearlySummary
from security.audit import audit_record
from security.models import User

# Names the PostgreSQL advisory lock that lets one rebuild or refresh run at a time.
_SUMMARY_LOCK_KEY = 5_113_020_005
# A request changed by a transaction that was still open when the last refresh started carries an
# updated_at before that refresh's watermark; looking this far behind the watermark catches it.
WATERMARK_MARGIN = timedelta(minutes=10)
_EARLIEST = datetime(2000, 1, 1, tzinfo=ZoneInfo("UTC"))


def local_today(now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), ZoneInfo(settings.TIME_ZONE)).date()


def day_start(day: date) -> datetime:
    """The moment a local day begins."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def unit_start(day: date, unit: str) -> date:
    """The first day of the week (Monday), month or year holding `day`."""
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "year":
        return day.replace(month=1, day=1)
    return month_start(day)


def next_unit(day: date, unit: str) -> date:
    """The first day of the week, month or year after the one starting on `day`."""
    if unit == "week":
        return day + timedelta(days=7)
    if unit == "year":
        return day.replace(year=day.year + 1)
    return next_month(day)


# The roll-up tables, by the unit they sum rows over, with their date column; each is summed from
# the table named in ROLLUP_SOURCES, refreshed before it (a year from its twelve months rather than
# its 365 days, so a refresh stays cheap).
ROLLUPS = {"week": (WeeklySummary, "week"), "month": (MonthlySummary, "month"), "year": (YearlySummary, "year")}
ROLLUP_SOURCES = {"week": (DailySummary, "day"), "month": (DailySummary, "day"), "year": (MonthlySummary, "month")}
SUMMARY_MODELS = (DailySummary, WeeklySummary, MonthlySummary, YearlySummary)


@dataclass(frozen=True)
class RefreshReport:
    days: int
    rollups: int
    summarised_until: date


def _lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SUMMARY_LOCK_KEY])


def _insert_days(first: date, last: date) -> None:
    """Replace the daily rows of the days first … last (both included) with fresh ones."""
    table = DailySummary._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE day >= %s AND day <= %s", [first, last])  # noqa: S608
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(COLUMNS)}) {COHORT_SQL}",  # noqa: S608
            sql_params(**{"from": day_start(first), "to": day_start(last + timedelta(days=1))}),
        )


def _insert_rollups(days: set[date] | None) -> int:
    """Replace the weekly, monthly and yearly rows holding `days` (None: every day) by summing their
    source rows (ROLLUP_SOURCES), one INSERT … SELECT … GROUP BY per table."""
    sums = ", ".join(f"SUM({column})" for column in SUMMED_COLUMNS)
    columns = ", ".join(SUMMED_COLUMNS)
    replaced = 0
    with connection.cursor() as cursor:
        for unit, (model, column) in ROLLUPS.items():
            table = model._meta.db_table
            source, date_column = ROLLUP_SOURCES[unit]
            select = (
                f"SELECT date_trunc('{unit}', {date_column})::date AS first, grid_id, service_id, organisation_id, "  # noqa: S608
                f"{sums} FROM {source._meta.db_table}"
            )
            params: list = []
            if days is not None:
                starts = sorted({unit_start(day, unit) for day in days})
                cursor.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", [starts])  # noqa: S608
                select += (
                    f" WHERE date_trunc('{unit}', {date_column})::date = ANY(%s)"
                    f" AND {date_column} >= %s AND {date_column} < %s"
                )
                params = [starts, starts[0], next_unit(starts[-1], unit)] if starts else [[], None, None]
            cursor.execute(
                f"INSERT INTO {table} ({column}, grid_id, service_id, organisation_id, {columns}) "  # noqa: S608
                f"{select} GROUP BY 1, 2, 3, 4",
                params,
            )
            replaced += cursor.rowcount
    return replaced


def _runs(days: set[date]) -> list[tuple[date, date]]:
    """Contiguous runs of days, so each run is one range query on the requests' filing time."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _save_state(*, until: date, watermark: datetime) -> None:
    SummaryState.objects.update_or_create(
        singleton=True,
        defaults={
            "summarised_until": until,
            "watermark": watermark,
            "refreshed_at": timezone.now(),
            "rows": DailySummary.objects.count(),
        },
    )


@transaction.atomic
def summaries_rebuild(*, now: datetime | None = None) -> RefreshReport:
    """Rebuild every summary table from the requests: every day before today (local time)."""
    now = now or timezone.now()
    _lock()
    today = local_today(now)
    with connection.cursor() as cursor:
        # TRUNCATE refuses to run while foreign-key checks of rows written earlier in this
        # transaction are still deferred (a refresh just before, in the same transaction).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        tables = ", ".join(model._meta.db_table for model in SUMMARY_MODELS)
        cursor.execute(f"TRUNCATE {tables}")
        cursor.execute(
            f"INSERT INTO {DailySummary._meta.db_table} ({', '.join(COLUMNS)}) {COHORT_SQL}",  # noqa: S608
            sql_params(**{"from": _EARLIEST, "to": day_start(today)}),
        )
    rollups = _insert_rollups(None)
    _save_state(until=today, watermark=now)
    with connection.cursor() as cursor:
        for model in SUMMARY_MODELS:
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return RefreshReport(days=-1, rollups=rollups, summarised_until=today)


def _changed_days(since: datetime) -> set[date]:
    """Filing days of the requests changed, or given a timeline event, since `since`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT (created_at AT TIME ZONE %(tz)s)::date FROM services_servicerequest "
            "WHERE updated_at >= %(since)s "
            "UNION SELECT DISTINCT (r.created_at AT TIME ZONE %(tz)s)::date FROM services_requestevent e "
            "JOIN services_servicerequest r ON r.id = e.request_id WHERE e.created_at >= %(since)s",
            sql_params(since=since),
        )
        return {row[0] for row in cursor.fetchall()}


@transaction.atomic
def summaries_refresh(*, now: datetime | None = None) -> RefreshReport:
    """Bring the summaries up to date: recompute the days whose requests changed since the last
    refresh, and add the days completed since. One transaction; a second refresh running at the
    same time waits for this one and then finds little left to do."""
    now = now or timezone.now()
    _lock()
    state = SummaryState.objects.select_for_update().first()
    if state is None:
        return summaries_rebuild(now=now)
    today = local_today(now)
    days = {day for day in _changed_days(state.watermark - WATERMARK_MARGIN) if day < today}
    day = state.summarised_until
    while day < today:
        days.add(day)
        day += timedelta(days=1)
    for first, last in _runs(days):
        _insert_days(first, last)
    rollups = _insert_rollups(days)
    _save_state(until=max(today, state.summarised_until), watermark=now)
    return RefreshReport(days=len(days), rollups=rollups, summarised_until=today)


def summary_state() -> SummaryState | None:
    return SummaryState.objects.first()


def export_record(*, actor: User, table: str, file_format: str, rows: int, filters: dict) -> None:
    """Every export leaves an audit event: what was taken out, in which form, with which filters."""
    audit_record(
        actor=actor,
        action="dashboards.export",
        details={"table": table, "format": file_format, "rows": rows, "filters": filters},
    )
