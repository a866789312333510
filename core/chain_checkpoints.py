"""Signed records of a hash chain kept outside its database, so that whoever owns the tables
(and can truncate them, delete their newest rows, or rewrite them and recompute every hash) is
still found out.

Three kinds of record, each signed with Ed25519 and written once, never overwritten:

- `checkpoint`: the chain's head (position = the newest row's primary key, how many rows the chain
  has had since it began, that row's hash, the time). Written every hour and every 10,000 rows.
- `restore`: after a restore from a backup that ends at position N, the operator's signed
  statement; checkpoints written before it are superseded (the rows after N are gone on purpose).
- `archive`: older rows moved to a file (core.chain_archive); the first row left in the table
  must link to the archive's last hash, which the record vouches for.

They go to a directory (AUDIT_CHECKPOINT_DIR; mount it from another machine, append-only or
write-once) or are POSTed to an HTTPS endpoint (AUDIT_CHECKPOINT_URL), which must answer a GET
with `?chain=<name>` with the JSON list of the records it holds. Verification reads them back and
hands the chain what they vouch for (HashChain.verify's `start` and `vouched`).

The signing key comes from AUDIT_CHECKPOINT_SIGNING_KEY (any secret of 32 or more characters; the
Ed25519 key is derived from it), else from SECRET_KEY, so development and tests need no setup.
A verifier on another machine needs only the public key (AUDIT_CHECKPOINT_VERIFY_KEY).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core import checks
from django.db import transaction
from django.utils import timezone

from core import outbound_http
from core.hash_chain import ChainStart, HashChain, Vouched

logger = logging.getLogger(__name__)

RECORD_VERSION = "shunqing-chain-record/1"
CHECKPOINT = "checkpoint"
RESTORE = "restore"
ARCHIVE = "archive"
# A checkpoint is also written when an append crosses a multiple of this many positions.
CHECKPOINT_EVERY = 10_000
STORE_TIMEOUT = 10


class CheckpointStoreError(Exception):
    """The records could not be written or read (the store is down or misconfigured)."""


# --- keys ---------------------------------------------------------------------------------------
def _derive(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def chain_hmac_key(chain_name: str) -> bytes:
    """The key of a chain's HMAC links: from AUDIT_LOG_KEY, else SECRET_KEY (development, tests;
    the deploy check insists on AUDIT_LOG_KEY)."""
    return _derive(settings.AUDIT_LOG_KEY or settings.SECRET_KEY, f"shunqing hash chain {chain_name}")


def _signing_key() -> Ed25519PrivateKey:
    seed = _derive(settings.AUDIT_CHECKPOINT_SIGNING_KEY or settings.SECRET_KEY, "shunqing chain checkpoints")
    return Ed25519PrivateKey.from_private_bytes(seed)


def verify_key() -> Ed25519PublicKey:
    if settings.AUDIT_CHECKPOINT_VERIFY_KEY:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(settings.AUDIT_CHECKPOINT_VERIFY_KEY))
    return _signing_key().public_key()


def verify_key_text() -> str:
    """The public key, base64, to give a verifier on another machine (AUDIT_CHECKPOINT_VERIFY_KEY)."""
    raw = verify_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def _statement(facts: dict) -> bytes:
    return json.dumps(facts, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def sign(facts: dict) -> str:
    return base64.b64encode(_signing_key().sign(_statement(facts))).decode()


def signature_valid(facts: dict, signature: str) -> bool:
    try:
        verify_key().verify(base64.b64decode(signature, validate=True), _statement(facts))
    except (InvalidSignature, ValueError):
        return False
    return True


# --- records ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Record:
    chain: str
    kind: str
    position: int
    count: int
    hash: str
    at: str  # ISO time in UTC, microseconds
    extra: dict = field(default_factory=dict)  # restore: restored_to; archive: file, file_sha256, …

    def facts(self) -> dict:
        return {
            "version": RECORD_VERSION,
            "chain": self.chain,
            "kind": self.kind,
            "position": self.position,
            "count": self.count,
            "hash": self.hash,
            "at": self.at,
            **self.extra,
        }

    def signed(self) -> dict:
        facts = self.facts()
        return facts | {"signature": sign(facts)}

    @property
    def label(self) -> str:
        return f"{self.kind} of {self.at}"

    @classmethod
    def from_signed(cls, data: dict) -> Record | None:
        """The record if its signature verifies, else None."""
        try:
            facts = {key: value for key, value in data.items() if key != "signature"}
            if facts.get("version") != RECORD_VERSION or not signature_valid(facts, data["signature"]):
                return None
            known = {"version", "chain", "kind", "position", "count", "hash", "at"}
            return cls(
                chain=facts["chain"],
                kind=facts["kind"],
                position=int(facts["position"]),
                count=int(facts["count"]),
                hash=str(facts["hash"]),
                at=str(facts["at"]),
                extra={key: value for key, value in facts.items() if key not in known},
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


def now_text() -> str:
    return timezone.now().astimezone(UTC).isoformat(timespec="microseconds")


# --- the store ----------------------------------------------------------------------------------
def _directory() -> Path:
    if settings.AUDIT_CHECKPOINT_DIR:
        return Path(settings.AUDIT_CHECKPOINT_DIR)
    # Development: one folder per database, so switching databases does not hold one to another's.
    return Path(settings.BASE_DIR) / ".data" / "audit-checkpoints" / _safe(settings.DATABASES["default"]["NAME"])


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", text)


def _target() -> outbound_http.Target:
    # The operators choose this address (it is not a partner's), so an intranet host is fine;
    # it must still be https:// and is connected to at the address that was resolved.
    url = settings.AUDIT_CHECKPOINT_URL
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise CheckpointStoreError(f"AUDIT_CHECKPOINT_URL must be an https:// URL, got {url!r}")
    port = parts.port or 443
    try:
        address = outbound_http.resolve(parts.hostname, port)[0]
    except (OSError, IndexError) as exc:
        raise CheckpointStoreError(f"the checkpoint store {parts.hostname} cannot be resolved: {exc}") from None
    return outbound_http.Target(url=url, scheme="https", host=parts.hostname, port=port, address=address)


def store_write(record: Record) -> str:
    """Write the signed record once; returns where it went. Never overwrites an earlier one."""
    body = json.dumps(record.signed(), ensure_ascii=False, indent=1).encode()
    if settings.AUDIT_CHECKPOINT_URL:
        try:
            answer = outbound_http.post(
                target=_target(), body=body, headers={"Content-Type": "application/json"}, timeout=STORE_TIMEOUT
            )
        except (OSError, outbound_http.http.client.HTTPException) as exc:
            raise CheckpointStoreError(f"the checkpoint store did not answer: {exc}") from None
        if not 200 <= answer.status < 300:
            raise CheckpointStoreError(f"the checkpoint store answered {answer.status}: {answer.excerpt}")
        return settings.AUDIT_CHECKPOINT_URL
    folder = _directory() / _safe(record.chain)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = re.sub(r"[^0-9T]", "", record.at.split("+")[0])
    path = folder / f"{stamp}Z-{record.kind}-{record.position}.json"
    # O_EXCL: a record is written once; a second record of the same instant is refused, not merged.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    with os.fdopen(descriptor, "wb") as file:
        file.write(body)
        file.flush()
        os.fsync(file.fileno())
    return str(path)


def store_read(chain_name: str) -> tuple[list[Record], int]:
    """Every record of the chain whose signature verifies, oldest first, and how many did not."""
    if settings.AUDIT_CHECKPOINT_URL:
        url = f"{settings.AUDIT_CHECKPOINT_URL}?{urlencode({'chain': chain_name})}"
        try:
            raw = outbound_http.fetch(target=_target(), url=url, timeout=STORE_TIMEOUT)
            documents = json.loads(raw)
        except (OSError, outbound_http.http.client.HTTPException, ValueError) as exc:
            raise CheckpointStoreError(f"the checkpoint store could not be read: {exc}") from None
    else:
        folder = _directory() / _safe(chain_name)
        documents = []
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                documents.append(json.loads(path.read_bytes()))
            except ValueError:
                documents.append({})
    records, invalid = [], 0
    for document in documents if isinstance(documents, list) else []:
        record = Record.from_signed(document) if isinstance(document, dict) else None
        if record is None or record.chain != chain_name:
            invalid += 1
            continue
        records.append(record)
    records.sort(key=lambda record: (record.at, record.position))
    return records, invalid


# --- what the chain is checked against -----------------------------------------------------------
@dataclass(frozen=True)
class Expectations:
    start: ChainStart | None
    vouched: list[Vouched]
    records: int
    invalid: int
    restored: Record | None


def expectations(chain_name: str) -> Expectations:
    """What the records vouch for: where the table starts (the newest archive), and every head a
    checkpoint or restore vouches for that a later restore did not supersede."""
    records, invalid = store_read(chain_name)
    archives = [record for record in records if record.kind == ARCHIVE]
    newest_archive = max(archives, key=lambda record: record.position, default=None)
    start = (
        ChainStart(position=newest_archive.position, hash=newest_archive.hash, count=newest_archive.count)
        if newest_archive
        else None
    )
    restores = [record for record in records if record.kind == RESTORE]
    restored = restores[-1] if restores else None
    vouched = []
    for record in records:
        if record.kind == ARCHIVE or (restored is not None and record.at < restored.at):
            continue
        vouched.append(Vouched(record.position, record.hash, record.count, record.label))
        if record is restored:
            before = record.extra["restored_to"]
            vouched.append(Vouched(before["position"], before["hash"], before["count"], record.label))
    # Several records may vouch for one position (nothing was appended between them): the chain
    # is held to each, so a later checkpoint of a rewritten head cannot vouch the rewrite away.
    return Expectations(start, sorted(vouched, key=lambda v: v.position), len(records), invalid, restored)


def chain_count_up_to(chain: HashChain, position: int, start: ChainStart | None) -> int:
    """How many rows the chain has had up to `position`, archived ones included."""
    in_table = chain.model.objects.filter(pk__lte=position)
    if start is not None:
        in_table = in_table.filter(pk__gt=start.position)
    return (start.count if start else 0) + in_table.count()


def checkpoint_write(chain: HashChain) -> Record | None:
    """Sign the chain's head and write it outside the database (None for an empty chain)."""
    with transaction.atomic():
        position, head_hash = chain.head_position()
        if not position:
            return None
        current = expectations(chain.name)
        record = Record(
            chain=chain.name,
            kind=CHECKPOINT,
            position=position,
            count=chain_count_up_to(chain, position, current.start),
            hash=head_hash,
            at=now_text(),
        )
    store_write(record)
    return record


