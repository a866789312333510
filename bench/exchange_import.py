"""Benchmark: importing a 100,000-row household-registration update.

The requirement: importing 100,000 rows takes under 60 seconds on the 2-core machine. This script
builds the exchange benchmark's small district (100 grids) and a department that provides the
resident roster in a PostgreSQL database of its own, generates a CSV file of `--rows` valid rows
(two residents a household, valid ID numbers, phones, flags) plus `--bad` rows with a problem (a
wrong check digit, an unknown grid, a bad phone, a duplicate ID number), and times the import as the
portal runs it:
`dataset_import_create` (decode, check the header, compress and encrypt the file, store it) and
`dataset_import_run` (every batch: check each row, upsert households and residents, encrypt ID numbers
and phones, record rejected rows) — into an emptied register, then (after VACUUM ANALYZE, as
autovacuum would) once more with the same file, which must change nothing. It prints the wall-clock
and CPU times and rows per second, and exits 0 whether the goal is met or not.

    .venv/bin/python bench/exchange_import.py            # or: make bench-exchange-import
    .venv/bin/python bench/exchange_import.py --rows 20000 --bad 100
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.harness import ensure_database, log, setup_django  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_import"
GOAL_SECONDS = 60.0
HEADER = ["household_code", "address", "grid_code", "full_name", "id_card_number", "phone", "is_elderly", "lives_alone"]
STREETS = ["人民路", "文化路", "滨江大道", "模范街", "北湖路", "涪江路", "延安路", "建设路", "桂花巷", "和平路"]
FAMILY = "王李张刘陈杨黄赵吴周"
GIVEN = ["秀英", "建国", "桂兰", "志强", "丽", "伟", "淑珍", "明", "芳", "小龙"]


def build_tree():
    """The exchange benchmark's district (100 grids) and its civil-affairs department, here the
    provider of the resident roster, with one officer over the whole district."""
    from bench.exchange import build_tree as exchange_tree
    from directory.models import Area
    from exchange.services import dataset_define
    from security.models import Role, User
    from security.services import role_grant

    district, provider, _consumer = exchange_tree()
    dataset = dataset_define(code="resident-roster", provider=provider)
    officer = User.objects.filter(username="bench_import").first()
    if officer is None:
        officer = User.objects.create_user(username="bench_import", password=None)
        role_grant(user=officer, role=Role.DEPARTMENT_OFFICER, area=district, organisation=provider)
    grids = list(Area.objects.filter(path__startswith=district.path, kind=Area.Kind.GRID).order_by("code"))
    return provider, dataset, officer, grids


def id_card(n: int) -> str:
    from security.personal_data import id_card_check_character

    # A distinct valid number per row: the birth date carries the thousands, the sequence the rest.
    birth = f"19{30 + (n // 1000) % 60:02d}{1 + (n // 60000) % 12:02d}{1 + n // 720000:02d}"
    body = f"511304{birth}{n % 1000:03d}"
    return body + id_card_check_character(body)


def generate(rows: int, bad: int, grids) -> bytes:
    """`rows` good rows (two residents a household) and `bad` rows with a problem, spread through."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    every = max(rows // max(bad, 1), 1)
    made_bad = 0
    for n in range(rows):
        household = n // 2
        grid = grids[household % len(grids)].code
        writer.writerow(
            [
                f"BI-{household:07d}",
                f"{STREETS[household % len(STREETS)]}{household % 997 + 1}号{household % 30 + 1}栋",
                grid,
                FAMILY[n % len(FAMILY)] + GIVEN[(n // 10) % len(GIVEN)],
                id_card(n),
                f"139{n:08d}" if n % 7 else "",
                "1" if n % 5 == 0 else "0",
                "1" if n % 15 == 0 else "0",
            ]
        )
        if made_bad < bad and n % every == every - 1:
            kind = made_bad % 4
            number = id_card(rows + made_bad)
            row = [f"BX-{made_bad:07d}", "错误路1号", grid, "坏数据", number, "13900000000", "0", "0"]
            if kind == 0:
                row[4] = number[:17] + ("0" if number[17] != "0" else "1")  # wrong check digit
            elif kind == 1:
                row[2] = "NO-SUCH-GRID"
            elif kind == 2:
                row[5] = "12345"
            else:
                row[4] = id_card(n)  # the row just above has this ID number
            writer.writerow(row)
            made_bad += 1
    return out.getvalue().encode()


def clear_imported() -> None:
    """Empty the residents tables (this database is the benchmark's own), so each run imports into
    a fresh register, as a department's first push would."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE residents_residentprofile, residents_household CASCADE")


def vacuum_analyze() -> None:
    """What autovacuum does after a bulk load, before the second run reads the new rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE residents_residentprofile")
        cursor.execute("VACUUM ANALYZE residents_household")


def timed_import(content: bytes, provider, dataset, officer):
    from exchange.imports import services
    from exchange.models import ImportChannel

    # The benchmark runs the import itself, in this process, instead of queueing it for a worker.
    services._enqueue = lambda import_id: None
    started, cpu_started = time.perf_counter(), time.process_time()
    dataset_import = services.dataset_import_create(
        actor=officer,
        organisation=provider,
        dataset=dataset,
        file_name="household-registration.csv",
        content=content,
        channel=ImportChannel.API,
    )
    accepted = time.perf_counter() - started
    services.dataset_import_run(import_id=dataset_import.pk, seconds=3600)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    dataset_import.refresh_from_db()
    return dataset_import, accepted, elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_IMPORT_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--rows", type=int, default=100_000, help="valid rows in the file")
    parser.add_argument("--bad", type=int, default=400, help="rows with a problem, spread through the file")
    args = parser.parse_args()

    ensure_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    provider, dataset, officer, grids = build_tree()
    started = time.perf_counter()
    content = generate(args.rows, args.bad, grids)
    seconds = time.perf_counter() - started
    log(f"Generated {args.rows:,} + {args.bad:,} rows, {len(content) / 1e6:.1f} MB in {seconds:.1f} s")
    clear_imported()

    first, accepted, fresh, fresh_cpu = timed_import(content, provider, dataset, officer)
    vacuum_analyze()
    second, _accepted, again, again_cpu = timed_import(content, provider, dataset, officer)

    total = args.rows + args.bad
    verdict = "PASS" if fresh < GOAL_SECONDS else "FAIL"
    print(f"import: file                        {total:,} rows ({args.rows:,} valid), {len(content) / 1e6:.1f} MB")
    print(
        f"import: fresh (all new)             {fresh:.2f} s  {total / fresh:,.0f} rows/s (goal < {GOAL_SECONDS:.0f} s) "
        f"{verdict}; accepting the file {accepted:.2f} s; this process's CPU {fresh_cpu:.2f} s"
    )
    print(
        f"import:   {first.status}: {first.created_count:,} created, {first.updated_count:,} updated, "
        f"{first.unchanged_count:,} unchanged, {first.rejected_count:,} rejected, {first.batch_count} batches"
    )
    print(
        f"import: same file again             {again:.2f} s  {total / again:,.0f} rows/s; "
        f"this process's CPU {again_cpu:.2f} s"
    )
    print(
        f"import:   {second.status}: {second.created_count:,} created, {second.updated_count:,} updated, "
        f"{second.unchanged_count:,} unchanged, {second.rejected_count:,} rejected"
    )
    print(f"import: load average during the run {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
