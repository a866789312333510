"""Writing and verifying the hash-chained audit log."""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC

from django.db import transaction
from django.db.models import Model

from core.hash_chain import ChainReport, HashChain
from directory.models import Area
from security.models import AuditEvent, User
from security.request_context import client_address


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


# The lock id is any constant of its own: it names the lock that serialises appends to this chain.
AUDIT_CHAIN = HashChain(model=AuditEvent, lock_id=7_311_302, canonical=_canonical)


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
    AUDIT_CHAIN.link([event])
    event.save(force_insert=True)
    return event


def audit_chain_verify(*, batch_size: int = 2000) -> ChainReport:
    """Walk the whole chain in order and report the first event that does not fit."""
    return AUDIT_CHAIN.verify(AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size))
