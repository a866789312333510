"""Writing and verifying the hash-chained audit log."""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
from dataclasses import dataclass
from datetime import UTC

from django.db import connection, transaction
from django.db.models import Model

from portal.bulk_insert import insert_instances
from security.models import AuditEvent, User
from security.request_context import client_address

# Any constant will do; it names the lock that serialises appends to the chain.
_CHAIN_LOCK_KEY = 7_311_302


def _canonical(event: AuditEvent) -> bytes:
    payload = {
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "ip_address": event.ip_address,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def audit_event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def _lock_chain() -> None:
    # Two writers must not both link to the same previous event. On PostgreSQL a transaction-level
    # advisory lock serialises appends (released at commit); SQLite already serialises writers.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def _last_hash() -> str | None:
    # Plain SQL: this runs on every audited write, and the ORM's query building costs more here
    # than the query itself.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT hash FROM {AuditEvent._meta.db_table} ORDER BY id DESC LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row else None


@functools.lru_cache(maxsize=1024)  # a batch's events mostly come from one or a few addresses
def _normalised_address(address: str | None) -> str | None:
    # Stored as the database returns it, so the hash recomputed on verification matches.
    return ipaddress.ip_address(address).compressed if address else None


@dataclass(frozen=True)
class AuditEntry:
    """One event to append: who did what to which object, from where (the address defaults to
    that of the request being served)."""

    actor: User | None
    action: str
    target: Model | None = None
    details: dict | None = None
    ip_address: str | None = None


# No savepoint: the event belongs to the caller's transaction, and a failure here must fail it.
@transaction.atomic(savepoint=False)
def audit_record_many(entries: list[AuditEntry]) -> list[AuditEvent]:
    """Append events to the audit log in order, each linked to the one before it.

    Call it inside the service's own transaction, so the events commit or roll back with the
    change they describe, and call it last: the chain lock is held until that transaction
    commits, so taking row locks after it could deadlock against a service that locked rows first.
    Many events appended at once take the lock once (the Open311 intake files in batches).
    """
    if not entries:
        return []
    _lock_chain()
    previous = _last_hash() or AuditEvent.GENESIS_HASH
    events = []
    for entry in entries:
        actor, target = entry.actor, entry.target
        known = actor is not None and actor.is_authenticated
        event = AuditEvent(
            actor=actor if known else None,
            actor_username=actor.get_username() if known else "",
            action=entry.action,
            object_type=target._meta.label if target is not None else "",
            object_id=str(target.pk) if target is not None else "",
            object_repr=str(target)[:200] if target is not None else "",
            ip_address=_normalised_address(entry.ip_address or client_address.get()),
            details=json.loads(json.dumps(entry.details or {}, ensure_ascii=False)),
            prev_hash=previous,
        )
        event.hash = previous = audit_event_hash(event)
        events.append(event)
    return insert_instances(events)


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: Model | None = None,
    details: dict | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Append one event to the audit log (see `audit_record_many`)."""
    (event,) = audit_record_many(
        [AuditEntry(actor=actor, action=action, target=target, details=details, ip_address=ip_address)]
    )
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_event_id: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_event_id is None


def audit_chain_verify(*, batch_size: int = 2000) -> ChainReport:
    """Walk the whole chain in order and report the first event that does not fit."""
    expected_prev = AuditEvent.GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        if event.prev_hash != expected_prev:
            return ChainReport(
                checked,
                event.id,
                "its link to the previous event is broken (an event before it was changed or removed)",
            )
        if audit_event_hash(event) != event.hash:
            return ChainReport(checked, event.id, "its content does not match its hash (the event was changed)")
        expected_prev = event.hash
        checked += 1
    return ChainReport(checked)
