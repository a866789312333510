"""Imports of a household-registration update: row checks with their lines and reasons, upserts
by natural key, idempotency, a failed batch that rolls back alone and a run again that resumes."""

import csv
import io
import json
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from exchange.imports import services as import_services
from exchange.imports.services import dataset_import_create, dataset_import_resume, dataset_import_run
from exchange.models import DatasetImport, ImportBatch, ImportChannel, ImportSource, ImportStatus
from exchange.services import dataset_define
from residents.models import Household, ResidentProfile
from security import personal_data
from security.models import AuditEvent, Role
from tests.factories import HouseholdFactory, ResidentFactory, valid_id_card

pytestmark = pytest.mark.django_db

HEADER = ["household_code", "address", "grid_code", "full_name", "id_card_number", "phone", "is_elderly", "lives_alone"]


def csv_bytes(rows, header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def person(n, *, household="H1", address="人民路1号", grid="G1", name=None, phone=None, elderly="0", alone="0"):
    return [
        household,
        address,
        grid,
        name if name is not None else f"居民{n}",
        valid_id_card(n, birth="19800101"),
        phone if phone is not None else f"139{n:08d}",
        elderly,
        alone,
    ]


@pytest.fixture
def provider(tree, orgs, make_user):
    """orgs.dept provides the resident roster; its officers over the district and over S1 only; an
    officer of another department."""
    return SimpleNamespace(
        dataset=dataset_define(code="resident-roster", provider=orgs.dept),
        organisation=orgs.dept,
        officer=make_user(Role.DEPARTMENT_OFFICER, tree.d, orgs.dept),
        officer_s1=make_user(Role.DEPARTMENT_OFFICER, tree.s1, orgs.dept),
        outsider=make_user(Role.DEPARTMENT_OFFICER, tree.d, orgs.dept_other),
    )


@pytest.fixture
def push(provider):
    """push(content, actor=…, name=…) → the import, created through the service (not yet run)."""

    def make(content: bytes, *, actor=None, name="update.csv", file_format=""):
        return dataset_import_create(
            actor=actor or provider.officer,
            organisation=provider.organisation,
            dataset=provider.dataset,
            file_name=name,
            content=content,
            channel=ImportChannel.UPLOAD,
            file_format=file_format,
        )

    return make


@pytest.fixture
def imported(push):
    """imported(content, …) → the import after a full run."""

    def make(content: bytes, **kwargs):
        dataset_import = push(content, **kwargs)
        dataset_import_run(import_id=dataset_import.pk)
        dataset_import.refresh_from_db()
        return dataset_import

    return make


def snapshot():
    """Everything an import writes, decrypted, keyed by ID number: to compare runs."""
    return {
        personal_data.decrypt(p.id_card_encrypted): (
            p.full_name,
            p.household.household_code,
            p.household.address,
            p.household.grid.code,
            personal_data.decrypt(p.phone_encrypted) if p.phone_encrypted else "",
            p.phone_hash,
            p.id_card_masked,
            p.is_elderly,
            p.lives_alone,
        )
        for p in ResidentProfile.objects.select_related("household__grid")
    }


def rejections(dataset_import):
    return [(r.line, r.field, r.message) for r in dataset_import.rejections.order_by("line", "id")]


# --- good rows -----------------------------------------------------------------------------------
def test_good_rows_create_households_and_residents_encrypted(imported, tree):
    content = csv_bytes(
        [
            person(1, household="H1"),
            person(2, household="H1", elderly="", alone="是"),
            person(3, household="H2", address="滨江路8号", grid="G1b", phone=""),
        ]
    )
    dataset_import = imported(content)

    assert dataset_import.status == ImportStatus.SUCCEEDED
    assert (dataset_import.total_rows, dataset_import.created_count, dataset_import.rejected_count) == (3, 3, 0)
    h1 = Household.objects.get(household_code="H1")
    assert (h1.address, h1.grid) == ("人民路1号", tree.g1)
    assert Household.objects.get(household_code="H2").grid == tree.g1b
    first = ResidentProfile.objects.get(
        id_card_hash=personal_data.lookup_hash("id_card", valid_id_card(1, birth="19800101"))
    )
    assert first.household == h1
    # Stored as registration stores it: encrypted, hashed, masked; never in clear.
    assert valid_id_card(1, birth="19800101") not in first.id_card_encrypted
    assert personal_data.decrypt(first.id_card_encrypted) == valid_id_card(1, birth="19800101")
    assert first.id_card_masked == personal_data.mask_id_card(valid_id_card(1, birth="19800101"))
    assert personal_data.decrypt(first.phone_encrypted) == "13900000001"
    assert first.phone_hash == personal_data.lookup_hash("phone", "13900000001")
    second = ResidentProfile.objects.get(full_name="居民2")
    # An empty "elderly" is read from the birth date in the ID number (born 1980: not yet 60).
    assert (second.is_elderly, second.lives_alone) == (False, True)
    third = ResidentProfile.objects.get(full_name="居民3")
    assert (third.phone_encrypted, third.phone_hash, third.phone_masked) == ("", "", "")


def test_the_import_is_audited_at_each_step_with_its_counts(imported, provider):
    dataset_import = imported(csv_bytes([person(1), person(2, name="")]))
    events = AuditEvent.objects.filter(object_id=str(dataset_import.pk), object_type="exchange.DatasetImport")
    assert list(events.order_by("id").values_list("action", flat=True)) == [
        "exchange.import.create",
        "exchange.import.start",
        "exchange.import.finish",
    ]
    assert events.get(action="exchange.import.create").actor == provider.officer
    finish = events.get(action="exchange.import.finish").details
    assert (finish["status"], finish["rows"], finish["created"], finish["rejected"]) == ("succeeded", 2, 1, 1)


def test_chinese_headings_gb18030_and_json_lines_are_read(imported):
    chinese = ["户编号", "住址", "网格编码", "姓名", "身份证号", "手机号", "是否老年人", "是否独居"]
    dataset_import = imported(csv_bytes([person(1)], header=chinese).decode().encode("gb18030"))
    assert (dataset_import.status, dataset_import.created_count) == (ImportStatus.SUCCEEDED, 1)

    lines = [json.dumps(dict(zip(HEADER, person(2), strict=True)), ensure_ascii=False), "", '{"full_name": 1']
    jsonl = imported("\n".join(lines).encode(), name="update.jsonl")
    assert (jsonl.created_count, jsonl.rejected_count) == (1, 1)
    assert rejections(jsonl) == [(3, "", "This line is not valid JSON.")]


# --- bad rows ------------------------------------------------------------------------------------
def test_each_bad_row_is_reported_with_its_line_and_reason_and_nothing_of_it_is_written(imported, provider):
    bad_check_digit = valid_id_card(5, birth="19800101")[:17] + ("0" if valid_id_card(5)[-1] != "0" else "1")
    rows = [
        person(1),  # line 2: good
        person(2, name=""),  # 3: required
        ["H3", "路", "G1", "甲", bad_check_digit, "13900000003", "0", "0"],  # 4: check digit
        ["H3", "路", "G1", "乙", "12345", "13900000004", "0", "0"],  # 5: format
        person(6, household="H4", phone="12345"),  # 6: phone
        person(7, household="H5", grid="NOPE"),  # 7: unknown grid
        person(8, household="H6", elderly="maybe"),  # 8: flag
        person(1, household="H7"),  # 9: same ID as line 2
        person(10, household="H1", address="别的路"),  # 10: household H1 differs from line 2
        ["H8", "x" * 256, "G1", "丙", valid_id_card(11, birth="19800101"), "", "0", "0"],  # 11: too long
        ["H9", "路"],  # 12: wrong number of values
        person(13, household="H 10"),  # 13: household number with a space
    ]
    dataset_import = imported(csv_bytes(rows))

    assert rejections(dataset_import) == [
        (3, "full_name", "This field is required."),
        (4, "id_card_number", "This ID-card number's check digit is wrong; please check it again."),
        (5, "id_card_number", "An ID-card number has 17 digits followed by a digit or X."),
        (6, "phone", "A mobile number has 11 digits and starts with 1, e.g. 13812345678."),
        (7, "grid_code", "No grid has this code."),
        (8, "is_elderly", "Write 1 or 0 (是 or 否)."),
        (9, "id_card_number", "The same ID-card number is already on line 2."),
        (
            10,
            "household_code",
            "This household's address or grid differs from line 2, where the household first appears.",
        ),
        (11, "address", "Too long: at most 255 characters."),
        (12, "", "This row has 2 values, the header has 8."),
        (13, "household_code", "A household number has no spaces."),
    ]
    assert (dataset_import.created_count, dataset_import.rejected_count) == (1, 11)
    assert list(ResidentProfile.objects.values_list("full_name", flat=True)) == ["居民1"]
    assert list(Household.objects.values_list("household_code", flat=True)) == ["H1"]


def test_rows_outside_the_officers_area_are_rejected(imported, provider, tree):
    # Already registered in G2 (subdistrict S2), outside the S1 officer's area.
    elsewhere = ResidentFactory(
        household=HouseholdFactory(grid=tree.g2), id_card_number=valid_id_card(3, birth="19800101")
    )
    Household.objects.create(household_code="H9", address="江边", grid=tree.g2)
    rows = [
        person(1, grid="G1"),
        person(2, household="H2", grid="G2"),
        person(3, household="H3"),
        person(4, household="H9"),
    ]
    dataset_import = imported(csv_bytes(rows), actor=provider.officer_s1)

    assert rejections(dataset_import) == [
        (3, "grid_code", "This grid is outside the area your department covers."),
        (4, "id_card_number", "This resident is registered in a grid outside the area your department covers."),
        (5, "household_code", "This household is registered in a grid outside the area your department covers."),
    ]
    elsewhere.refresh_from_db()
    assert elsewhere.household.grid == tree.g2
    assert ResidentProfile.objects.count() == 2


def test_a_file_that_does_not_fit_is_refused_before_anything_is_stored(push, provider):
    with pytest.raises(ValidationError, match="Missing columns: id_card_number"):
        push(csv_bytes([["H1", "路", "G1", "甲"]], header=HEADER[:4]))
    with pytest.raises(ValidationError, match="Unknown columns: 血型"):
        push(csv_bytes([person(1) + ["A"]], header=[*HEADER, "血型"]))
    with pytest.raises(ValidationError, match="no rows"):
        push(csv_bytes([]))
    with pytest.raises(ValidationError, match=r"\.csv or \.jsonl"):
        push(csv_bytes([person(1)]), name="update.xlsx")
    assert not DatasetImport.objects.exists()
    assert not ImportSource.objects.exists()
    assert AuditEvent.objects.filter(action="exchange.import.refused").count() == 4


def test_only_an_officer_of_the_providing_department_may_import(push, provider, make_user, tree, orgs):
    content = csv_bytes([person(1)])
    for actor in (provider.outsider, make_user(Role.GRID_WORKER, tree.g1), make_user(Role.DISTRICT_LEADER, tree.d)):
        with pytest.raises(PermissionDenied):
            push(content, actor=actor)
    assert not DatasetImport.objects.exists()
    refused = AuditEvent.objects.filter(action="exchange.import.refused")
    assert refused.count() == 3
    assert {event.details["reason"] for event in refused} == {"forbidden"}


def test_the_stored_file_is_encrypted(push):
    dataset_import = push(csv_bytes([person(1)]))
    stored = ImportSource.objects.get(dataset_import=dataset_import).content
    assert valid_id_card(1, birth="19800101") not in stored
    assert "居民1".encode().hex() not in stored


# --- idempotency and resuming --------------------------------------------------------------------
def test_importing_the_same_file_twice_ends_with_the_same_data(imported):
    content = csv_bytes([person(n, household=f"H{n % 3}") for n in range(1, 11)])
    first = imported(content)
    after_first = snapshot()
    updated_at = dict(ResidentProfile.objects.values_list("pk", "updated_at"))

    second = imported(content)
    assert snapshot() == after_first
    assert (second.created_count, second.updated_count, second.unchanged_count) == (0, 0, 10)
    assert (first.created_count, first.updated_count) == (10, 0)
    # Nothing was rewritten: no row was touched by the second run.
    assert dict(ResidentProfile.objects.values_list("pk", "updated_at")) == updated_at
    assert Household.objects.count() == 3


def test_a_changed_row_updates_the_resident_found_by_id_number(imported, tree):
    imported(csv_bytes([person(1), person(2)]))
    before = ResidentProfile.objects.get(full_name="居民1")
    changed = imported(csv_bytes([person(1, name="居民一", household="H2", grid="G1b", alone="1"), person(2)]))
    assert (changed.created_count, changed.updated_count, changed.unchanged_count) == (0, 1, 1)
    after = ResidentProfile.objects.get(pk=before.pk)
    assert (after.full_name, after.household.household_code, after.household.grid, after.lives_alone) == (
        "居民一",
        "H2",
        tree.g1b,
        True,
    )
    # The ID number's ciphertext is kept; the phone (unchanged) too.
    assert (after.id_card_encrypted, after.phone_encrypted) == (before.id_card_encrypted, before.phone_encrypted)


def test_an_existing_registration_is_updated_not_doubled(imported, tree):
    registered = ResidentFactory(
        household=HouseholdFactory(grid=tree.g1), id_card_number=valid_id_card(1, birth="19800101")
    )
    dataset_import = imported(csv_bytes([person(1, name="新名字")]))
    assert (dataset_import.created_count, dataset_import.updated_count) == (0, 1)
    registered.refresh_from_db()
    assert (registered.full_name, registered.household.household_code) == ("新名字", "H1")
    assert ResidentProfile.objects.count() == 1


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(import_services, "BATCH_SIZE", 2)


@pytest.fixture
def blocking_constraint():
    """A real database constraint that refuses one name, so the batch holding it fails."""
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE residents_residentprofile ADD CONSTRAINT import_test_block CHECK (full_name <> '阻断')"
        )

    def lift():
        with connection.cursor() as cursor:
            # The test's transaction still holds deferred foreign-key checks; run them first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE residents_residentprofile DROP CONSTRAINT import_test_block")

    return lift


