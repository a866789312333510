"""A table whose rows are linked each to the one before it by hash, so that changing, inserting or
removing a row in the middle breaks the chain where it happened (the audit log, the exchange's
message log).

Each chain says how a row is written down for hashing (`canonical`); this module links, locks and
verifies. With a `key` the link is an HMAC-SHA256, which someone who can write to the table but
does not hold the key cannot recompute; without one it is a plain SHA-256.
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
    """How many rows fit, and the first that does not (None when the chain is intact) and why."""

    checked: int
    broken: models.Model | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken is None

    @property
    def broken_id(self) -> int | None:
        return None if self.broken is None else self.broken.pk


@dataclass(frozen=True)
class HashChain:
    model: type[models.Model]
    # Names the PostgreSQL advisory lock that serialises appends; one constant per chain.
    lock_id: int
    canonical: Callable[[models.Model], bytes]
    key: Callable[[], bytes | None] = lambda: None

    def hash_of(self, row: models.Model) -> str:
        key = self.key()
        data = self.canonical(row)
        if key:
            return hmac.new(key, data, hashlib.sha256).hexdigest()
        return hashlib.sha256(data).hexdigest()

    def lock(self) -> None:
        """Two writers must not both link to the same previous row: the lock is held until the
        appending transaction ends, so call it inside that transaction, after any row locks."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [self.lock_id])

    def head(self) -> str:
        """The hash the next row links to."""
        last = self.model.objects.order_by("-pk").values_list("hash", flat=True).first()
        return last or GENESIS_HASH

    def link(self, rows: Iterable[models.Model]) -> None:
        """Set `prev_hash` and `hash` of unsaved rows, in order, after the chain's head. Call
        `lock` first, in the transaction that saves them."""
        previous = self.head()
        for row in rows:
            row.prev_hash = previous
            row.hash = previous = self.hash_of(row)

    def verify(
        self, rows: Iterable[models.Model], *, also: Callable[[models.Model], str] = lambda row: ""
    ) -> ChainReport:
        """Walk `rows` (the whole table, in order) and report the first that does not fit: a broken
        link, content that does not match its hash, or what `also` says is wrong with it."""
        expected_prev = GENESIS_HASH
        checked = 0
        for row in rows:
            if row.prev_hash != expected_prev:
                return ChainReport(
                    checked, row, "its link to the previous row is broken (a row before it was changed or removed)"
                )
            if self.hash_of(row) != row.hash:
                return ChainReport(checked, row, "its content does not match its hash (the row was changed)")
            if reason := also(row):
                return ChainReport(checked, row, reason)
            expected_prev = row.hash
            checked += 1
        return ChainReport(checked)
