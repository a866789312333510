"""The shape of the dashboards' figures, shared by the summary path (dashboards.selectors) and the
raw path (dashboards.raw), so the two return objects that compare equal when they agree.

Definitions, the same in both paths:
- the figures of a period are about the requests *filed* in it (local days, Asia/Shanghai), in
  their state now;
- open: in an open status; overdue: open and flagged overdue by the deadline task, which every
  five minutes escalates the requests past their accept-by or resolve-by time (accepting,
  resolving or reopening clears the flag) - a stored state, so it can be summarised;
- accepted / resolved within the SLA: accepted_at ≤ accept_due_at, resolved_at ≤ resolve_due_at;
- time to accept / resolve: from filing, in hours; medians and 90th percentiles are given as the
  upper edge of the histogram bucket they fall in (HOUR_EDGES), so they add up across summary rows;
- reopen rate: requests reopened at least once, over requests resolved at least once;
- satisfaction: the average of the ratings given, and how many gave each star.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext_lazy as _

# Bucket edges in hours: a duration d falls in bucket i when HOUR_EDGES[i-1] ≤ d < HOUR_EDGES[i]
# (PostgreSQL's width_bucket); the last bucket is "30 days or more".
HOUR_EDGES = (1, 2, 4, 8, 12, 24, 48, 72, 120, 168, 240, 360, 720)
HISTOGRAM_BUCKETS = len(HOUR_EDGES) + 1
RESOLUTION_NOTE = _(
    "Medians and 90th percentiles are rounded up to the next of 1, 2, 4, 8, 12, 24, 48, 72 hours, "
    "5, 7, 10, 15 or 30 days."
)

COUNT_COLUMNS = (
    "requests",
    "open",
    "overdue",
    "accepted",
    "accepted_in_sla",
    "resolved",
    "resolved_in_sla",
    "closed",
    "rejected",
    "reopened",
    "rating_sum",
    "rating_1",
    "rating_2",
    "rating_3",
    "rating_4",
    "rating_5",
)
ACCEPT_COLUMNS = tuple(f"accept_b{i}" for i in range(HISTOGRAM_BUCKETS))
RESOLVE_COLUMNS = tuple(f"resolve_b{i}" for i in range(HISTOGRAM_BUCKETS))
# Every additive column of a summary row, in one order that the SQL and the Python share.
SUMMED_COLUMNS = COUNT_COLUMNS + ACCEPT_COLUMNS + RESOLVE_COLUMNS


def bucket_of(hours: float) -> int:
    """The histogram bucket of a duration, as width_bucket(hours, HOUR_EDGES) puts it."""
    return bisect_right(HOUR_EDGES, hours)


def bucket_upper_hours(bucket: int) -> float:
    """What a percentile in `bucket` is reported as: its upper edge (infinity for the last)."""
    return float(HOUR_EDGES[bucket]) if bucket < len(HOUR_EDGES) else math.inf


def percentile_rank(fraction: float, count: int) -> int:
    """The 1-based rank of the `fraction` percentile among `count` values, as PostgreSQL's
    percentile_disc picks it: the first value whose position reaches the fraction."""
    return max(1, math.ceil(fraction * count))


def histogram_percentile(histogram: tuple[int, ...] | list[int], fraction: float) -> float | None:
    count = sum(histogram)
    if count == 0:
        return None
    rank = percentile_rank(fraction, count)
    seen = 0
    for bucket, n in enumerate(histogram):
        seen += n
        if seen >= rank:
            return bucket_upper_hours(bucket)
    raise AssertionError("unreachable: the ranks add up to the count")


def value_percentile(hours: float | None) -> float | None:
    """A percentile computed exactly from the requests, reported at the same resolution."""
    return None if hours is None else bucket_upper_hours(bucket_of(hours))


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Measures:
    """The figures of one set of requests (the whole scope, one area, one service, one day …)."""

    new: int = 0
    open: int = 0
    overdue: int = 0
    closed: int = 0
    rejected: int = 0
    accepted: int = 0
    accepted_in_sla: int = 0
    resolved: int = 0
    resolved_in_sla: int = 0
    reopened: int = 0
    ratings: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)
    rating_sum: int = 0
    accept_median_h: float | None = None
    accept_p90_h: float | None = None
    resolve_median_h: float | None = None
    resolve_p90_h: float | None = None

    @property
    def accept_sla_share(self) -> float | None:
        return _share(self.accepted_in_sla, self.accepted)

    @property
    def resolve_sla_share(self) -> float | None:
        return _share(self.resolved_in_sla, self.resolved)

    @property
    def rated(self) -> int:
        return sum(self.ratings)

    @property
    def satisfaction(self) -> float | None:
        return self.rating_sum / self.rated if self.rated else None

    @property
    def reopen_rate(self) -> float | None:
        return _share(self.reopened, self.resolved)

    @property
    def overdue_share(self) -> float | None:
        return _share(self.overdue, self.open)

    @classmethod
    def from_sums(cls, sums: dict, *, percentiles: bool = True) -> Measures:
        """From the summed summary columns (SUMMED_COLUMNS) of some rows; without `percentiles`,
        the counts alone."""
        hours = {}
        if percentiles:
            accept = [int(sums[c] or 0) for c in ACCEPT_COLUMNS]
            resolve = [int(sums[c] or 0) for c in RESOLVE_COLUMNS]
            hours = {
                "accept_median_h": histogram_percentile(accept, 0.5),
                "accept_p90_h": histogram_percentile(accept, 0.9),
                "resolve_median_h": histogram_percentile(resolve, 0.5),
                "resolve_p90_h": histogram_percentile(resolve, 0.9),
            }
        n = {c: int(sums[c] or 0) for c in COUNT_COLUMNS}
        return cls(
            new=n["requests"],
            open=n["open"],
            overdue=n["overdue"],
            closed=n["closed"],
            rejected=n["rejected"],
            accepted=n["accepted"],
            accepted_in_sla=n["accepted_in_sla"],
            resolved=n["resolved"],
            resolved_in_sla=n["resolved_in_sla"],
            reopened=n["reopened"],
            ratings=tuple(n[f"rating_{star}"] for star in range(1, 6)),
            rating_sum=n["rating_sum"],
            **hours,
        )


GRANULARITIES = ("day", "week", "month")


@dataclass(frozen=True)
class Filters:
    """What the figures are for. `area` is where the drill-down stands; `start`/`end` are local
    days, both included; `organisation_id` None means every organisation."""

    start: date
    end: date
    area_id: int
    area_path: str
    service_group: str = ""
    organisation_id: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def granularity(self) -> str:
        """The series step: daily for up to two weeks, weekly up to a quarter, monthly beyond, so
        a longer period reads the weekly or monthly summary and the chart stays legible."""
        if self.days <= 14:
            return "day"
        if self.days <= 92:
            return "week"
        return "month"


@dataclass(frozen=True)
class Scope:
    """Whose requests the acting user may count: those in the area subtrees `paths`, and those
    handled by the organisations `organisation_ids`. Empty means nothing."""

    paths: tuple[str, ...] = ()
    organisation_ids: tuple[int, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.paths and not self.organisation_ids


@dataclass
class Figures:
    """Every figure of a dashboard page. `by_child` is keyed by the path of the areas one level
    below `filters.area_path` (the drill-down), `by_grid` by grid id, `by_service` by service id,
    `by_organisation` by organisation id (None: not yet routed), `series` by the first day of each
    step of `filters.granularity`. `by_grid` and `series` hold counts only, no percentiles. A page
    may ask for some groupings only (see dashboards.reads.summary_figures); the others stay empty."""

    filters: Filters
    total: Measures = field(default_factory=Measures)
    by_child: dict[str, Measures] = field(default_factory=dict)
    by_grid: dict[int, Measures] = field(default_factory=dict)
    by_service: dict[int, Measures] = field(default_factory=dict)
    by_organisation: dict[int | None, Measures] = field(default_factory=dict)
    series: dict[date, Measures] = field(default_factory=dict)


# The groupings both paths compute, by the Figures attribute they fill, and the SQL column each
# groups by (the same in both paths).
_KEYS = {
    "by_child": "child_path",
    "by_grid": "grid_id",
    "by_service": "service_id",
    "by_organisation": "organisation_id",
    "series": "step",
}


_KEY_TYPES = {
    "child_path": "text",
    "grid_id": "bigint",
    "service_id": "bigint",
    "organisation_id": "bigint",
    "step": "date",
}


def grouping_sets_sql(names: tuple[str, ...]) -> tuple[str, str]:
    """(the select list: the name of the grouping each result row belongs to and the five key
    columns, NULL where not grouped by; the GROUPING SETS clause) for the groupings `names`
    (Figures attributes; "total" is the empty grouping)."""
    columns = [_KEYS[name] for name in names if name != "total"]
    n = len(columns)
    whens = []
    for i, name in enumerate(name for name in names if name != "total"):
        # GROUPING() sets the bit of each argument not grouped by; the first argument is the highest bit.
        whens.append(f"WHEN {(2**n - 1) - 2 ** (n - 1 - i)} THEN '{name}'")
    if "total" in names:
        whens.append(f"WHEN {2**n - 1} THEN 'total'")
    sets = (["()"] if "total" in names else []) + [f"({column})" for column in columns]
    keys = ", ".join(key if key in columns else f"NULL::{kind} AS {key}" for key, kind in _KEY_TYPES.items())
    # GROUPING() takes at least one argument: the totals alone need no CASE.
    grouping = f"CASE GROUPING({', '.join(columns)}) {' '.join(whens)} END" if columns else "'total'"
    return f"{grouping} AS grouping, {keys}", f"GROUPING SETS ({', '.join(sets)})"


ALL_GROUPINGS = ("total", "by_child", "by_grid", "by_service", "by_organisation", "series")
# The grid and series groupings carry counts only, no percentiles (no page shows them per grid or
# per step): the series does not read the histograms at all.
COUNTS_ONLY = ("by_grid", "series")


def figures_from_rows(filters: Filters, rows: list[dict], build) -> Figures:
    """Sort the grouped rows into a Figures: `build(row, percentiles=…)` makes each row's Measures,
    with percentiles except for the COUNTS_ONLY groupings."""
    figures = Figures(filters=filters)
    for row in rows:
        name = row["grouping"]
        measures = build(row, percentiles=name not in COUNTS_ONLY)
        if name == "total":
            figures.total = measures
            continue
        getattr(figures, name)[row[_KEYS[name]]] = measures
    return figures
