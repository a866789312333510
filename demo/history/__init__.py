"""Many realistic demo service requests at once: `manage.py seed_demo --requests N` and the benchmarks.

A million requests through `request_file` and the step services would take hours; this writes the
rows those services would have written — each request and its timeline — with PostgreSQL's COPY,
in batches, from a plan of each request's life (see `lifecycle`). What it shares with the services
it reuses rather than restates: the routing rules (`routing_resolve`), each service's deadlines,
the escalation rule and the public-id alphabet.

It is the one way the project bulk-creates requests: `seed_demo` adds the demo's year of history
with it (`history_seed`, once), `seed_demo --requests N` as many more as asked, and
`bench/requests_pages.py` and `bench/dashboards.py` use it too.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import queue
import random
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from demo.history.lifecycle import EVENT_COLUMNS, REQUEST_COLUMNS, RequestMaker, new_public_id
from demo.history.world import DAYS, World, world_load
from security.audit import audit_record
from security.models import AuditEvent
from services.models import RequestEvent, ServiceRequest

DEFAULT_SEED = 511302
# The demo's history: a year of requests, made once by `seed_demo` (see history_seed).
HISTORY_REQUESTS = 5_000
HISTORY_DAYS = 365
# The audit actions of a seeding run: the history's is also its marker.
REQUESTS_ACTION = "demo.requests_seed"
HISTORY_ACTION = "demo.history_seed"
# Names the PostgreSQL advisory lock that lets one `seed_demo` at a time look for and add the history.
_HISTORY_LOCK_KEY = 5_113_020_014
BATCH_SIZE = 20_000
# From this many requests on, indexes and foreign keys are rebuilt after the load (see _set_aside).
BULK_THRESHOLD = 100_000
# Columns that grow with the rows as they are written (requests in filing order, each one's timeline
# after it): an index leading with one is appended to, as cheap to keep up as to rebuild.
APPENDED = {
    ServiceRequest._meta.db_table: ("created_at",),
    RequestEvent._meta.db_table: ("request_id",),
}

__all__ = [
    "BATCH_SIZE",
    "BULK_THRESHOLD",
    "DEFAULT_SEED",
    "HISTORY_ACTION",
    "HISTORY_DAYS",
    "HISTORY_REQUESTS",
    "ProgressBar",
    "SeedReport",
    "World",
    "history_seed",
    "requests_seed",
]


@dataclass(frozen=True)
class SeedReport:
    added: int
    events: int
    first_id: int | None
    last_id: int | None
    seconds: float  # inserting the rows
    summary_seconds: float  # rebuilding the dashboards' summary tables and ANALYZE
    accounts_created: int


class ProgressBar:
    """`[#####     ] 48% 480,000/1,000,000 12.3 s`, redrawn in place on a terminal, else a line
    every tenth of the way (logs of `make bench-dashboards` stay short)."""

    def __init__(self, stream=None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last_tenth = -1

    def __call__(self, done: int, total: int, seconds: float) -> None:
        share = done / total if total else 1.0
        filled = int(self.width * share)
        line = f"[{'#' * filled}{' ' * (self.width - filled)}] {share:4.0%} {done:,}/{total:,} {seconds:.1f} s"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
        elif int(share * 10) > self._last_tenth or done >= total:
            self._last_tenth = int(share * 10)
            self.stream.write(line + "\n")
        self.stream.flush()


def _reserve_ids(cursor, table: str, count: int) -> range:
    """A block of `count` ids from the table's own sequence, taken in one step: the table is locked
    against writes until the seeding commits, so no one files a request in between and takes an id
    inside the block. (A million nextval calls would take half a minute.)"""
    if not count:
        return range(0)
    cursor.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
    first = cursor.fetchone()[0]
    cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, first + count - 1])
    return range(first, first + count)


def _public_ids(cursor, rng: random.Random, count: int) -> list[str]:
    """Fresh public ids: none used by a request on file, none twice."""
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < count:
        wanted = [new_public_id(rng) for _ in range(count - len(ids))]
        # All in one query (PostgreSQL hashes them and reads the table once), as one text parameter:
        # adapting a million strings one by one would be slower than the query.
        cursor.execute(
            "SELECT wanted FROM unnest(string_to_array(%s, ',')) AS wanted "
            "WHERE EXISTS (SELECT 1 FROM services_servicerequest WHERE public_id = wanted)",
            [",".join(wanted)],
        )
        taken = {row[0] for row in cursor.fetchall()}
        for public_id in wanted:
            if public_id not in taken and public_id not in seen:
                seen.add(public_id)
                ids.append(public_id)
    return ids


@dataclass(frozen=True)
class _SetAside:
    table: str
    name: str
    definition: str
    is_index: bool


def _set_aside(cursor, tables: list[str]) -> list[_SetAside]:
    """Drop the tables' secondary indexes and foreign keys for the load; `_restore` puts them back.

    Keeping them makes PostgreSQL update ~25 indexes and run ~20 foreign-key checks per request,
    row by row: that, not making the rows, is what takes a million requests past three minutes.
    Building an index once over the loaded table and checking a foreign key with one join is
    several times faster. The primary keys and the public-id constraint stay (the public ids are
    checked against it), and so do the indexes that lead with a column in APPENDED. It is all one
    transaction: if anything fails, the drops roll back too.
    """
    # Rows this transaction wrote earlier have foreign-key checks pending, and PostgreSQL alters no
    # table with pending checks: run them now (SET CONSTRAINTS ALL DEFERRED in _restore undoes it).
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    aside: list[_SetAside] = []
    for table in tables:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
            [table],
        )
        aside.extend(_SetAside(table, name, definition, is_index=False) for name, definition in cursor.fetchall())
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
            "AND COALESCE((SELECT attname FROM pg_attribute WHERE attrelid = x.indrelid AND attnum = x.indkey[0]), '')"
            " <> ALL(%s) ORDER BY i.relname",
            [table, list(APPENDED.get(table, ()))],
        )
        aside.extend(_SetAside(table, name, definition, is_index=True) for name, definition in cursor.fetchall())
    for item in aside:
        if item.is_index:
            cursor.execute(f'DROP INDEX "{item.name}"')
        else:
            cursor.execute(f'ALTER TABLE "{item.table}" DROP CONSTRAINT "{item.name}"')
    return aside


def _restore(cursor, aside: list[_SetAside]) -> None:
    if not aside:
        return
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for item in aside:
        if item.is_index:
            cursor.execute(item.definition)
        else:
            # Adding the constraint checks every row against the table it points to, in one query.
            cursor.execute(f'ALTER TABLE "{item.table}" ADD CONSTRAINT "{item.name}" {item.definition}')
    # Django's foreign keys are all DEFERRABLE INITIALLY DEFERRED: back to that for the rest of the transaction.
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class _Writer(threading.Thread):
    """COPYs batches on the seeding transaction's connection while the caller makes the next batch:
    PostgreSQL works in its own process, so the two overlap on a 2-core machine."""

    def __init__(self, raw_connection) -> None:
        super().__init__(name="demo-requests-copy", daemon=True)
        self.raw = raw_connection
        self.batches: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None

    def run(self) -> None:
        with self.raw.cursor() as cursor:
            while (batch := self.batches.get()) is not None:
                if self.error is None:
                    try:
                        for table, columns, lines in batch:
                            _copy(cursor, table, columns, lines)
                    except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                        self.error = exc

    def put(self, batch) -> None:
        if self.error is not None:
            raise self.error
        self.batches.put(batch)

    def finish(self) -> None:
        self.batches.put(None)
        self.join()
        if self.error is not None:
            raise self.error


def _copy(cursor, table: str, columns: tuple[str, ...], text: str) -> None:
    if text:
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", io.StringIO(text), size=1 << 20)


# The maker of this process: set by _maker_use before batches are made, in this process or, through
# the pool's initializer, in each forked worker.
_maker: RequestMaker | None = None


def _maker_use(maker: RequestMaker) -> None:
    global _maker  # noqa: PLW0603 - one per process, see above
    _maker = maker


def _batch_make(task: tuple[str, range, list[str], list[tuple[int, int, int]]]) -> tuple[str, str, int]:
    """COPY text of one batch. Each batch has its own random stream, named by the seed and the
    batch's place, so the requests are the same however many processes make them."""
    stream, ids, public_ids, heads = task
    _maker.rng = random.Random(stream)  # noqa: S311 - demo data, not secrets
    rows, events = [], []
    for request_id, public_id, head in zip(ids, public_ids, heads, strict=True):
        row, lines = _maker.make(request_id, public_id, head)
        rows.append(row)
        events.extend(lines)
    return "\n".join(rows) + "\n", "\n".join(events) + "\n" if events else "", len(events)


