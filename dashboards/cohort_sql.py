"""The one SQL statement that turns requests into summary rows: the requests filed between
%(from)s and %(to)s, grouped by local filing day × grid × service × handling organisation, with
every additive measure of dashboards.figures.SUMMED_COLUMNS. The rebuild and the refresh insert its
rows into DailySummary; the dashboards run it live for the days not yet summarised."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from dashboards.figures import HISTOGRAM_BUCKETS, HOUR_EDGES, SUMMED_COLUMNS
from directory.models import Area
from services.models import OPEN_STATUSES

_HOURS = "(EXTRACT(EPOCH FROM r.{end} - r.created_at) / 3600.0)::float8"


def hours_sql(end_column: str) -> str:
    """Hours from filing to `end_column` of a request `r` (NULL while it has not happened)."""
    return _HOURS.format(end=end_column)


EDGES_SQL = "ARRAY[{}]::float8[]".format(", ".join(str(edge) for edge in HOUR_EDGES))
REOPENED_SQL = "EXISTS (SELECT 1 FROM services_requestevent e WHERE e.request_id = r.id AND e.kind = 'reopened')"

_OPEN = ", ".join(f"'{status}'" for status in sorted(OPEN_STATUSES))
OPEN_SQL = f"r.status IN ({_OPEN})"
# Overdue: open and flagged by the deadline task (see dashboards.figures).
OVERDUE_SQL = f"({OPEN_SQL} AND r.is_overdue)"

_MEASURES = {
    "requests": "COUNT(*)",
    "open": "COUNT(*) FILTER (WHERE is_open)",
    "overdue": "COUNT(*) FILTER (WHERE is_open AND is_overdue)",
    "accepted": "COUNT(*) FILTER (WHERE accepted_at IS NOT NULL)",
    "accepted_in_sla": "COUNT(*) FILTER (WHERE accepted_at <= accept_due_at)",
    "resolved": "COUNT(*) FILTER (WHERE resolved_at IS NOT NULL)",
    "resolved_in_sla": "COUNT(*) FILTER (WHERE resolved_at <= resolve_due_at)",
    "closed": "COUNT(*) FILTER (WHERE status = 'closed')",
    "rejected": "COUNT(*) FILTER (WHERE status = 'rejected')",
    "reopened": "COUNT(*) FILTER (WHERE reopened)",
    "rating_sum": "COALESCE(SUM(rating), 0)",
    **{f"rating_{star}": f"COUNT(*) FILTER (WHERE rating = {star})" for star in range(1, 6)},
    **{f"accept_b{i}": f"COUNT(*) FILTER (WHERE accept_bucket = {i})" for i in range(HISTOGRAM_BUCKETS)},
    **{f"resolve_b{i}": f"COUNT(*) FILTER (WHERE resolve_bucket = {i})" for i in range(HISTOGRAM_BUCKETS)},
}
if tuple(_MEASURES) != SUMMED_COLUMNS:  # the INSERT lists columns in SUMMED_COLUMNS order
    raise ImproperlyConfigured("dashboards: the cohort measures and SUMMED_COLUMNS differ")

DIMENSIONS = ("day", "grid_id", "service_id", "organisation_id")
COLUMNS = DIMENSIONS + SUMMED_COLUMNS


def cohort_sql(start: str = "from", end: str = "to") -> str:
    """The statement, reading the filing-time bounds from the parameters named `start` and `end`."""
    return _COHORT_SQL.replace("%(from)s", f"%({start})s").replace("%(to)s", f"%({end})s")


# Only fixed names are formatted into these statements; every value is a parameter.
_COHORT_SQL = f"""
SELECT day, grid_id, service_id, organisation_id,
       {", ".join(f"{expression} AS {name}" for name, expression in _MEASURES.items())}
