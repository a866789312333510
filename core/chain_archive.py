"""Moving a chain's oldest rows out of its table into a file, without losing the proof.

The rows go, in order, to a JSON-lines file (one row a line, every column as stored) written once
into the archive directory; a signed manifest (core.chain_checkpoints's `archive` record, also kept
next to the file) names the file's SHA-256, its first and last positions, and the last row's hash
and count. The first row left in the table links to that hash, so verification carries on across
the boundary, and `archive_file_verify` re-walks the file's own chain whenever it is wanted.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connections, models
from psycopg2 import sql

from core import chain_checkpoints
from core.hash_chain import ChainReport, ChainStart, HashChain


def archive_directory(chain: HashChain) -> Path:
    base = Path(settings.AUDIT_ARCHIVE_DIR or Path(settings.BASE_DIR) / ".data" / "audit-archive")
    return base / chain.name


def _row_data(row: models.Model) -> dict:
    return {field.attname: field.value_from_object(row) for field in row._meta.concrete_fields}


def _json_value(value):
    # Times with their microseconds: the rows' hashes cover them.
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _write_once(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def archive_write(
    *, chain: HashChain, rows: list[models.Model], label: str, start: ChainStart | None, extra: dict
) -> chain_checkpoints.Record:
    """Write `rows` (the table's oldest, in order, already verified) to a file, and the signed
    manifest to the file's side and to the checkpoint store. Deletes nothing."""
    folder = archive_directory(chain)
    folder.mkdir(parents=True, exist_ok=True)
    first, last = rows[0], rows[-1]
    name = f"{chain.name}-{label}-{first.pk}-{last.pk}.jsonl"
    body = b"".join(
        json.dumps(_row_data(row), default=_json_value, ensure_ascii=False, sort_keys=True).encode() + b"\n"
        for row in rows
    )
    _write_once(folder / name, body)
    record = chain_checkpoints.Record(
        chain=chain.name,
        kind=chain_checkpoints.ARCHIVE,
        position=last.pk,
        count=(start.count if start else 0) + len(rows),
        hash=last.hash,
        at=chain_checkpoints.now_text(),
        extra=extra
        | {
            "label": label,
            "file": name,
            "file_sha256": hashlib.sha256(body).hexdigest(),
            "first_position": first.pk,
            "first_prev_hash": first.prev_hash,
            "rows": len(rows),
        },
    )
    _write_once(folder / f"{name}.manifest.json", json.dumps(record.signed(), indent=1).encode())
    chain_checkpoints.store_write(record)
    return record


def archive_delete(*, chain: HashChain, up_to: int, append_only_trigger: str, using: str) -> int:
    """Delete the archived rows as the tables' owner: only the owner may switch the append-only
    trigger off (for this transaction's statement only); the portal's own role may not delete at all."""
    table = sql.Identifier(chain.model._meta.db_table)
    trigger = sql.Identifier(append_only_trigger)
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [chain.lock_id])
        # ALTER TABLE waits for no deferred foreign-key check of this transaction's own inserts.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER {}").format(table, trigger))
        cursor.execute(sql.SQL("DELETE FROM {} WHERE id <= %s").format(table), [up_to])
        deleted = cursor.rowcount
        cursor.execute(sql.SQL("ALTER TABLE {} ENABLE TRIGGER {}").format(table, trigger))
    return deleted


def archive_file_verify(*, chain: HashChain, record: chain_checkpoints.Record, previous_hash: str) -> ChainReport:
    """Re-walk an archive file: its SHA-256 must be the manifest's, and its rows a chain from
    `previous_hash` to the manifest's last hash."""
    path = archive_directory(chain) / record.extra["file"]
    try:
        body = path.read_bytes()
    except OSError as exc:
        return ChainReport(0, reason=f"the archive file {path} cannot be read: {exc}")
    if hashlib.sha256(body).hexdigest() != record.extra["file_sha256"]:
        return ChainReport(0, reason=f"the archive file {path} differs from its signed manifest")
    rows = []
    for line in body.splitlines():
        data = json.loads(line)
        row = chain.model()
        for field in chain.model._meta.concrete_fields:
            setattr(row, field.attname, field.to_python(data[field.attname]))
        rows.append(row)
    start = ChainStart(position=0, hash=previous_hash, count=0)
    report = chain.verify(rows, start=start)
    if report.intact and (not rows or rows[-1].hash != record.hash):
        return ChainReport(report.checked, reason=f"the archive file {path} does not end where its manifest says")
    return report