def requests_seed(
    *,
    count: int,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int, float], None] | None = None,
    summaries: bool = True,
    bulk: bool | None = None,
    workers: int | None = None,
    days: int = DAYS,
    action: str = REQUESTS_ACTION,
) -> SeedReport:
    """Add `count` requests filed over the last `days` days (two years unless told), each with its
    timeline, to the demo (which must exist: `demo.district.build_demo`). A second call adds
    another `count`.

    The same seed on the same data, at the same `now` (which the requests' times count back from),
    gives the same requests: the random stream is seeded with the seed and the number of requests
    already on file. All of it is one transaction. With `bulk` (by default from BULK_THRESHOLD
    requests on) the tables' indexes and foreign keys are set aside for the load and rebuilt after
    it, which locks the two tables meanwhile. Then the dashboards' summary tables are rebuilt
    (unless `summaries` is false), the tables analysed, and one audit event (`action`) records the
    run. The rows are made by `workers` processes (by default two for big runs) while a thread COPYs
    them.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"The number of requests must be a whole number, zero or more, not {count!r}.")
    if batch_size < 1:
        raise ValueError("The batch size must be at least 1.")
    bulk = count >= BULK_THRESHOLD if bulk is None else bulk
    now = now or timezone.now()
    started = time.perf_counter()
    world = world_load(seed=seed, now=now, days=days)
    request_table, event_table = ServiceRequest._meta.db_table, RequestEvent._meta.db_table
    events = 0
    ids: range = range(0)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            existing = ServiceRequest.objects.count()
            rng = random.Random(f"requests:{seed}:{existing}")  # noqa: S311 - demo data, not secrets
            ids = _reserve_ids(cursor, request_table, count)
            public_ids = _public_ids(cursor, rng, count)
            aside = _set_aside(cursor, [request_table, event_table]) if bulk and count else []
        maker = RequestMaker(world, rng=rng, now=int(now.timestamp()))
        heads = maker.heads(count)
        _maker_use(maker)
        tasks = (
            (
                f"requests:{seed}:{existing}:{start}",
                ids[start : start + batch_size],
                public_ids[start : start + batch_size],
                heads[start : start + batch_size],
            )
            for start in range(0, count, batch_size)
        )
        if workers is None:
            workers = min(2, os.cpu_count() or 1) if count >= 2 * batch_size else 1
        done = 0

        def write(batch: tuple[str, str, int]) -> None:
            nonlocal done, events
            rows, timeline, event_count = batch
            writer.put([(request_table, REQUEST_COLUMNS, rows), (event_table, EVENT_COLUMNS, timeline)])
            done, events = min(count, done + batch_size), events + event_count
            if progress:
                progress(done, count, time.perf_counter() - started)

        if progress:
            progress(0, count, time.perf_counter() - started)
        # The worker processes are forked before the writer thread starts and never touch the
        # database; they leave through os._exit, so they do not close the connection they inherit.
        pool = multiprocessing.get_context("fork").Pool(workers, _maker_use, (_maker,)) if workers > 1 else None
        writer = _Writer(connection.connection)
        writer.start()
        try:
            if pool is None:
                for task in tasks:
                    write(_batch_make(task))
            else:
                # A few batches in flight at most, so a slow database does not pile them up in memory.
                pending: deque = deque()
                for task in tasks:
                    pending.append(pool.apply_async(_batch_make, (task,)))
                    if len(pending) > workers + 1:
                        write(pending.popleft().get())
                while pending:
                    write(pending.popleft().get())
        finally:
            if pool is not None:
                pool.terminate()
            writer.finish()
        with connection.cursor() as cursor:
            _restore(cursor, aside)
        inserted = time.perf_counter() - started
        if count:
            _after_insert(summaries=summaries, now=now)
        audit_record(
            actor=None,
            action=action,
            details={
                "requests": count,
                "events": events,
                "seed": seed,
                "days": days,
                "first_id": ids[0] if ids else None,
                "last_id": ids[-1] if ids else None,
                "accounts_created": world.accounts_created,
                "seconds": round(time.perf_counter() - started, 1),
            },
        )
    return SeedReport(
        added=count,
        events=events,
        first_id=ids[0] if ids else None,
        last_id=ids[-1] if ids else None,
        seconds=inserted,
        summary_seconds=time.perf_counter() - started - inserted,
        accounts_created=world.accounts_created,
    )


def history_seed(
    *,
    count: int = HISTORY_REQUESTS,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> SeedReport | None:
    """The demo's year of history: `count` requests filed over the last HISTORY_DAYS days, added
    once. None when the demo has its history already (whatever its size), or `count` is 0.

    The history is recognised by the audit event its run leaves (HISTORY_ACTION). That event is
    written in the same transaction as the requests, so there are both or neither, and the audit
    log is append-only and hash-chained, so it is neither lost nor edited while the requests stay.
    Counting requests would not tell: residents file more through the portal and `--requests`
    adds more, so no count says whether the history is among them.
    """
    if count == 0:
        return None
    with transaction.atomic():
        # Two `seed_demo` at once: the second waits here, then finds the first one's marker.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_HISTORY_LOCK_KEY])
        if AuditEvent.objects.filter(action=HISTORY_ACTION).exists():
            return None
        return requests_seed(
            count=count, seed=seed, now=now, progress=progress, days=HISTORY_DAYS, action=HISTORY_ACTION
        )


def _after_insert(*, summaries: bool, now: datetime) -> None:
    if summaries:
        # demo sits above every app, so it may call into dashboards (no app below may).
        from dashboards.services import summaries_rebuild

        summaries_rebuild(now=now)
    with connection.cursor() as cursor:
        # Fresh statistics, so the planner knows the tables grew by a million rows.
        cursor.execute(f"ANALYZE {ServiceRequest._meta.db_table}, {RequestEvent._meta.db_table}")
