"""Benchmark: the staff workbench queue and a resident's "my requests" with many requests on file.

The requirement: with 100,000 requests in the database, the workbench queue and "my requests" each
render in under 150 ms of server time, and their query counts do not grow with the number of rows.

The benchmark builds the Shunqing demo in a PostgreSQL database of its own, tops it up to
`--requests` service requests (bulk inserted; a second run adds only the shortfall), then renders
each page in-process with Django's test client, so the time measured is the server's: middleware,
view, queries and template. It does the same on a small database (`--small-requests`) and prints the
query counts of both side by side. It reports and exits 0 whether the goal is met or not.

    .venv/bin/python bench/requests_pages.py              # or: make bench
    .venv/bin/python bench/requests_pages.py --explain    # and the query plans of each page
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench"
GOAL_MS = 150.0
BATCH_SIZE = 5_000
BENCH_RESIDENTS = 200
DEMO_RESIDENT_SHARE = 0.02
# Most requests are long closed; about one in ten is still open (the workbench's default view).
STATUS_WEIGHTS = {
    "closed": 78,
    "resolved": 6,
    "rejected": 6,
    "submitted": 3,
    "accepted": 2,
    "assigned": 2,
    "in_progress": 3,
}
DESCRIPTIONS = [
    "楼道灯坏了好几天，晚上上下楼看不见。",
    "小区门口路面塌陷，雨天积水严重。",
    "垃圾桶已经满了，周围有异味。",
    "电梯经常停运，老人上下楼很困难。",
    "夜里施工噪音太大，影响休息。",
    "家里老人独居，希望社区定期上门看看。",
    "消防通道被车辆长期占用。",
    "今天一早停水，没有看到通知。",
]
STREETS = ["人民路", "文化路", "滨江大道", "模范街", "北湖路", "涪江路", "延安路", "建设路", "桂花巷", "和平路"]


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    username: str
    path: str
    # The number of requests the page lists (over all its pages), for the table.
    listed: Callable


def _queue(status: str) -> Callable:
    def count(user) -> int:
        from services.selectors import request_queue

        return request_queue(user=user, status=status).count()

    return count


def _mine(user) -> int:
    from services.selectors import requests_of_requester

    return requests_of_requester(user=user).count()


WORKBENCH = "/requests/workbench/"
PAGES = [
    Page("workbench:grid", "workbench", "demo_grid", WORKBENCH, _queue("")),
    Page("workbench:community", "workbench", "demo_community", WORKBENCH, _queue("")),
    Page("workbench:subdistrict", "workbench", "demo_subdistrict", WORKBENCH, _queue("")),
    Page("workbench:department", "workbench", "demo_department", WORKBENCH, _queue("")),
    Page("workbench:leader", "workbench", "demo_leader", WORKBENCH, _queue("")),
    Page("workbench-all:grid", "workbench ?status=all", "demo_grid", WORKBENCH + "?status=all", _queue("all")),
    Page(
        "workbench-all:community", "workbench ?status=all", "demo_community", WORKBENCH + "?status=all", _queue("all")
    ),
    Page("workbench-all:leader", "workbench ?status=all", "demo_leader", WORKBENCH + "?status=all", _queue("all")),
    Page("mine:resident", "my requests", "demo_resident", "/requests/mine/", _mine),
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the database ------------------------------------------------------------------------------
def ensure_database(url: str) -> None:
    """Create the benchmark's database on its server if it is not there yet."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    server = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password) if parts.password else None,
        dbname="postgres",
    )
    server.autocommit = True
    try:
        with server.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                log(f"Creating database {name}")
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        server.close()


def setup_django(url: str) -> None:
    # Pinned rather than defaulted: a DATABASE_URL in the caller's environment must never point the
    # benchmark's bulk inserts at someone's development database.
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(BASE_DIR))
    # whitenoise looks for collected static files, which only `make serve` collects.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django

    django.setup()


