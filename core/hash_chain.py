"""A table whose rows are linked each to the one before it by hash, so that changing, inserting or
removing a row in the middle breaks the chain where it happened (the audit log, the exchange's
message log).

Each chain says how a row is written down for hashing (`canonical`); this module links, locks and
verifies. With a `key` the link is an HMAC-SHA256, which someone who can write to the table but
does not hold the key cannot recompute; without one it is a plain SHA-256.

A chain that began before it had a key keeps its old rows' plain links: `keyed_after` names the
last plain row (a marker the chain writes through `mark_keyed` on its first keyed append), and
verification checks SHA-256 up to it and the HMAC after it. What the database cannot protect —
a table truncated or its newest rows removed, or rows rewritten by someone who holds the key — is
caught against signed checkpoints kept outside it (core.chain_checkpoints).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection, models

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class ChainReport:
    """How many rows fit, and the first that does not (None when the chain is intact) and why.

    `missing_id` names the row a checkpoint vouches for that is gone (with `broken` None when the
    table was truncated or its newest rows removed: there is no row to point at)."""

    checked: int
    broken: models.Model | None = None
    reason: str = ""
    missing_id: int | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None and not self.reason

    @property
    def broken_id(self) -> int | None:
        return self.missing_id if self.broken is None else self.broken.pk


@dataclass(frozen=True)
class Vouched:
    """What a signed record kept outside the database says about the chain: the row at `position`
    (its primary key) has `hash` and is the `count`th of the chain since its start."""

    position: int
    hash: str
    count: int
    label: str  # names the record in a report (its kind and time)


@dataclass(frozen=True)
class ChainStart:
    """Where the rows in the table begin when older ones were archived: the archive's last row."""

    position: int
    hash: str
    count: int


@dataclass(frozen=True)
class HashChain:
    model: type[models.Model]
    # Names the PostgreSQL advisory lock that serialises appends; one constant per chain.
    lock_id: int
    canonical: Callable[[models.Model], bytes]
    key: Callable[[], bytes | None] = lambda: None
    # Names the chain in checkpoints, archives and alerts.
    name: str = ""
    # How a keyed row is written down, if it says more than a plain one (old rows keep their form).
    keyed_canonical: Callable[[models.Model], bytes] | None = None
    # The primary key of the last plain row (0: every row is keyed); None while the chain has no
    # marker yet, i.e. every row is plain.
    keyed_after: Callable[[], int | None] = lambda: 0
    # Records the marker, under the chain's lock, naming the last plain row (0 when none).
    mark_keyed: Callable[[int], None] | None = None
    # The rows (of any table) whose existence means the marker was written; asked for in the same
    # query as the head.
    keyed_marker: Callable[[], models.QuerySet] | None = None

    def hash_of(self, row: models.Model, *, keyed: bool = True) -> str:
        key = self.key() if keyed else None
        if key:
            data = (self.keyed_canonical or self.canonical)(row)
            return hmac.new(key, data, hashlib.sha256).hexdigest()
        return hashlib.sha256(self.canonical(row)).hexdigest()

    def lock(self) -> None:
        """Two writers must not both link to the same previous row: the lock is held until the
        appending transaction ends, so call it inside that transaction, after any row locks."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [self.lock_id])

    def head(self) -> str:
        """The hash the next row links to."""
        last = self.model.objects.order_by("-pk").values_list("hash", flat=True).first()
        return last or GENESIS_HASH

    def head_position(self) -> tuple[int, str]:
        """The primary key and hash of the newest row ((0, genesis) for an empty table)."""
        last = self.model.objects.order_by("-pk").values_list("pk", "hash").first()
        return last or (0, GENESIS_HASH)

    def _head_and_marked(self) -> tuple[int, str, bool]:
        """The head, and whether the chain's marker exists, in the one query every append makes
        anyway (an audited write must not cost a query more for this)."""
        if self.keyed_marker is None:
            return (*self.head_position(), self.keyed_after() is not None)
        newest = (
            self.model.objects.order_by("-pk")
            .annotate(chain_marked=models.Exists(self.keyed_marker()))
            .values_list("pk", "hash", "chain_marked")
            .first()
        )
        return newest or (0, GENESIS_HASH, self.keyed_marker().exists())

    def link(self, rows: Iterable[models.Model], *, keyed: bool | None = None) -> int:
        """Set `prev_hash` and `hash` of unsaved rows, in order, after the chain's head, and return
        the head's position (to tell whether the append crossed a checkpoint). Call `lock`
        first, in the transaction that saves them. On the first keyed append the chain's marker
        is written first (`mark_keyed`)."""
        if keyed is not None:
            position, previous = self.head_position()
        else:
            position, previous, marked = self._head_and_marked()
            keyed = bool(self.key()) and (marked or self.mark_keyed is not None)
            if keyed and not marked:
                self.mark_keyed(position)
                position, previous = self.head_position()
        for row in rows:
            row.prev_hash = previous
            row.hash = previous = self.hash_of(row, keyed=keyed)
        return position

    def verify(
        self,
        rows: Iterable[models.Model],
        *,
        also: Callable[[models.Model], str] = lambda row: "",
        start: ChainStart | None = None,
        vouched: Iterable[Vouched] = (),
    ) -> ChainReport:
        """Walk `rows` (the whole table, in order) and report the first that does not fit: a broken
        link, content that does not match its hash, or what `also` says is wrong with it; then
        whether every row a signed checkpoint (`vouched`) names is there with the hash it had.

        `start` is the archive's last row when older rows were archived: the first row in the
        table must link to it; rows up to it are skipped."""
        keyed_after = self.keyed_after()
        expected_prev = start.hash if start else GENESIS_HASH
        count = start.count if start else 0
        checked = 0
        pending = sorted((v for v in vouched if start is None or v.position > start.position), key=lambda v: v.position)
        for row in rows:
            if start is not None and row.pk <= start.position:
                # Archived already; the archive's signed manifest vouches for it (an archive whose
                # rows were not yet deleted, e.g. the deletion failed, reads the same).
                continue
            while pending and pending[0].position < row.pk:
                gone = pending.pop(0)
                return ChainReport(
                    checked,
                    row,
                    f"event {gone.position}, which the {gone.label} vouches for, is missing "
                    "(rows were removed from the log)",
                    missing_id=gone.position,
                )
            if row.prev_hash != expected_prev:
                return ChainReport(
                    checked, row, "its link to the previous row is broken (a row before it was changed or removed)"
                )
            keyed = keyed_after is not None and row.pk > keyed_after
            if self.hash_of(row, keyed=keyed) != row.hash:
                return ChainReport(checked, row, "its content does not match its hash (the row was changed)")
            if reason := also(row):
                return ChainReport(checked, row, reason)
            count += 1
            while pending and pending[0].position == row.pk:
                check = pending.pop(0)
                if check.hash != row.hash or check.count != count:
                    return ChainReport(
                        checked,
                        row,
                        f"it differs from what the {check.label} vouches for "
                        "(the log was rewritten and its hashes recomputed)",
                    )
            expected_prev = row.hash
            checked += 1
        if pending:
            last = pending[-1]
            return ChainReport(
                checked,
                reason=(
                    f"the log ends after {count} events, but the {last.label} vouches for {last.count} events up to "
                    f"event {last.position} (the table was truncated or its newest rows removed)"
                ),
                missing_id=last.position,
            )
        return ChainReport(checked)
