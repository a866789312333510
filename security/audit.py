"""Writing and verifying the hash-chained audit log, and the records that protect both of the
portal's chains (this log and the exchange's message log) from the database's own owner.

Since the keyed marker (`audit.chain_keyed`), every event's hash is an HMAC with AUDIT_LOG_KEY,
which is not in the database; events before it keep their plain SHA-256 links. Signed checkpoints
kept outside the database (core.chain_checkpoints) catch what a key cannot: a truncated table, its
newest rows removed, or rows rewritten by someone holding the key. Both chains record their marker,
their restores and their archives here, as audit events.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from dataclasses import dataclass
from datetime import UTC

from django.db import transaction
from django.db.models import Model, Q

from core import chain_checkpoints
from core.hash_chain import ChainReport, HashChain
from directory.models import Area
from security.models import AuditEvent, User
from security.request_context import client_address

logger = logging.getLogger(__name__)

AUDIT_CHAIN_NAME = "audit"
# The event that starts a chain's keyed part; details: the chain and the last plain position.
KEYED_MARKER = "audit.chain_keyed"
# After a restore from a backup: the signed statement of the position restored to.
RESTORED = "audit.chain_restored"
# After older events were archived; carries every chain's keyed boundary forward, since the
# archived months may hold the markers.
ARCHIVED = "audit.chain_archived"


def _payload(event: AuditEvent) -> dict:
    return {
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


def _dumps(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _canonical(event: AuditEvent) -> bytes:
    return _dumps(_payload(event))


def _keyed_canonical(event: AuditEvent) -> bytes:
    # Keyed events also cover their area; older events keep the form they were hashed in.
    return _dumps(_payload(event) | {"area_id": event.area_id})


def chain_markers(chain_name: str):
    """The events that say where a chain's keyed part begins: its marker, or once the marker was
    archived, the archive events that carried it forward."""
    return AuditEvent.objects.filter(
        Q(action=KEYED_MARKER, details__chain=chain_name) | Q(action=ARCHIVED, details__keyed_after__has_key=chain_name)
    )


def chain_keyed_after(chain_name: str) -> int | None:
    """The last plain position of a chain; None before the chain has a marker."""
    found = chain_markers(chain_name).order_by("id").values_list("action", "details").first()
    if found is None:
        return None
    action, details = found
    return int(details["plain_until"] if action == KEYED_MARKER else details["keyed_after"][chain_name])


def chain_mark_keyed(chain_name: str, plain_until: int) -> None:
    """Record where a chain's keyed part begins (called under that chain's lock)."""
    marker = AuditEvent(action=KEYED_MARKER, details={"chain": chain_name, "plain_until": plain_until})
    AUDIT_CHAIN.lock()
    # The marker is itself the first keyed event of the audit chain.
    AUDIT_CHAIN.link([marker], keyed=True)
    marker.save(force_insert=True)


# The lock id is any constant of its own: it names the lock that serialises appends to this chain.
AUDIT_CHAIN = HashChain(
    model=AuditEvent,
    lock_id=7_311_302,
    canonical=_canonical,
    keyed_canonical=_keyed_canonical,
    key=lambda: chain_checkpoints.chain_hmac_key(AUDIT_CHAIN_NAME),
    name=AUDIT_CHAIN_NAME,
    keyed_after=lambda: chain_keyed_after(AUDIT_CHAIN_NAME),
    mark_keyed=lambda plain_until: chain_mark_keyed(AUDIT_CHAIN_NAME, plain_until),
    keyed_marker=lambda: chain_markers(AUDIT_CHAIN_NAME),
)


def _area_id_of(target: Model | None) -> int | None:
    """The area an event about `target` concerns, where the target has an obvious one."""
    if target is None:
        return None
    if isinstance(target, Area):
        return target.pk
    for attribute in ("area_id", "grid_id"):
        if area_id := getattr(target, attribute, None):
            return area_id
    if getattr(target, "household_id", None):
        return target.household.grid_id
    return None


def _normalised_address(address: str | None) -> str | None:
    # Stored as the database returns it, so the hash recomputed on verification matches.
    return ipaddress.ip_address(address).compressed if address else None


# No savepoint: the event belongs to the caller's transaction, and a failure here must fail it.
@transaction.atomic(savepoint=False)
def audit_record(
    *,
    actor: User | None,
    action: str,
    target: Model | None = None,
    details: dict | None = None,
    ip_address: str | None = None,
    area: Area | None = None,
) -> AuditEvent:
    """Append one event to the audit log, linked to the one before it: who did what to which
    object, from where (the address defaults to that of the request being served).

    `area` is the area the event concerns (the auditor's desk filters on it); when not given it is
    taken from the target where the target has one (an area, a grid, a household's grid).

    Call it inside the service's own transaction, so the event commits or rolls back with the
    change it describes, and call it last: the chain lock is held until that transaction commits,
    so taking row locks after it could deadlock against a service that locked rows first.
    """
    known = actor is not None and actor.is_authenticated
    event = AuditEvent(
        actor=actor if known else None,
        actor_username=actor.get_username() if known else "",
        action=action,
        object_type=target._meta.label if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        object_repr=str(target)[:200] if target is not None else "",
        ip_address=_normalised_address(ip_address or client_address.get()),
        details=json.loads(json.dumps(details or {}, ensure_ascii=False)),
        area_id=area.pk if area is not None else _area_id_of(target),
    )
    AUDIT_CHAIN.lock()
    before = AUDIT_CHAIN.link([event])
    event.save(force_insert=True)
    if chain_checkpoints.checkpoint_due(AUDIT_CHAIN, before, event.pk):
        transaction.on_commit(_queue_audit_checkpoint)
    return event


def _queue_audit_checkpoint() -> None:
    from security.tasks import audit_checkpoint_task

    audit_checkpoint_task.delay()


@dataclass(frozen=True)
class ChainCheck:
    """A chain walked against the signed records kept outside the database."""

    chain: str
    report: ChainReport
    records: int  # signed records found (checkpoints, restores, archives)
    invalid_records: int  # records whose signature did not verify (ignored)
    store_error: str = ""

    @property
    def intact(self) -> bool:
        return self.report.intact and not self.store_error

    @property
    def problem(self) -> str:
        if self.store_error:
            return f"its checkpoints could not be read: {self.store_error}"
        return self.report.reason


def chain_check(chain: HashChain, rows, *, also=lambda row: "") -> ChainCheck:
    """Walk `rows` (the table in order) against the chain's checkpoints, restores and archives."""
    try:
        expected = chain_checkpoints.expectations(chain.name)
    except chain_checkpoints.CheckpointStoreError as exc:
        return ChainCheck(chain.name, ChainReport(0), 0, 0, store_error=str(exc))
    report = chain.verify(rows, also=also, start=expected.start, vouched=expected.vouched)
    return ChainCheck(chain.name, report, expected.records, expected.invalid)


def audit_chain_check(*, batch_size: int = 2000) -> ChainCheck:
    return chain_check(AUDIT_CHAIN, AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size))


def audit_chain_verify(*, batch_size: int = 2000) -> ChainReport:
    """Walk the whole chain in order and report the first event that does not fit, also against
    the signed checkpoints (a missing or unreadable checkpoint store reads as a broken chain)."""
    check = audit_chain_check(batch_size=batch_size)
    if check.store_error:
        return ChainReport(check.report.checked, reason=check.problem)
    return check.report


def chain_restored(*, chain: HashChain, position: int, actor: User | None = None, note: str = "") -> AuditEvent:
    """After restoring a backup that ends at `position`: the signed restore event (in the audit
    log) and the matching record outside the database, which supersedes the checkpoints written
    before it. Refused unless the chain's head is `position` and the restored rows match every
    checkpoint up to it."""
    head_position, head_hash = chain.head_position()
    if head_position != position:
        raise ValueError(
            f"The {chain.name} chain ends at position {head_position}, not {position}: "
            "give the position of the last row of the restored backup."
        )
    expected = chain_checkpoints.expectations(chain.name)
    still_valid = [vouched for vouched in expected.vouched if vouched.position <= position]
    report = chain.verify(
        chain.model.objects.order_by("pk").iterator(chunk_size=2000), start=expected.start, vouched=still_valid
    )
    if not report.intact:
        raise ValueError(f"The restored {chain.name} chain does not verify: {report.reason} (row {report.broken_id}).")
    restored_to = {
        "position": position,
        "hash": head_hash,
        "count": chain_checkpoints.chain_count_up_to(chain, position, expected.start),
    }
    statement = {"chain": chain.name, "restored_to": restored_to, "note": note}
    with transaction.atomic():
        event = audit_record(
            actor=actor,
            action=RESTORED,
            details=statement | {"signature": chain_checkpoints.sign(statement)},
        )
    chain_checkpoints.restore_record(chain, restored_to=restored_to)
    return event