def test_a_failed_batch_rolls_back_alone_and_running_again_resumes(push, small_batches, blocking_constraint):
    rows = [person(n, household=f"H{n}") for n in range(1, 8)]
    rows[2][3] = "阻断"  # line 4, in batch 1 (lines 4–5)
    rows[3][4] = "bad id"  # line 5: rejected in the same batch
    content = csv_bytes(rows)
    dataset_import = push(content)

    dataset_import_run(import_id=dataset_import.pk)
    dataset_import.refresh_from_db()
    assert dataset_import.status == ImportStatus.FAILED
    batches = {b.number: b for b in dataset_import.batches.all()}
    assert [batches[n].status for n in range(4)] == ["done", "failed", "done", "done"]
    assert "import_test_block" in batches[1].error
    assert "阻断" not in batches[1].error
    # Batch 1 left nothing: neither its rows nor its rejection report; the other batches are in.
    assert set(ResidentProfile.objects.values_list("full_name", flat=True)) == {
        "居民1",
        "居民2",
        "居民5",
        "居民6",
        "居民7",
    }
    assert not dataset_import.rejections.exists()

    blocking_constraint()
    dataset_import_resume(actor=dataset_import.created_by, dataset_import=dataset_import)
    outcome = dataset_import_run(import_id=dataset_import.pk)
    dataset_import.refresh_from_db()
    assert (outcome.status, outcome.batches_done_now) == (ImportStatus.SUCCEEDED, 1)
    assert (dataset_import.created_count, dataset_import.rejected_count, dataset_import.runs) == (6, 1, 2)
    assert rejections(dataset_import) == [
        (5, "id_card_number", "An ID-card number has 17 digits followed by a digit or X.")
    ]
    resumed = snapshot()

    # A clean run of the same file over the result changes nothing: the data is that of one clean run.
    clean = push(content)
    dataset_import_run(import_id=clean.pk)
    clean.refresh_from_db()
    assert (clean.status, clean.unchanged_count, clean.rejected_count) == (ImportStatus.SUCCEEDED, 6, 1)
    assert snapshot() == resumed
    assert sorted(v[0] for v in resumed.values()) == sorted(["居民1", "居民2", "阻断", "居民5", "居民6", "居民7"])


