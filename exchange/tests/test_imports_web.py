"""The import pages and the import API: who may push a file and see an import, the progress page,
the downloadable report of rejected rows, and outsiders (another department, a partner's key, a key
without the scope, a revoked key, no key, anonymous visitors)."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from exchange.imports.services import dataset_import_run
from exchange.models import DatasetImport, ImportChannel, ImportStatus
from exchange.services import dataset_define
from exchange.tests import test_imports as shared
from exchange.tests.test_imports import csv_bytes, person
from residents.models import ResidentProfile
from security.api_keys import api_key_revoke
from security.models import AuditEvent, Role

pytestmark = pytest.mark.django_db

# The fixtures of the import tests, shared (exchange/tests/conftest.py belongs to the exchange tests).
provider, push, imported = shared.provider, shared.push, shared.imported

GOOD_AND_BAD = csv_bytes([person(1), person(2, name=""), person(3, household="H3", grid="NOPE")])


def report_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def key_client(consumer_api, provider):
    """key_client(officer=…, organisation=…, scopes=…) → an API client with a fresh key, by default
    the provider's with the import scope (consumer_api of the exchange tests makes it)."""

    def make(officer=None, organisation=None, scopes=("exchange:import",)):
        return consumer_api(officer or provider.officer, organisation or provider.organisation, scopes)

    return make


def upload(content=GOOD_AND_BAD, name="update.csv"):
    return {"file": SimpleUploadedFile(name, content, content_type="text/csv")}


# --- the pages -----------------------------------------------------------------------------------
def test_an_officer_uploads_a_file_and_follows_it_to_the_end(client, login, provider):
    login(provider.officer)
    page = client.get(reverse("exchange:import_list"))
    assert page.status_code == 200
    assert "Resident roster" in page.content.decode() or "常住居民花名册" in page.content.decode()

    response = client.post(reverse("exchange:import_list"), {"target": provider.dataset.pk, **upload()})
    dataset_import = DatasetImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("exchange:import_detail", args=[dataset_import.public_id])
    assert (dataset_import.channel, dataset_import.created_by) == (ImportChannel.UPLOAD, provider.officer)

    # While it runs the page follows it: a script reloads it (and can be paused), a link without scripts.
    waiting = client.get(response["Location"]).content.decode()
    assert 'data-auto-refresh="3"' in waiting and "portal/auto_refresh.js" in waiting
    assert f'href="{response["Location"]}">立即刷新</a>' in waiting  # "refresh now"
    assert 'http-equiv="refresh"' not in waiting  # a meta refresh cannot be paused (axe: critical)

    dataset_import_run(import_id=dataset_import.pk)
    done = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    text = done.content.decode()
    assert "data-auto-refresh" not in text and "auto_refresh.js" not in text
    assert 'value="100"' in text  # the progress bar is full
    assert "This field is required." in text
    assert reverse("exchange:import_report", args=[dataset_import.public_id]) in text


def test_the_page_speaks_chinese_first(client, login, imported, provider):
    dataset_import = imported(GOOD_AND_BAD)
    login(provider.officer)
    text = client.get(reverse("exchange:import_detail", args=[dataset_import.public_id])).content.decode()
    assert 'lang="zh-hans"' in text


