"""The household-registration update: households (number, address, grid) and the residents
registered in them, one resident a row, pushed by the department that provides the resident roster.

Rows are checked one by one (required fields, ID-card number format and check digit, phone,
flags, grid known and inside the department's area), against the rest of the file (an ID-card
number twice, one household given two addresses or grids) and against what is stored (a resident
or household living outside the department's area). Accepted rows are written set-wise: one
INSERT … ON CONFLICT for the batch's households keyed by their number, one for its residents keyed
by the ID-card number's keyed hash (exchange.imports.upsert). Rows that change nothing are not
written, so a second run of the same file changes nothing, and ID numbers are encrypted only for
residents who are new.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from directory.models import Area
from exchange.imports.parsing import Columns, Record
from exchange.imports.upsert import upsert
from residents.models import Household, ResidentProfile
from residents.services import SealedValue, birth_of, register_conflicts_record, seal_id_card, seal_phone
from security import personal_data
from security.models import User

COLUMNS = Columns(
    codes=(
        "household_code",
        "address",
        "grid_code",
        "full_name",
        "id_card_number",
        "phone",
        "is_elderly",
        "lives_alone",
    ),
    required=frozenset({"household_code", "address", "grid_code", "full_name", "id_card_number"}),
    aliases={
        "户编号": "household_code",
        "户号": "household_code",
        "住址": "address",
        "地址": "address",
        "网格编码": "grid_code",
        "网格代码": "grid_code",
        "姓名": "full_name",
        "身份证号": "id_card_number",
        "身份证号码": "id_card_number",
        "公民身份号码": "id_card_number",
        "手机号": "phone",
        "手机号码": "phone",
        "联系电话": "phone",
        "是否老年人": "is_elderly",
        "老年人": "is_elderly",
        "是否独居": "lives_alone",
        "独居": "lives_alone",
    },
)
MAX_LENGTHS = {"household_code": 64, "address": 255, "full_name": 100}
TRUE = frozenset({"1", "true", "yes", "y", "t", "是"})
FALSE = frozenset({"0", "false", "no", "n", "f", "否"})
ELDERLY_AGE = 60
RESIDENT_COLUMNS = (
    "household",
    "full_name",
    "id_card_hash",
    "id_card_encrypted",
    "id_card_masked",
    "phone_hash",
    "phone_encrypted",
    "phone_masked",
    "is_elderly",
    "lives_alone",
    "registered_by",
    "birth_year",
    "birth_month",
    "staff_edited",
)

REQUIRED = gettext_noop("This field is required.")
TOO_LONG = gettext_noop("Too long: at most %(limit)s characters.")
BAD_CODE = gettext_noop("A household number has no spaces.")
BAD_FLAG = gettext_noop("Write 1 or 0 (是 or 否).")
UNKNOWN_GRID = gettext_noop("No grid has this code.")
GRID_OUTSIDE = gettext_noop("This grid is outside the area your department covers.")
DUPLICATE_ID = gettext_noop("The same ID-card number is already on line %(line)s.")
HOUSEHOLD_DIFFERS = gettext_noop(
    "This household's address or grid differs from line %(line)s, where the household first appears."
)
RESIDENT_OUTSIDE = gettext_noop("This resident is registered in a grid outside the area your department covers.")
HOUSEHOLD_OUTSIDE = gettext_noop("This household is registered in a grid outside the area your department covers.")


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    reason: str
    params: dict | None = None


@dataclass(frozen=True)
class Row:
    line: int
    household_code: str
    address: str
    grid_id: int
    full_name: str
    id_card: str
    id_card_hash: str
    phone: str
    phone_hash: str
    is_elderly: bool
    lives_alone: bool


@dataclass
class Context:
    """What every batch of one run checks against: the grids, the department's area, and the file's
    first line for each ID-card number and household."""

    actor: User
    grids: dict[str, int]  # code → primary key, every grid of the district
    covered_grids: set[int]  # the grids inside the department's area
    first_id_line: dict[str, int] = field(default_factory=dict)
    first_household: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    today: date = field(default_factory=timezone.localdate)


def _id_key(raw: str) -> str:
    return "".join(raw.split()).upper()


def prepare(*, actor: User, area_paths: list[str], records: Iterable[Record]) -> Context:
    """Look over the whole file once: which line each ID-card number and household first appears
    on. Pure and deterministic, so a resumed run rejects exactly the rows a clean run would."""
    grids, covered = {}, set()
    for code, pk, path in Area.objects.filter(kind=Area.Kind.GRID).values_list("code", "pk", "path"):
        grids[code] = pk
        if any(path.startswith(root) for root in area_paths):
            covered.add(pk)
    context = Context(actor=actor, grids=grids, covered_grids=covered)
    for record in records:
        if record.values is None:
            continue
        id_key = _id_key(record.values.get("id_card_number", ""))
        if id_key:
            context.first_id_line.setdefault(id_key, record.line)
        code = record.values.get("household_code", "")
        if code:
            context.first_household.setdefault(
                code, (record.line, record.values.get("address", ""), record.values.get("grid_code", ""))
            )
    return context


def _flag(values: dict, name: str, line: int, problems: list[Problem]) -> bool | None:
    raw = values.get(name, "").strip().lower()
    if not raw:
        return None
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    problems.append(Problem(line, name, BAD_FLAG))
    return None


def _age(id_card: str, today: date) -> int:
    born = personal_data.id_card_birth_date(id_card)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _message_of(error: ValidationError) -> str:
    return error.messages[0]


def check(record: Record, context: Context) -> tuple[Row | None, list[Problem]]:
    """One row against the file and the grids. Call with English active (write_batch does): the
    validators' messages are kept as their English ids and translated when shown."""
    if record.values is None:
        return None, [Problem(record.line, "", record.problem, record.params)]
    values, line = record.values, record.line
    problems: list[Problem] = []
    for name in COLUMNS.codes:
        value = values.get(name, "")
        if name in COLUMNS.required and not value:
            problems.append(Problem(line, name, REQUIRED))
        elif name in MAX_LENGTHS and len(value) > MAX_LENGTHS[name]:
            problems.append(Problem(line, name, TOO_LONG, {"limit": MAX_LENGTHS[name]}))
    code = values.get("household_code", "")
    if code and any(ch.isspace() for ch in code):
        problems.append(Problem(line, "household_code", BAD_CODE))
    id_card = phone = ""
    if values.get("id_card_number"):
        try:
            id_card = personal_data.normalise_id_card(values["id_card_number"])
        except ValidationError as error:
            problems.append(Problem(line, "id_card_number", _message_of(error)))
    if values.get("phone"):
        try:
            phone = personal_data.normalise_phone(values["phone"])
        except ValidationError as error:
            problems.append(Problem(line, "phone", _message_of(error)))
    is_elderly = _flag(values, "is_elderly", line, problems)
    lives_alone = _flag(values, "lives_alone", line, problems)
    grid = None
    grid_code = values.get("grid_code", "")
    if grid_code:
        grid = context.grids.get(grid_code)
        if grid is None:
            problems.append(Problem(line, "grid_code", UNKNOWN_GRID))
        elif grid not in context.covered_grids:
            problems.append(Problem(line, "grid_code", GRID_OUTSIDE))
    first_id = context.first_id_line.get(_id_key(values.get("id_card_number", "")))
    if first_id is not None and first_id != line:
        problems.append(Problem(line, "id_card_number", DUPLICATE_ID, {"line": first_id}))
    first_household = context.first_household.get(code)
    if first_household is not None and first_household[0] != line:
        if (first_household[1], first_household[2]) != (values.get("address", ""), grid_code):
            problems.append(Problem(line, "household_code", HOUSEHOLD_DIFFERS, {"line": first_household[0]}))
    if problems:
        return None, problems
    if is_elderly is None:
        is_elderly = _age(id_card, context.today) >= ELDERLY_AGE
    return Row(
        line=line,
        household_code=code,
        address=values["address"],
        grid_id=grid,
        full_name=values["full_name"],
        id_card=id_card,
        id_card_hash=personal_data.lookup_hash("id_card", id_card),
        phone=phone,
        phone_hash=personal_data.lookup_hash("phone", phone) if phone else "",
        is_elderly=is_elderly,
        lives_alone=bool(lives_alone),
    ), []


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def rejected_lines(self) -> int:
        return len({problem.line for problem in self.problems})