# --- the data ------------------------------------------------------------------------------------
@contextmanager
def given_timestamps(*models) -> Iterator[None]:
    """Let bulk_create store the created/updated times we give instead of now(): two years of history
    written in a minute. Only for this process's own inserts."""
    from django.db.models import DateTimeField

    fields = [
        (field, field.auto_now, field.auto_now_add)
        for model in models
        for field in model._meta.concrete_fields
        if isinstance(field, DateTimeField) and (field.auto_now or field.auto_now_add)
    ]
    for field, _, _ in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in fields:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def bench_residents():
    """Residents who file the requests that are not the demo resident's (made once)."""
    from django.contrib.auth.hashers import make_password

    from security.models import User

    names = [f"bench_resident_{index:03d}" for index in range(BENCH_RESIDENTS)]
    have = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create(
        [
            User(
                username=name,
                first_name=f"居民{name[-3:]}",
                email=f"{name}@bench.invalid",
                password=make_password(None),
            )
            for name in names
            if name not in have
        ]
    )
    return list(User.objects.filter(username__in=names).order_by("username"))


class RequestMaker:
    """Builds unsaved ServiceRequest rows spread over every grid, service and status."""

    def __init__(self, rng: random.Random) -> None:
        from directory.models import Area
        from security.models import User
        from services.models import Service
        from services.services import routing_resolve

        self.rng = rng
        self.grids = list(Area.objects.filter(kind=Area.Kind.GRID).order_by("path"))
        self.services = list(Service.objects.filter(is_active=True).order_by("code"))
        self.routes = {
            (service.pk, grid.pk): routing_resolve(service=service, grid=grid)
            for service in self.services
            for grid in self.grids
        }
        self.demo_resident = User.objects.select_related("resident_profile__household").get(username="demo_resident")
        self.demo_grid_pk = self.demo_resident.resident_profile.household.grid_id
        self.grid_worker = User.objects.get(username="demo_grid")
        self.residents = bench_residents()
        self.statuses = list(STATUS_WEIGHTS)
        self.weights = list(STATUS_WEIGHTS.values())

    def make(self, now):
        from services.models import OPEN_STATUSES, Channel, RequestStatus, ServiceRequest

        rng = self.rng
        status = rng.choices(self.statuses, self.weights)[0]
        service = rng.choice(self.services)
        if rng.random() < DEMO_RESIDENT_SHARE:
            requester, grid_pk = self.demo_resident, self.demo_grid_pk
        else:
            requester, grid_pk = rng.choice(self.residents), rng.choice(self.grids).pk
        # Open and just-resolved requests are recent; the rest spread over two years.
        recent = status in OPEN_STATUSES or status == RequestStatus.RESOLVED
        age_minutes = rng.randint(10, 45 * 24 * 60) if recent else rng.randint(3 * 24 * 60, 730 * 24 * 60)
        created = now - timedelta(minutes=age_minutes)
        accept_due = created + timedelta(hours=service.accept_within_hours)
        resolve_due = created + timedelta(days=service.resolve_within_days)
        accepted = resolved = closed = None
        if status not in (RequestStatus.SUBMITTED, RequestStatus.REJECTED):
            accepted = min(now, created + timedelta(minutes=rng.randint(5, service.accept_within_hours * 60)))
        if status in (RequestStatus.RESOLVED, RequestStatus.CLOSED):
            resolved = min(now, accepted + timedelta(minutes=rng.randint(30, service.resolve_within_days * 1800)))
        if status == RequestStatus.CLOSED:
            closed = min(now, resolved + timedelta(days=rng.randint(0, 7)))
        elif status == RequestStatus.REJECTED:
            closed = created + timedelta(hours=rng.randint(1, 24))
        due = accept_due if status == RequestStatus.SUBMITTED else resolve_due
        handled_by_worker = grid_pk == self.demo_grid_pk and status not in (
            RequestStatus.SUBMITTED,
            RequestStatus.ACCEPTED,
            RequestStatus.REJECTED,
        )
        return ServiceRequest(
            service=service,
            description=rng.choice(DESCRIPTIONS),
            grid_id=grid_pk,
            address=f"{rng.choice(STREETS)}{rng.randint(1, 300)}号",
            requester=requester,
            filed_by=requester,
            channel=rng.choices([Channel.WEB, Channel.PHONE, Channel.WALK_IN], [80, 15, 5])[0],
            status=status,
            handling_organisation=self.routes[service.pk, grid_pk],
            assignee=self.grid_worker if handled_by_worker else None,
            accept_due_at=accept_due,
            resolve_due_at=resolve_due,
            accepted_at=accepted,
            resolved_at=resolved,
            closed_at=closed,
            is_overdue=status in OPEN_STATUSES and due < now,
            rating=rng.randint(3, 5) if status == RequestStatus.CLOSED and rng.random() < 0.6 else None,
            created_at=created,
            updated_at=closed or resolved or accepted or created,
        )