def test_a_bad_file_is_explained_on_the_page_and_nothing_is_stored(client, login, provider):
    login(provider.officer)
    response = client.post(
        reverse("exchange:import_list"),
        {"target": provider.dataset.pk, **upload(csv_bytes([["x"]], header=["血型"]))},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Unknown columns: 血型" in response.content.decode()
    assert not DatasetImport.objects.exists()


def test_the_report_lists_every_rejected_row_with_its_line(client, login, imported, provider):
    dataset_import = imported(GOOD_AND_BAD)
    login(provider.officer)
    response = client.get(reverse("exchange:import_report", args=[dataset_import.public_id]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert report_rows(response) == [
        ["Line", "Column", "Reason"],
        ["3", "full_name", "This field is required."],
        ["4", "grid_code", "No grid has this code."],
    ]


def test_a_failed_import_can_be_run_again_from_its_page(client, login, imported, provider):
    dataset_import = imported(GOOD_AND_BAD)
    detail = reverse("exchange:import_detail", args=[dataset_import.public_id])
    resume = reverse("exchange:import_resume", args=[dataset_import.public_id])
    login(provider.officer)
    assert resume not in client.get(detail).content.decode()  # done: nothing to run again
    DatasetImport.objects.filter(pk=dataset_import.pk).update(status=ImportStatus.FAILED)
    assert resume in client.get(detail).content.decode()
    response = client.post(reverse("exchange:import_resume", args=[dataset_import.public_id]))
    assert response.status_code == 302
    dataset_import.refresh_from_db()
    assert dataset_import.status == ImportStatus.PENDING
    assert AuditEvent.objects.filter(action="exchange.import.resume", actor=provider.officer).exists()


def test_outsiders_see_no_import_and_no_report(client, login, imported, provider, make_user, tree, orgs):
    dataset_import = imported(GOOD_AND_BAD)
    pages = [
        reverse("exchange:import_detail", args=[dataset_import.public_id]),
        reverse("exchange:import_report", args=[dataset_import.public_id]),
    ]
    login(provider.outsider)  # an officer of another department
    for url in pages:
        assert client.get(url).status_code == 404
    assert client.post(reverse("exchange:import_resume", args=[dataset_import.public_id])).status_code == 404
    listing = client.get(reverse("exchange:import_list")).content.decode()
    assert str(dataset_import.public_id) not in listing
    assert "update.csv" not in listing
    for user in (make_user(Role.GRID_WORKER, tree.g1), make_user(Role.PARTNER_OPERATOR, tree.s1, orgs.partner)):
        login(user)
        for url in [reverse("exchange:import_list"), *pages]:
            assert client.get(url).status_code == 403
    client.logout()
    for url in [reverse("exchange:import_list"), *pages]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_another_departments_officer_cannot_upload(client, login, provider):
    login(provider.outsider)
    response = client.post(reverse("exchange:import_list"), {"target": provider.dataset.pk, **upload()})
    assert response.status_code == 200
    assert not DatasetImport.objects.exists()
    assert not ResidentProfile.objects.exists()


def test_the_list_page_makes_the_same_queries_for_many_imports(
    client, login, push, provider, django_assert_max_num_queries
):
    login(provider.officer)
    push(GOOD_AND_BAD)
    url = reverse("exchange:import_list")
    client.get(url)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for _ in range(5):
        push(GOOD_AND_BAD)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).content.decode().count("update.csv") == 6


# --- the API -------------------------------------------------------------------------------------
def test_a_department_system_pushes_a_file_and_reads_its_status_and_report(key_client, provider):
    api = key_client()
    response = api.post(f"/exchange/api/v1/imports/{provider.dataset.code}/", upload(), format="multipart")
    assert response.status_code == 202, response.content
    body = response.json()
    dataset_import = DatasetImport.objects.get(public_id=body["id"])
    assert (dataset_import.channel, dataset_import.organisation) == (ImportChannel.API, provider.organisation)
    assert body["status"] == "pending"

    dataset_import_run(import_id=dataset_import.pk)
    status = api.get(body["status_url"])
    assert status.status_code == 200
    assert {k: status.json()[k] for k in ("status", "total_rows", "rows_done", "created", "rejected", "percent")} == {
        "status": "succeeded",
        "total_rows": 3,
        "rows_done": 3,
        "created": 1,
        "rejected": 2,
        "percent": 100,
    }
    report = api.get(body["rejections_url"])
    assert report.status_code == 200
    assert [row[0] for row in report_rows(report)] == ["Line", "3", "4"]
    assert AuditEvent.objects.filter(action="api.call", object_id=str(api.key.pk)).count() == 3


def test_a_bad_file_by_api_is_refused_with_its_reason(key_client, provider):
    api = key_client()
    response = api.post(
        f"/exchange/api/v1/imports/{provider.dataset.code}/",
        upload(csv_bytes([["H1"]], header=["household_code"])),
        format="multipart",
    )
    assert response.status_code == 400
    assert "Missing columns" in response.json()["file"][0]
    assert api.post(f"/exchange/api/v1/imports/{provider.dataset.code}/", {}, format="multipart").status_code == 400
    assert not DatasetImport.objects.exists()


def test_api_outsiders_are_refused_and_nothing_is_stored(key_client, provider, make_user, tree, orgs):
    url = f"/exchange/api/v1/imports/{provider.dataset.code}/"
    # Another department's key, with the scope: not the dataset's provider.
    other = key_client(officer=provider.outsider, organisation=orgs.dept_other)
    response = other.post(url, upload(), format="multipart")
    assert response.status_code == 403
    assert "Only the department that provides this dataset" in response.json()["detail"]
    refused = AuditEvent.objects.get(action="exchange.import.refused")
    assert (refused.actor, refused.details["organisation"]) == (provider.outsider, orgs.dept_other.code)
    # The provider's own key without the import scope.
    assert key_client(scopes=("exchange:fetch",)).post(url, upload(), format="multipart").status_code == 403
    # A partner's key.
    partner = key_client(
        officer=make_user(Role.PARTNER_OPERATOR, tree.s1, orgs.partner),
        organisation=orgs.partner,
        scopes=("workorders:read",),
    )
    assert partner.post(url, upload(), format="multipart").status_code == 403
    # A revoked key.
    revoked = key_client()
    api_key_revoke(actor=provider.officer, key=revoked.key)
    assert revoked.post(url, upload(), format="multipart").status_code in (401, 403)
    # No key at all.
    assert APIClient().post(url, upload(), format="multipart").status_code in (401, 403)
    # A dataset the department provides that takes no imports.
    dataset_define(code="request-stats", provider=provider.organisation)
    assert key_client().post("/exchange/api/v1/imports/request-stats/", upload(), format="multipart").status_code == 404
    assert not DatasetImport.objects.exists()


def test_another_organisations_import_is_not_found_by_api(key_client, imported, provider, orgs):
    dataset_import = imported(GOOD_AND_BAD)
    other = key_client(officer=provider.outsider, organisation=orgs.dept_other)
    assert other.get(f"/exchange/api/v1/imports/{dataset_import.public_id}/").status_code == 404
    assert other.get(f"/exchange/api/v1/imports/{dataset_import.public_id}/rejected-rows/").status_code == 404
    own = key_client()
    assert own.get(f"/exchange/api/v1/imports/{dataset_import.public_id}/").status_code == 200