# The look-ups below are single-table and keyed by unique indexes on purpose: while a large import
# fills an empty table the planner's statistics still say "empty", and a join planned on that
# estimate turns into nested loops over the whole table for every batch.
def _existing_residents(hashes: list[str]) -> dict[str, dict]:
    columns = (
        "id_card_hash",
        "pk",
        "household_id",
        "full_name",
        "id_card_encrypted",
        "id_card_masked",
        "phone_hash",
        "phone_encrypted",
        "phone_masked",
        "is_elderly",
        "lives_alone",
        "staff_edited",
    )
    found = {
        values["id_card_hash"]: values
        for values in ResidentProfile.objects.filter(id_card_hash__in=hashes).values(*columns)
    }
    grid_of = dict(
        Household.objects.filter(pk__in={values["household_id"] for values in found.values()}).values_list(
            "pk", "grid_id"
        )
    )
    for values in found.values():
        values["grid_id"] = grid_of[values["household_id"]]
    return found


def _existing_households(codes: list[str]) -> dict[str, dict]:
    rows = Household.objects.filter(household_code__in=codes).values(
        "household_code", "pk", "address", "grid_id", "address_edited_at"
    )
    return {values["household_code"]: values for values in rows}


def _write_households(rows: list[Row], existing: dict[str, dict]) -> tuple[dict[str, int], dict[int, str]]:
    """Upsert the batch's households; returns each household number's primary key, and the
    addresses staff corrected after the previous import that this one says otherwise (kept, the
    import's encrypted for a conflict; see `_keep_staff_edits`). Written in number order, so two
    batches sharing households lock them in the same order."""
    wanted: dict[str, tuple[str, int]] = {}
    for row in rows:
        wanted.setdefault(row.household_code, (row.address, row.grid_id))
    ids = {code: values["pk"] for code, values in existing.items()}
    conflicts: dict[int, str] = {}
    changed = []
    for code, (address, grid_id) in sorted(wanted.items()):
        before = existing.get(code)
        if before is not None and before["address_edited_at"] is not None:
            if address != before["address"]:
                conflicts[before["pk"]] = personal_data.encrypt(address)
            # Written all the same: the staff's address stays, and this import has now seen it.
            changed.append((code, before["address"], grid_id, None))
        elif before is None or (before["address"], before["grid_id"]) != (address, grid_id):
            changed.append((code, address, grid_id, None))
    ids.update(
        upsert(
            Household,
            fields=("household_code", "address", "grid", "address_edited_at"),
            rows=changed,
            key="household_code",
            update=("address", "grid", "address_edited_at"),
        )
    )
    return ids, conflicts


