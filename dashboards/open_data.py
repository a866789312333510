"""Open data (政务公开): de-identified monthly figures by community and service, with disclosure control.

The figures come from `MonthlySummary` (one indexed read of at most twelve months), never from the
requests. Only complete months are published: a request filed today lands in the current month, which
is published only once it is over, mixed with all of that month's requests, so comparing two
publications never isolates one new request. Counts include private requests (a count shows no
content); nothing finer than a community and no text is published.

Disclosure control, per month, on the table community × service with its row, column and grand
totals: every cell counting 1–4 is suppressed (zeros are published: they describe nobody); then,
until stable, any suppressed cell an outsider could pin down from the published totals (by bounding
each suppressed cell with the row and column equations) makes the next smallest published cell of
its row or column suppressed too. Shares and times of a suppressed count are suppressed with it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.cache import cache
from django.db.models import F, Sum
from django.utils.translation import gettext_lazy as _

from dashboards.figures import RESOLVE_COLUMNS, histogram_percentile
from dashboards.models import MonthlySummary
from dashboards.services import local_today, month_start
from directory.models import Area
from services.models import Service

THRESHOLD = 5
MONTHS = 12
LICENCE = {
    "id": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0",
    "url": "https://creativecommons.org/licenses/by/4.0/",
}
TOTAL = "total"
DISTRICT = "__district__"


@dataclass(frozen=True)
class Dataset:
    id: str
    title: str
    description: str
    frequency: str = _("Monthly")


DATASETS = {
    "requests-by-community-service": Dataset(
        id="requests-by-community-service",
        title=_("Monthly requests by community and service"),
        description=_(
            "Requests received each month in each community, by service, with community, service and "
            "district totals. Counts include private requests. Counts of 1 to 4 are left blank, and "
            "further cells are left blank where needed so that none can be worked out from the totals."
        ),
    ),
    "resolution-by-community": Dataset(
        id="resolution-by-community",
        title=_("Monthly resolution and satisfaction by community"),
        description=_(
            "For the requests received each month in each community: how many, the share resolved within "
            "the promised time, the median time to resolve (hours) and the average satisfaction (1–5). "
            "Figures resting on fewer than 5 requests are left blank."
        ),
    ),
}


def months_published(today: date | None = None) -> list[date]:
    """The last twelve complete months, oldest first."""
    first = month_start(today or local_today())
    months = []
    for _i in range(MONTHS):
        first = month_start(first - timedelta(days=1))
        months.append(first)
    return sorted(months)


def protect(cells: dict[tuple[str, str], int]) -> tuple[dict, set]:
    """Cells keyed (row, column) → count; returns the full table with totals (row TOTAL, column
    TOTAL) and the set of keys to leave blank."""
    rows = sorted({r for r, _c in cells})
    cols = sorted({c for _r, c in cells})
    table = {(r, c): cells.get((r, c), 0) for r in rows for c in cols}
    for r in rows:
        table[(r, TOTAL)] = sum(table[(r, c)] for c in cols)
    for c in cols:
        table[(TOTAL, c)] = sum(table[(r, c)] for r in rows)
    table[(TOTAL, TOTAL)] = sum(table[(r, TOTAL)] for r in rows)
    hidden = {key for key, n in table.items() if 0 < n < THRESHOLD}
    groups = [[(r, c) for c in [*cols, TOTAL]] for r in [*rows, TOTAL]]
    groups += [[(r, c) for r in [*rows, TOTAL]] for c in [*cols, TOTAL]]
    while True:
        bounds = _bounds(table, hidden, rows, cols)
        exposed = sorted(key for key, (low, high) in bounds.items() if low == high)
        if not exposed:
            return table, hidden
        key = exposed[0]
        for group in groups:
            if key not in group:
                continue
            candidates = sorted((table[k], k) for k in group if k not in hidden and table[k] > 0)
            if candidates:
                hidden.add(candidates[0][1])
                break
        else:
            # Nothing left to hide beside it: blank every non-zero cell of the month.
            hidden |= {k for k, n in table.items() if n > 0}


def _bounds(table: dict, hidden: set, rows: list, cols: list) -> dict:
    """What an outsider can tell about each blank cell from the published ones: an interval, narrowed
    by every row and column equation (the total equals the sum of its cells) until nothing changes.
    A blank cell is known to be at least 1 (zeros are published)."""
    big = table[(TOTAL, TOTAL)] if (TOTAL, TOTAL) not in hidden else sum(v for v in table.values())
    low = dict.fromkeys(hidden, 1)
    high = dict.fromkeys(hidden, big)
    lines = [([(r, c) for c in cols], (r, TOTAL)) for r in [*rows, TOTAL]]
    lines += [([(r, c) for r in rows], (TOTAL, c)) for c in [*cols, TOTAL]]

    def lo(k):
        return low[k] if k in hidden else table[k]

    def hi(k):
        return high[k] if k in hidden else table[k]

    changed = True
    while changed:
        changed = False
        for parts, total in lines:
            # total = sum(parts): bound every term by the others.
            new_lo = sum(lo(k) for k in parts)
            new_hi = sum(hi(k) for k in parts)
            if total in hidden:
                if new_lo > low[total]:
                    low[total], changed = new_lo, True
                if new_hi < high[total]:
                    high[total], changed = new_hi, True
            for k in parts:
                if k not in hidden:
                    continue
                others_lo = new_lo - lo(k)
                others_hi = new_hi - hi(k)
                if hi(total) - others_lo < high[k]:
                    high[k], changed = hi(total) - others_lo, True
                if lo(total) - others_hi > low[k]:
                    low[k], changed = lo(total) - others_hi, True
    return {k: (low[k], high[k]) for k in hidden}


@dataclass
class MonthTable:
    month: date
    table: dict
    hidden: set
    measures: dict = field(default_factory=dict)

    def value(self, row: str, col: str) -> int | None:
        return None if (row, col) in self.hidden else self.table.get((row, col), 0)


def published_tables(today: date | None = None) -> tuple[list[MonthTable], dict[str, Area], dict[str, Service]]:
    """The protected month tables (rows: community codes, columns: service codes), the communities and
    the services. Kept for an hour: the months published are complete, and the suppression search
    costs more than a page view should."""
    key = f"open_data:tables:{today or local_today()}"
    cached = cache.get(key)
    if cached is None:
        cached = _compute_tables(today)
        cache.set(key, cached, 3600)
    return cached


def _compute_tables(today: date | None) -> tuple[list[MonthTable], dict[str, Area], dict[str, Service]]:
    """Three queries whatever the number of rows."""
    months = months_published(today)
    communities = {a.code: a for a in Area.objects.filter(kind=Area.Kind.COMMUNITY).order_by("path")}
    services = {s.code: s for s in Service.objects.order_by("order", "code")}
    rows = (
        MonthlySummary.objects.filter(month__gte=months[0], month__lte=months[-1])
        .values("month", community=F("grid__parent__code"), service_code=F("service__code"))
        .annotate(
            n=Sum("requests"),
            s_resolved=Sum("resolved"),
            s_in_sla=Sum("resolved_in_sla"),
            s_rating_sum=Sum("rating_sum"),
            **{f"s_r{i}": Sum(f"rating_{i}") for i in range(1, 6)},
            **{f"s_{col}": Sum(col) for col in RESOLVE_COLUMNS},
        )
    )
    counts: dict[date, dict] = {m: {} for m in months}
    extra: dict[date, dict] = {m: defaultdict(lambda: defaultdict(int)) for m in months}
    for row in rows:
        counts[row["month"]][(row["community"], row["service_code"])] = row["n"]
        acc = extra[row["month"]][row["community"]]
        for key in ("resolved", "in_sla", "rating_sum", *(f"r{i}" for i in range(1, 6)), *RESOLVE_COLUMNS):
            acc[key] += row[f"s_{key}"] or 0
    tables = []
    for month in months:
        cells = {(r, c): 0 for r in communities for c in services}
        cells.update(counts[month])
        table, hidden = protect(cells)
        measures = {}
        district: dict = defaultdict(int)
        for code in communities:
            for key, n in extra[month][code].items():
                district[key] += n
            measures[code] = _measures(extra[month][code], blank=(code, TOTAL) in hidden)
        measures[DISTRICT] = _measures(district, blank=(TOTAL, TOTAL) in hidden)
        tables.append(MonthTable(month=month, table=table, hidden=hidden, measures=measures))
    return tables, communities, services


def _measures(acc: dict, *, blank: bool) -> dict:
    """Shares and times of a community's (or the district's) month, blank when its count is blank or
    when they would rest on fewer than THRESHOLD requests."""
    rated = sum(acc.get(f"r{i}", 0) for i in range(1, 6))
    resolved = acc.get("resolved", 0)
    few = blank or resolved < THRESHOLD
    median = None if few else histogram_percentile([acc.get(c, 0) for c in RESOLVE_COLUMNS], 0.5)
    return {
        "on_time": None if few else acc.get("in_sla", 0) / resolved,
        "median_hours": None if median is None or median == float("inf") else median,
        "satisfaction": None if blank or rated < THRESHOLD else acc.get("rating_sum", 0) / rated,
    }
