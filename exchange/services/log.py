"""The message log's chain: appending in order, and checking every signature and link."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from exchange.models import MessageLogEntry
from exchange.payloads import file_sha256, payload_path
from exchange.signing import entry_hash, manifest_of, signature_valid

# Like security.audit's: a constant naming the lock that serialises appends to this chain.
_CHAIN_LOCK_KEY = 7_311_306


def lock_chain() -> None:
    # Two jobs logging at once must not both link to the same previous entry; the lock is released
    # when the appending transaction ends. SQLite serialises writers already.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def previous_hash() -> str:
    last = MessageLogEntry.objects.order_by("-id").values_list("hash", flat=True).first()
    return last or MessageLogEntry.GENESIS_HASH


@dataclass(frozen=True)
class LogReport:
    checked: int
    broken_entry_id: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_entry_id is None


def message_log_verify(*, payloads: bool = False, batch_size: int = 500) -> LogReport:
    """Walk the log in order; report the first entry whose link, hash or signature is wrong (and,
    with `payloads`, whose stored file no longer has the signed hash)."""
    expected_prev = MessageLogEntry.GENESIS_HASH
    checked = 0
    entries = MessageLogEntry.objects.select_related(
        "job", "agreement__dataset", "agreement__provider", "agreement__consumer", "signing_key"
    ).order_by("id")
    for entry in entries.iterator(chunk_size=batch_size):
        if entry.prev_hash != expected_prev:
            return LogReport(
                checked, entry.pk, "its link to the previous entry is broken (an entry was changed or removed)"
            )
        if entry_hash(entry) != entry.hash:
            return LogReport(checked, entry.pk, "its content does not match its hash (the entry was changed)")
        if entry.signing_key.organisation_id != entry.agreement.provider_id:
            return LogReport(checked, entry.pk, "it is signed with a key of another organisation than the provider")
        if not signature_valid(entry.signing_key, manifest_of(entry), entry.signature):
            return LogReport(checked, entry.pk, "its signature does not verify with the provider's public key")
        if payloads and file_sha256(payload_path(entry.payload_name)) != entry.payload_sha256:
            return LogReport(checked, entry.pk, "its payload file is missing or differs from the signed hash")
        expected_prev = entry.hash
        checked += 1
    return LogReport(checked)