def test_running_twice_is_harmless(push, small_batches):
    dataset_import = push(csv_bytes([person(n, household=f"H{n}") for n in range(1, 6)]))
    # A run that hands over after its first batch, then the redelivered task, then a late duplicate.
    first = dataset_import_run(import_id=dataset_import.pk, seconds=0)
    assert (first.status, first.batches_done_now, first.handed_over) == (ImportStatus.RUNNING, 1, True)
    assert ResidentProfile.objects.count() == 2
    second = dataset_import_run(import_id=dataset_import.pk)
    assert (second.status, second.batches_done_now) == (ImportStatus.SUCCEEDED, 2)
    assert dataset_import_run(import_id=dataset_import.pk) is None
    dataset_import.refresh_from_db()
    assert (dataset_import.created_count, ResidentProfile.objects.count()) == (5, 5)
    assert AuditEvent.objects.filter(action="exchange.import.finish", object_id=str(dataset_import.pk)).count() == 1
    assert list(dataset_import.batches.values_list("attempts", flat=True)) == [1, 1, 1]


def test_only_a_failed_import_can_be_run_again_and_only_by_its_department(imported, provider):
    dataset_import = imported(csv_bytes([person(1)]))
    with pytest.raises(ValidationError):
        dataset_import_resume(actor=provider.officer, dataset_import=dataset_import)
    DatasetImport.objects.filter(pk=dataset_import.pk).update(status=ImportStatus.FAILED)
    with pytest.raises(PermissionDenied):
        dataset_import_resume(actor=provider.outsider, dataset_import=dataset_import)
    assert ImportBatch.objects.filter(dataset_import=dataset_import, status="done").count() == 1


def test_an_import_whose_stored_file_was_altered_fails_with_the_reason(push):
    from exchange.imports.tasks import dataset_import_run_task

    dataset_import = push(csv_bytes([person(1)]))
    ImportSource.objects.filter(dataset_import=dataset_import).update(content="gAAAAAaltered")
    assert dataset_import_run_task(dataset_import.pk) == "failed"
    dataset_import.refresh_from_db()
    assert (dataset_import.status, dataset_import.message) == (ImportStatus.FAILED, "PersonalDataError")
    assert not ResidentProfile.objects.exists()
    finish = AuditEvent.objects.get(action="exchange.import.finish", object_id=str(dataset_import.pk))
    assert finish.details["status"] == "failed"