def top_up(*, total: int, seed: int) -> int:
    """Add requests (each with its "submitted" timeline event) until there are `total`."""
    from django.db import transaction
    from django.utils import timezone

    from services.models import RequestEvent, RequestStatus, ServiceRequest

    existing = ServiceRequest.objects.count()
    shortfall = total - existing
    if shortfall <= 0:
        log(f"{existing:,} requests on file; nothing to add")
        return existing
    log(f"{existing:,} requests on file; adding {shortfall:,} in batches of {BATCH_SIZE:,}")
    maker = RequestMaker(random.Random(seed + existing))  # noqa: S311 - test data, not secrets
    now = timezone.now()
    started = time.perf_counter()
    with given_timestamps(ServiceRequest, RequestEvent):
        for done in range(0, shortfall, BATCH_SIZE):
            rows = [maker.make(now) for _ in range(min(BATCH_SIZE, shortfall - done))]
            with transaction.atomic():
                ServiceRequest.objects.bulk_create(rows)
                RequestEvent.objects.bulk_create(
                    RequestEvent(
                        request=row,
                        kind=RequestEvent.Kind.SUBMITTED,
                        actor_id=row.filed_by_id,
                        to_status=RequestStatus.SUBMITTED,
                        created_at=row.created_at,
                    )
                    for row in rows
                )
            log(f"  {existing + done + len(rows):,} / {total:,}")
    log(f"Added {shortfall:,} requests in {time.perf_counter() - started:.0f} s")
    return ServiceRequest.objects.count()


def build(*, total: int, seed: int) -> int:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import translation

    from portal.demo import build_demo

    log("Migrating")
    call_command("migrate", interactive=False, verbosity=0)
    log("Building the Shunqing demo (idempotent)")
    with translation.override(settings.LANGUAGE_CODE):
        build_demo()
    count = top_up(total=total, seed=seed)
    # What autovacuum would do after a bulk load, done now so every run measures the same state.
    log("VACUUM ANALYZE")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    return count


# --- the measurement -----------------------------------------------------------------------------
def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def measure(page: Page, *, warmup: int, runs: int, explain: bool) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from security.models import User

    user = User.objects.get(username=page.username)
    client = Client()
    client.force_login(user)

    def get():
        response = client.get(page.path)
        if response.status_code != 200:
            raise SystemExit(f"{page.path} as {page.username} answered {response.status_code}")
        return response

    for _ in range(warmup):
        get()
    with CaptureQueriesContext(connection) as captured:
        get()
    # Copied now: the next request's start clears the connection's log that `captured` reads.
    queries = list(captured.captured_queries)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        get()
        timings.append((time.perf_counter() - started) * 1000)
    if explain:
        print_plans(page, queries)
    return {
        "key": page.key,
        "label": page.label,
        "username": page.username,
        "path": page.path,
        "listed": page.listed(user),
        "queries": len(queries),
        "p50": statistics.median(timings),
        "p95": _percentile(timings, 0.95),
        "max": max(timings),
    }


def print_plans(page: Page, queries: list[dict]) -> None:
    from django.db import connection

    print(f"\n=== {page.label} as {page.username}: {len(queries)} queries ===")
    for number, query in enumerate(queries, start=1):
        sql = query["sql"]
        print(f"\n[{number}] {float(query['time']) * 1000:.0f} ms  {sql}")
        if not sql.lstrip().upper().startswith("SELECT") or "services_servicerequest" not in sql:
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            for (line,) in cursor.fetchall():
                print("    " + line)


