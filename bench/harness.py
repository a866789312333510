"""What the benchmarks share: their own database, Django on the benchmark settings, progress lines,
the nearest-rank percentile, staff accounts, timing a page in-process and printing its query plans.

Import it after putting the project folder first on sys.path (each bench script does, see
bench/dashboards.py for why the script's own folder must not come first).
"""

from __future__ import annotations

import math
import os
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _on_server(url: str, work) -> None:
    """Run `work(cursor, database name)` on the benchmark database's server, outside any database
    of its own (autocommit, as CREATE and DROP DATABASE need)."""
    import psycopg2

    parts = urlsplit(url)
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
            work(cursor, unquote(parts.path.lstrip("/")))
    finally:
        server.close()


def ensure_database(url: str) -> None:
    """Create the benchmark's database on its server if it is not there yet."""
    from psycopg2 import sql

    def create(cursor, name):
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            log(f"Creating database {name}")
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    _on_server(url, create)


def drop_database(url: str) -> None:
    """Drop the benchmark's database (a bench's --reseed), closing its connections."""
    from psycopg2 import sql

    def drop(cursor, name):
        log(f"Dropping database {name}")
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    _on_server(url, drop)


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


def percentile(values: list[float], share: float) -> float:
    """The nearest rank: of 30 values the 95th percentile is the second largest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def staff(username: str, role: str, area, organisation=None):
    """A staff account holding `role` over `area`, with a TOTP authenticator (staff must have one to
    open any page); made once, found on later runs."""
    from security.mfa import mfa_totp_enrol
    from security.models import User
    from security.services import role_grant, user_create

    user = User.objects.filter(username=username).first()
    if user is None:
        user = user_create(username=username, password=None)
        role_grant(user=user, role=role, area=area, organisation=organisation)
        mfa_totp_enrol(user=user, secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")  # noqa: S106 - a bench account
    return user


def time_page(client, path: str, *, warmup: int, runs: int) -> dict:
    """Render `path` with a signed-in test client: `warmup` renders, one with its queries captured,
    then `runs` timed ones (server time: middleware, view, queries, template). Exits on a status
    other than 200, since a refusal would time the wrong page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get():
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
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
    return {"path": path, "queries": queries, "timings": timings}


def print_plans(title: str, queries: list[dict], table: str) -> None:
    """A page's queries, each with its time, and the EXPLAIN ANALYZE plan of each read of `table`."""
    from django.db import connection

    print(f"\n=== {title}: {len(queries)} queries ===")
    for number, query in enumerate(queries, start=1):
        sql = query["sql"]
        print(f"\n[{number}] {float(query['time']) * 1000:.0f} ms  {sql}")
        if not sql.lstrip().upper().startswith("SELECT") or table not in sql:
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            for (line,) in cursor.fetchall():
                print("    " + line)
