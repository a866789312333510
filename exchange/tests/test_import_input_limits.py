"""Import files the database could not store, or JSON Lines nested past reason (issue 15): refused
with a reason, never a failed job."""

import json

import pytest
from django.core.exceptions import ValidationError

from exchange.models import DatasetImport, ImportStatus
from exchange.tests.test_imports import HEADER, csv_bytes, imported, person, provider, push  # noqa: F401
from residents.models import ResidentProfile

pytestmark = pytest.mark.django_db


def test_a_file_holding_a_nul_is_refused_before_anything_is_stored(push):  # noqa: F811
    with pytest.raises(ValidationError, match="NUL"):
        push(csv_bytes([person(1, name="居\x00民")]))
    assert not DatasetImport.objects.exists()


def test_a_json_line_nested_too_deep_or_holding_a_nul_is_a_rejected_row(imported):  # noqa: F811
    good = json.dumps(dict(zip(HEADER, person(1), strict=True)), ensure_ascii=False)
    deep = '{"full_name": ' + "[" * 5000 + "]" * 5000 + "}"
    escaped_nul = json.dumps(dict(zip(HEADER, person(2, name="居\x00民"), strict=True)), ensure_ascii=False)
    dataset_import = imported("\n".join([good, deep, escaped_nul]).encode(), name="update.jsonl")
    assert dataset_import.status == ImportStatus.SUCCEEDED
    assert (dataset_import.created_count, dataset_import.rejected_count) == (1, 2)
    reasons = list(dataset_import.rejections.order_by("line").values_list("line", "reason"))
    refused = "This line nests too deeply or holds a NUL character."
    assert reasons == [(2, refused), (3, refused)]
    assert ResidentProfile.objects.count() == 1