def small_counts(args: argparse.Namespace) -> dict | None:
    """Query counts of the same pages on the small database, measured by a second process."""
    if args.small_requests <= 0:
        return None
    command = [
        sys.executable,
        __file__,
        "--database-url",
        args.small_database_url,
        "--requests",
        str(args.small_requests),
        "--small-requests",
        "0",
        "--warmup",
        "1",
        "--runs",
        "3",
        "--json",
    ]
    for prefix in args.page or []:
        command += ["--page", prefix]
    log(f"Small database ({args.small_requests:,} requests) for the query-count comparison")
    finished = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)  # noqa: S603
    return json.loads(finished.stdout)


def print_table(*, count: int, results: list[dict], small: dict | None) -> None:
    from django.db import connection

    small_pages = {row["key"]: row for row in (small or {}).get("pages", [])}
    small_count = f"{small['requests']:,}" if small else "-"
    print()
    print(
        f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; server time per render, in-process"
    )
    print(f"Requests in the database: {count:,} (comparison database: {small_count})")
    print(
        f"Goal: p95 server time under {GOAL_MS:.0f} ms, and no more queries than with {small_count} requests"
        if small
        else f"Goal: p95 server time under {GOAL_MS:.0f} ms (no comparison database: query growth not checked)"
    )
    header = (
        f"{'page':<22} {'user':<17} {'listed':>8} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} "
        f"{'queries':>7} {'small':>7} {'listed':>8}  result"
    )
    print(header)
    print("-" * len(header))
    for row in results:
        other = small_pages.get(row["key"])
        fast = row["p95"] < GOAL_MS
        flat = other is None or row["queries"] <= other["queries"]
        if fast and flat:
            verdict = "PASS"
        else:
            reasons = ([] if fast else ["slow"]) + ([] if flat else ["queries grow"])
            verdict = "FAIL (" + ", ".join(reasons) + ")"
        small_queries = str(other["queries"]) if other else "-"
        small_listed = f"{other['listed']:,}" if other else "-"
        print(
            f"{row['label']:<22} {row['username']:<17} {row['listed']:>8,} {row['p50']:>7.1f} {row['p95']:>7.1f} "
            f"{row['max']:>7.1f} {row['queries']:>7} {small_queries:>7} {small_listed:>8}  {verdict}"
        )
    print("(listed: requests the page lists over all its pages; small / listed: the same page on the small database)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000, help="requests in the database (default 100000)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="PostgreSQL database of the benchmark (BENCH_DATABASE_URL; created if missing)",
    )
    parser.add_argument(
        "--small-requests", type=int, default=1_000, help="requests in the comparison database (0: none)"
    )
    parser.add_argument(
        "--small-database-url", help="comparison database (default: <database>_small on the same server)"
    )
    parser.add_argument("--warmup", type=int, default=3, help="renders before measuring (default 3)")
    parser.add_argument("--runs", type=int, default=30, help="measured renders per page (default 30)")
    parser.add_argument("--seed", type=int, default=511302, help="random seed of the generated requests")
    parser.add_argument("--explain", action="store_true", help="print each page's queries and EXPLAIN ANALYZE plans")
    parser.add_argument(
        "--page",
        action="append",
        help="measure only the pages whose key starts with this (repeatable): " + ", ".join(page.key for page in PAGES),
    )
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # for the comparison run
    args = parser.parse_args()
    if args.small_database_url is None:
        parts = urlsplit(args.database_url)
        args.small_database_url = urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_small"))

    small = small_counts(args)
    ensure_database(args.database_url)
    setup_django(args.database_url)
    count = build(total=args.requests, seed=args.seed)
    log(f"Measuring: {args.warmup} warm-up renders, then {args.runs} measured, per page")
    pages = [page for page in PAGES if not args.page or page.key.startswith(tuple(args.page))]
    results = [measure(page, warmup=args.warmup, runs=args.runs, explain=args.explain) for page in pages]
    if args.json:
        print(json.dumps({"requests": count, "pages": results}))
    else:
        print_table(count=count, results=results, small=small)


if __name__ == "__main__":
    main()