FROM (
    SELECT (r.created_at AT TIME ZONE %(tz)s)::date AS day,
           r.grid_id, r.service_id, r.handling_organisation_id AS organisation_id,
           r.status, r.rating, r.accepted_at, r.accept_due_at, r.resolved_at, r.resolve_due_at,
           {OPEN_SQL} AS is_open, r.is_overdue, {REOPENED_SQL} AS reopened,
           width_bucket({hours_sql("accepted_at")}, {EDGES_SQL}) AS accept_bucket,
           width_bucket({hours_sql("resolved_at")}, {EDGES_SQL}) AS resolve_bucket
    FROM services_servicerequest r
    WHERE r.created_at >= %(from)s AND r.created_at < %(to)s
) cohort
GROUP BY day, grid_id, service_id, organisation_id
"""  # noqa: S608
COHORT_SQL = cohort_sql()


def sql_params(**params) -> dict:
    return {"tz": settings.TIME_ZONE, **params}


def child_path(grid_path: str, area_path: str) -> str:
    """The path of the area one level below `area_path` on the way to a grid (the grid's own path
    when the drill-down stands on a community or on the grid)."""
    rest = grid_path[len(area_path) :]
    slash = rest.find("/")
    return grid_path if slash < 0 else grid_path[: len(area_path) + slash + 1]


def scope_params(filters, scope) -> dict:
    """The parameters of scope_sql and scope_condition: the grids under the drill-down area,
    settled here, in Python, with their `child_path` and whether the user's area scope holds
    them; the user's organisations; the filters."""
    grids = Area.objects.filter(kind=Area.Kind.GRID, path__startswith=filters.area_path).values_list("id", "path")
    ids, children, in_scope = [], [], []
    for pk, path in grids:
        ids.append(pk)
        children.append(child_path(path, filters.area_path))
        in_scope.append(any(path.startswith(root) for root in scope.paths))
    return {
        "grid_ids": ids,
        "child_paths": children,
        "in_scope": in_scope,
        "scoped_grid_ids": [pk for pk, inside in zip(ids, in_scope, strict=True) if inside],
        "scope_organisations": list(scope.organisation_ids),
        "service_group": filters.service_group,
        "organisation_id": filters.organisation_id,
    }


def scope_sql(filters, scope, *, grid_column: str, service_column: str, organisation_column: str) -> tuple[str, dict]:
    """The joins and conditions every figure of the raw path shares: the drill-down area, the
    filters and the acting user's scope (their area subtrees, or the organisations they act for),
    with the grids' `child_path` for the drill-down.

    The grids are joined as arrays (see scope_params): the rows then meet only a hash join and a
    boolean, and the planner knows how many grids there are (with a guess of one it would loop
    over the rows once per grid)."""
    params = scope_params(filters, scope)
    sql = (
        "JOIN unnest(%(grid_ids)s::bigint[], %(child_paths)s::text[], %(in_scope)s::boolean[]) "
        f"AS g(id, child_path, in_scope) ON g.id = {grid_column}"
    )
    conditions = [f"(g.in_scope OR {organisation_column} = ANY(%(scope_organisations)s::bigint[]))"]
    if filters.service_group:
        sql += f' JOIN services_service s ON s.id = {service_column} AND s."group" = %(service_group)s'
    if filters.organisation_id is not None:
        conditions.append(f"{organisation_column} = %(organisation_id)s")
    return sql + " WHERE " + " AND ".join(conditions), params


def scope_condition(filters, *, grid_column: str, service_column: str, organisation_column: str) -> str:
    """The rows scope_sql keeps, as a condition on their own columns (parameters: scope_params),
    for a query that filters rows where they are read and needs no grid's `child_path` there.
    Grid ids are tested against constant arrays, which PostgreSQL hashes."""
    conditions = [
        f"({grid_column} = ANY(%(scoped_grid_ids)s::bigint[]) OR ({grid_column} = ANY(%(grid_ids)s::bigint[]) "
        f"AND {organisation_column} = ANY(%(scope_organisations)s::bigint[])))"
    ]
    if filters.service_group:
        conditions.append(f'{service_column} IN (SELECT id FROM services_service WHERE "group" = %(service_group)s)')  # noqa: S608
    if filters.organisation_id is not None:
        conditions.append(f"{organisation_column} = %(organisation_id)s")
    return " AND ".join(conditions)
