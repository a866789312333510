"""Benchmark: the staff workbench queue and a resident's "my requests" with many requests on file.

The requirement: with 100,000 requests in the database, the workbench queue and "my requests" each
render in under 150 ms of server time, and their query counts do not grow with the number of rows.

The benchmark builds the Shunqing demo in a PostgreSQL database of its own, tops it up to
`--requests` service requests (with demo.history, as `seed_demo --requests` does; a second
run adds only the shortfall), then renders each page in-process with Django's test client, so the
time measured is the server's: middleware, view, queries and template. It does the same on a small
database (`--small-requests`) and prints the query counts of both side by side. It reports and exits
0 whether the goal is met or not.

    .venv/bin/python bench/requests_pages.py              # or: make bench
    .venv/bin/python bench/requests_pages.py --explain    # and the query plans of each page
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
from bench.harness import ensure_database, log, percentile, print_plans, setup_django, time_page  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench"
GOAL_MS = 150.0


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


# --- the data ------------------------------------------------------------------------------------
def top_up(*, total: int, seed: int) -> int:
    """Add requests, each with its timeline, until there are `total`: through the one bulk generator
    (demo.history, as `seed_demo --requests`), two years of them in every grid and state."""
    from demo.history import ProgressBar, requests_seed
    from services.models import ServiceRequest

    existing = ServiceRequest.objects.count()
    shortfall = total - existing
    if shortfall <= 0:
        log(f"{existing:,} requests on file; nothing to add")
        return existing
    log(f"{existing:,} requests on file; adding {shortfall:,}")
    # No dashboards are measured here, so their summary tables are not rebuilt.
    report = requests_seed(count=shortfall, seed=seed, progress=ProgressBar(sys.stderr), summaries=False)
    log(f"Added {report.added:,} requests and {report.events:,} timeline events in {report.seconds:.0f} s")
    return ServiceRequest.objects.count()


def build(*, total: int, seed: int) -> int:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import translation

    from demo.district import build_demo

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
def measure(page: Page, *, warmup: int, runs: int, explain: bool) -> dict:
    from django.test import Client

    from security.models import User

    user = User.objects.get(username=page.username)
    client = Client()
    client.force_login(user)
    timed = time_page(client, page.path, warmup=warmup, runs=runs)
    queries, timings = timed["queries"], timed["timings"]
    if explain:
        print_plans(f"{page.label} as {page.username}", queries, "services_servicerequest")
    return {
        "key": page.key,
        "label": page.label,
        "username": page.username,
        "path": page.path,
        "listed": page.listed(user),
        "queries": len(queries),
        "p50": statistics.median(timings),
        "p95": percentile(timings, 0.95),
        "max": max(timings),
    }


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
