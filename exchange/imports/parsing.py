"""Reading a pushed file into numbered records: CSV with a header row, or JSON Lines with one
object a line. Column names may be the English codes or the Chinese headings departments' systems
export; text may be UTF-8 (with or without a byte-order mark) or GB 18030, which Excel on a Chinese
Windows writes.

Nothing here touches the database; row validation is the dataset's (exchange.imports.household).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.request_input import JSONRefused, json_loads_limited, storable_text
from exchange.models import PayloadFormat

# English message ids of row-level problems; translated when shown (ImportRejection.message).
NOT_JSON = gettext_noop("This line is not valid JSON.")
JSON_REFUSED = gettext_noop("This line nests too deeply or holds a NUL character.")
NOT_AN_OBJECT = gettext_noop("This line is not a JSON object with named fields.")
UNKNOWN_FIELDS = gettext_noop("Unknown fields: %(fields)s.")
WRONG_COLUMN_COUNT = gettext_noop("This row has %(found)s values, the header has %(expected)s.")


@dataclass(frozen=True)
class Record:
    """One row of the file: the line it starts on, its values by column code (or None when the
    row could not be read at all), and what was wrong with reading it."""

    line: int
    values: dict[str, str] | None
    problem: str = ""
    params: dict | None = None


@dataclass(frozen=True)
class Columns:
    """The columns a dataset's import takes: codes in order, the required ones, and the other
    names each may go by."""

    codes: tuple[str, ...]
    required: frozenset[str]
    aliases: dict[str, str]

    def code_for(self, name: str) -> str | None:
        key = name.strip().lstrip("\ufeff").strip()
        if key in self.codes:
            return key
        return self.aliases.get(key) or self.aliases.get(key.lower())


def decode(content: bytes) -> str:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError:
            raise ValidationError(_("The file is not text in UTF-8 or GB 18030.")) from None
    # No value of the file could be stored with one (core.request_input); text files never hold one.
    if not storable_text(text):
        raise ValidationError(_("The file contains NUL characters: it is not a text file."))
    return text


def guess_format(file_name: str, given: str = "") -> str:
    if given:
        if given not in PayloadFormat.values:
            raise ValidationError(_("The format must be csv or jsonl."))
        return given
    lowered = file_name.lower()
    if lowered.endswith(".csv"):
        return PayloadFormat.CSV
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return PayloadFormat.JSONL
    raise ValidationError(_("Name the file .csv or .jsonl, or say which format it is."))


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value).strip()


def _csv_header(reader, columns: Columns) -> list[str]:
    for row in reader:
        if any(cell.strip() for cell in row):
            break
    else:
        raise ValidationError(_("The file is empty: it needs a header row and at least one row."))
    codes, unknown = [], []
    for name in row:
        code = columns.code_for(name)
        if code is None:
            unknown.append(name.strip())
        codes.append(code)
    if unknown:
        raise ValidationError(_("Unknown columns: %(columns)s.") % {"columns": "、".join(unknown)})
    missing = [code for code in columns.codes if code in columns.required and code not in codes]
    if missing:
        raise ValidationError(_("Missing columns: %(columns)s.") % {"columns": "、".join(missing)})
    if len(set(codes)) != len(codes):
        raise ValidationError(_("A column appears twice in the header."))
    return codes


def _csv_records(text: str, columns: Columns) -> Iterator[Record]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = _csv_header(reader, columns)
    previous_end = reader.line_num
    for row in reader:
        line, previous_end = previous_end + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Record(line, None, WRONG_COLUMN_COUNT, {"found": len(row), "expected": len(header)})
            continue
        yield Record(line, {code: cell.strip() for code, cell in zip(header, row, strict=True)})


def _jsonl_records(text: str, columns: Columns) -> Iterator[Record]:
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            item = json_loads_limited(raw)
        except JSONRefused:
            yield Record(line, None, JSON_REFUSED)
            continue
        except ValueError:
            yield Record(line, None, NOT_JSON)
            continue
        if not isinstance(item, dict):
            yield Record(line, None, NOT_AN_OBJECT)
            continue
        values, unknown = {}, []
        for name, value in item.items():
            code = columns.code_for(str(name))
            if code is None:
                unknown.append(str(name)[:40])
            else:
                values[code] = _text(value)
        if unknown:
            yield Record(line, None, UNKNOWN_FIELDS, {"fields": ", ".join(unknown)})
            continue
        yield Record(line, values)


def read_records(text: str, file_format: str, columns: Columns) -> Iterator[Record]:
    """Every row of the file in order. A CSV header that does not fit raises ValidationError at
    once; a row that cannot be read comes back as a Record with a problem."""
    if file_format == PayloadFormat.CSV:
        return _csv_records(text, columns)
    return _jsonl_records(text, columns)


def check_readable(text: str, file_format: str, columns: Columns) -> None:
    """Refuse, before anything is stored, a file whose header does not fit or that has no rows."""
    for _record in read_records(text, file_format, columns):
        return
    raise ValidationError(_("The file has no rows to import."))
