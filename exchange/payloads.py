"""Payload files: written to a temporary file beside their final name, hashed as they are written,
and renamed into place only inside the transaction that logs them, so the file under a job's
name is always the one its log entry signed (a killed attempt leaves at most a stray temporary
file, removed when the job completes)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from core.spreadsheet import spreadsheet_safe
from exchange.datasets import Row
from exchange.models import PayloadFormat

READ_BLOCK = 1024 * 1024


def payload_dir() -> Path:
    directory = Path(settings.EXCHANGE_PAYLOAD_DIR or Path(settings.MEDIA_ROOT) / "exchange")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def payload_name(job_public_id, payload_format: str) -> str:
    return f"{job_public_id}.{payload_format}"


def payload_path(name: str) -> Path:
    # Names are made by payload_name from a UUID; refuse anything that could leave the folder.
    if "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"not a payload name: {name!r}")
    return payload_dir() / name


@dataclass
class Written:
    temp_path: Path
    sha256: str
    size: int
    record_count: int
    resident_ids: list[int] = field(default_factory=list)


class _HashingWriter(io.RawIOBase):
    def __init__(self, raw):
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.raw.write(data)


def write_payload(*, name: str, payload_format: str, fields: list[str], rows: Iterable[Row]) -> Written:
    """Write `rows` (only `fields`, in that order) to a temporary file next to `name`."""
    temp_path = payload_dir() / f".{name}.{uuid.uuid4().hex}.tmp"
    count = 0
    resident_ids: list[int] = []
    with open(temp_path, "wb") as raw:
        hashing = _HashingWriter(raw)
        buffered = io.BufferedWriter(hashing, buffer_size=READ_BLOCK)
        text = io.TextIOWrapper(buffered, encoding="utf-8", newline="")
        if payload_format == PayloadFormat.CSV:
            # RFC 4180's CRLF: with it the writer quotes a value holding a lone CR, which would
            # otherwise end the row and start the next with whatever follows (a formula, say).
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow(fields)
            for row in rows:
                # Officials open CSV payloads in spreadsheets; JSON Lines carry values as they are.
                writer.writerow([spreadsheet_safe(row.values[code]) for code in fields])
                count += 1
                if row.resident_id is not None:
                    resident_ids.append(row.resident_id)
        else:
            dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
            for row in rows:
                text.write(dumps({code: row.values[code] for code in fields}))
                text.write("\n")
                count += 1
                if row.resident_id is not None:
                    resident_ids.append(row.resident_id)
        text.flush()
        buffered.flush()
        raw.flush()
        os.fsync(raw.fileno())
        text.detach()
    return Written(temp_path, hashing.digest.hexdigest(), hashing.size, count, resident_ids)


def publish(temp_path: Path, name: str) -> None:
    """Move the written file to its final name (atomic on one file system)."""
    os.replace(temp_path, payload_path(name))


def discard_temporaries(name: str) -> None:
    for stray in payload_dir().glob(f".{name}.*.tmp"):
        stray.unlink(missing_ok=True)


def file_sha256(path: Path) -> str | None:
    """The file's hash, or None when it is missing."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while block := handle.read(READ_BLOCK):
                digest.update(block)
    except FileNotFoundError:
        return None
    return digest.hexdigest()