@dataclass
class PreparedBatch:
    """A batch checked and sealed, before it touches the database: the accepted rows, the problems
    of the others, and the stored form of every accepted ID number and phone."""

    rows: list[Row]
    problems: list[Problem]
    sealed_ids: dict[str, SealedValue]
    sealed_phones: dict[str, SealedValue]


def prepare_batch(*, records: list[Record], context: Context) -> PreparedBatch:
    """The CPU-heavy half of a batch — checking each row, encrypting ID numbers and phones — with no
    database access, so the run can do it for the next batch in a thread while the database writes
    this one. Every accepted value is encrypted, also of residents who turn out to be stored
    already (their ciphertext is then not used): that costs a re-import CPU, not time."""
    rows: list[Row] = []
    problems: list[Problem] = []
    with translation.override("en"):
        for record in records:
            row, found = check(record, context)
            if row is None:
                problems.extend(found)
            else:
                rows.append(row)
    return PreparedBatch(
        rows=rows,
        problems=problems,
        sealed_ids={row.id_card_hash: seal_id_card(row.id_card, known_hash=row.id_card_hash) for row in rows},
        sealed_phones={row.phone_hash: seal_phone(row.phone, known_hash=row.phone_hash) for row in rows if row.phone},
    )


def _phone_columns(row: Row, before: dict | None, prepared: PreparedBatch) -> tuple[str, str, str]:
    if not row.phone:
        return "", "", ""
    if before is not None and before["phone_hash"] == row.phone_hash:
        return before["phone_hash"], before["phone_encrypted"], before["phone_masked"]
    return tuple(prepared.sealed_phones[row.phone_hash])