def checkpoint_due(chain: HashChain, before: int, after: int) -> bool:
    """Whether appending rows `before`+1…`after` crossed a multiple of CHECKPOINT_EVERY."""
    return after // CHECKPOINT_EVERY > before // CHECKPOINT_EVERY


def restore_record(chain: HashChain, *, restored_to: dict) -> Record:
    """After the restore event was committed: the signed record that supersedes older checkpoints."""
    position, head_hash = chain.head_position()
    current = expectations(chain.name)
    record = Record(
        chain=chain.name,
        kind=RESTORE,
        position=position,
        count=chain_count_up_to(chain, position, current.start),
        hash=head_hash,
        at=now_text(),
        extra={"restored_to": restored_to},
    )
    store_write(record)
    return record


@checks.register(checks.Tags.security, deploy=True)
def production_keys_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """In production the logs' keys are their own secrets, and the checkpoints leave this server."""
    if settings.DEBUG:
        return []
    problems = []
    for name, purpose in (
        ("AUDIT_LOG_KEY", "the key of the audit and exchange logs' HMAC links"),
        ("AUDIT_CHECKPOINT_SIGNING_KEY", "the key that signs the logs' checkpoints"),
    ):
        if not getattr(settings, name):
            problems.append(
                checks.Error(
                    f"{name} is not set: {purpose} is derived from SECRET_KEY.",
                    hint=f"Set {name} to a secret of its own (32+ random characters) and keep it off the database "
                    "server; see docs/security.md, 'The audit log'.",
                    id="core.E101",
                )
            )
    if not settings.AUDIT_CHECKPOINT_DIR and not settings.AUDIT_CHECKPOINT_URL:
        problems.append(
            checks.Error(
                "Neither AUDIT_CHECKPOINT_DIR nor AUDIT_CHECKPOINT_URL is set: the logs' checkpoints would be "
                "kept in .data/ on this server.",
                hint="Point AUDIT_CHECKPOINT_DIR at write-once storage of another machine, or AUDIT_CHECKPOINT_URL "
                "at an https:// checkpoint service.",
                id="core.E102",
            )
        )
    return problems
