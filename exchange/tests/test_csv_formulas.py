"""CSV the exchange writes opens in a spreadsheet without running anything in it (issue 15): a
value starting like a formula gets the apostrophe dashboard exports give it (core.spreadsheet)."""

import csv
import io
import json

import pytest

from core.spreadsheet import FORMULA_STARTS
from exchange.datasets import Row
from exchange.import_models import ImportRejection
from exchange.imports.views import rejection_report_response
from exchange.payloads import payload_path, write_payload
from exchange.services import exchange_job_request, exchange_job_run
from exchange.tests.test_imports import csv_bytes, imported, person, provider, push  # noqa: F401 -- fixtures
from tests.factories import HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\t=1+2", "\r=1+2"]


def _run(agreement, actor):
    job = exchange_job_request(actor=actor, agreement=agreement)
    return exchange_job_run(job_id=job.pk)


# Names are stripped when registered, so the tab and carriage return go straight to the writer.
TYPED = FORMULAS[:4]


def test_a_csv_payload_never_starts_a_formula(active, parties, tree):
    for name in TYPED:
        ResidentFactory(household=HouseholdFactory(grid=tree.g1), full_name=name)
    entry = _run(active(payload_format="csv"), parties.consumer_officer)
    rows = list(csv.reader(io.StringIO(payload_path(entry.payload_name).read_bytes().decode(), newline="")))
    names = [row[rows[0].index("full_name")] for row in rows[1:]]
    assert {"'" + name for name in TYPED} <= set(names)
    assert not any(name.startswith(FORMULA_STARTS) for name in names)


def test_the_csv_writer_guards_every_cell(settings, tmp_path):
    settings.EXCHANGE_PAYLOAD_DIR = str(tmp_path)
    rows = [Row(values={"value": value, "count": -3}) for value in FORMULAS]
    written = write_payload(name="probe.csv", payload_format="csv", fields=["value", "count"], rows=rows)
    read = list(csv.reader(io.StringIO(written.temp_path.read_bytes().decode(), newline="")))
    assert read[1:] == [["'" + value, "-3"] for value in FORMULAS]


def test_a_carriage_return_inside_a_value_does_not_start_a_row(settings, tmp_path):
    settings.EXCHANGE_PAYLOAD_DIR = str(tmp_path)
    rows = [Row(values={"value": "a\r=1+2", "count": 1})]
    written = write_payload(name="probe.csv", payload_format="csv", fields=["value", "count"], rows=rows)
    read = list(csv.reader(io.StringIO(written.temp_path.read_bytes().decode(), newline="")))
    assert read == [["value", "count"], ["a\r=1+2", "1"]]


def test_json_lines_payloads_carry_the_values_as_they_are(settings, tmp_path):
    settings.EXCHANGE_PAYLOAD_DIR = str(tmp_path)
    rows = [Row(values={"value": value}) for value in FORMULAS]
    written = write_payload(name="probe.jsonl", payload_format="jsonl", fields=["value"], rows=rows)
    assert [json.loads(line)["value"] for line in written.temp_path.read_text().splitlines()] == FORMULAS


def test_the_rejected_rows_report_never_starts_a_formula(imported):  # noqa: F811
    dataset_import = imported(csv_bytes([person(1, name="")]))
    # No message of ours starts like a formula today; the report is guarded all the same.
    ImportRejection.objects.create(dataset_import=dataset_import, batch_number=1, line=9, field="", reason="=1+2")
    body = b"".join(rejection_report_response(dataset_import).streaming_content).decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    assert "'=1+2" in cells
    assert not any(cell.startswith(FORMULA_STARTS) for cell in cells)