def _keep_staff_edits(row: Row, before: dict, phone: tuple) -> tuple[dict, tuple, list]:
    """Where staff edited a field after the previous import and this import says otherwise, the
    register keeps the staff's value and the import's becomes a conflict for them to settle
    (residents.services.register_conflicts_record). Returns the values to write and the conflicts."""
    values = {"full_name": row.full_name, "is_elderly": row.is_elderly, "lives_alone": row.lives_alone}
    conflicts = []
    edited = before["staff_edited"] or {}
    for name, value in values.items():
        if name in edited and value != before[name]:
            plain = value if name == "full_name" else "1" if value else "0"
            conflicts.append((name, personal_data.encrypt(plain)))
            values[name] = before[name]
    if "phone" in edited and phone[0] != before["phone_hash"]:
        if phone[0]:  # an import without a phone has none to offer: the staff's stays, no question
            conflicts.append(("phone", phone[1]))
        phone = (before["phone_hash"], before["phone_encrypted"], before["phone_masked"])
    return values, phone, conflicts


def write_batch(*, prepared: PreparedBatch, context: Context) -> BatchResult:
    """Write a prepared batch. Call inside the batch's transaction: it either all lands or none."""
    result = BatchResult(problems=list(prepared.problems))
    accepted = prepared.rows
    residents_before = _existing_residents([row.id_card_hash for row in accepted])
    households_before = _existing_households(sorted({row.household_code for row in accepted}))
    writable: list[Row] = []
    for row in accepted:
        resident = residents_before.get(row.id_card_hash)
        household = households_before.get(row.household_code)
        if resident is not None and resident["grid_id"] not in context.covered_grids:
            result.problems.append(Problem(row.line, "id_card_number", RESIDENT_OUTSIDE))
        elif household is not None and household["grid_id"] not in context.covered_grids:
            result.problems.append(Problem(row.line, "household_code", HOUSEHOLD_OUTSIDE))
        else:
            writable.append(row)
    household_ids, address_conflicts = _write_households(writable, households_before)
    profiles: list[tuple] = []
    conflicts: dict[int, list] = {}
    actor_id = context.actor.pk
    for row in writable:
        before = residents_before.get(row.id_card_hash)
        household_id = household_ids[row.household_code]
        phone = _phone_columns(row, before, prepared)
        values = {"full_name": row.full_name, "is_elderly": row.is_elderly, "lives_alone": row.lives_alone}
        if before is not None and before["staff_edited"]:
            values, phone, found = _keep_staff_edits(row, before, phone)
            if found:
                conflicts[before["pk"]] = found
        phone_hash, phone_encrypted, phone_masked = phone
        if before is None:
            _hash, id_card_encrypted, id_card_masked = prepared.sealed_ids[row.id_card_hash]
            result.created += 1
        elif (
            before["household_id"],
            before["full_name"],
            before["phone_hash"],
            before["is_elderly"],
            before["lives_alone"],
        ) == (household_id, values["full_name"], phone_hash, values["is_elderly"], values["lives_alone"]):
            result.unchanged += 1
            if not before["staff_edited"]:
                continue
            # Written all the same: this import has now seen the staff's edits (see below).
            id_card_encrypted, id_card_masked = before["id_card_encrypted"], before["id_card_masked"]
        else:
            # The stored row keeps its ciphertext; the proposed row must still pass the table's
            # checks, so it carries the stored values.
            id_card_encrypted, id_card_masked = before["id_card_encrypted"], before["id_card_masked"]
            result.updated += 1
        profiles.append(
            (
                household_id,
                values["full_name"],
                row.id_card_hash,
                id_card_encrypted,
                id_card_masked,
                phone_hash,
                phone_encrypted,
                phone_masked,
                values["is_elderly"],
                values["lives_alone"],
                actor_id,
                *birth_of(row.id_card),
                # Staff edits older than this import no longer hold a field against the next one.
                "{}",
            )
        )
    upsert(
        ResidentProfile,
        fields=RESIDENT_COLUMNS,
        rows=profiles,
        key="id_card_hash",
        update=(
            "household",
            "full_name",
            "phone_hash",
            "phone_encrypted",
            "phone_masked",
            "is_elderly",
            "lives_alone",
            "staff_edited",
        ),
    )
    register_conflicts_record(conflicts, address_conflicts)
    result.conflicts = sum(len(found) for found in conflicts.values()) + len(address_conflicts)
    return result
