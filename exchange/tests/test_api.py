"""The exchange API: a consumer's system lists its exchanges, fetches payloads it can verify with
the provider's public key, asks for runs; everything else is refused, explained and audited."""

import base64
import hashlib
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.exceptions import ValidationError
from django.utils import timezone

from exchange.models import DeliveryAttempt, ExchangeJob, SharingAgreement
from exchange.payloads import payload_path
from exchange.services import agreement_revoke, exchange_job_request, exchange_job_run
from security.api_keys import api_key_create
from security.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged(active, residents, parties):
    agreement = active()
    job = exchange_job_request(actor=parties.consumer_officer, agreement=agreement)
    return exchange_job_run(job_id=job.pk)


def payload_url(entry):
    return f"/exchange/api/v1/exchanges/{entry.job.public_id}/payload/"


def refusal(code):
    return AuditEvent.objects.filter(details__reason=code).latest("id")


def test_the_consumer_fetches_a_payload_it_can_verify(consumer_api, logged, residents):
    api = consumer_api()
    listing = api.get("/exchange/api/v1/exchanges/")
    assert listing.status_code == 200
    [item] = listing.json()["results"]
    assert item["job"] == str(logged.job.public_id) and item["record_count"] == 2

    response = api.get(payload_url(logged))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    manifest = base64.b64decode(response["X-Exchange-Manifest"])
    assert manifest == base64.b64decode(item["manifest"])
    public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(item["public_key"]))
    public_key.verify(base64.b64decode(response["X-Exchange-Signature"]), manifest)  # raises if wrong
    assert json.loads(manifest)["payload_sha256"] == hashlib.sha256(body).hexdigest()
    assert {json.loads(line)["resident_id"] for line in body.decode().splitlines()} == {
        str(residents.r1.public_id),
        str(residents.r1b.public_id),
    }
    assert DeliveryAttempt.objects.filter(entry=logged, kind="fetch", ok=True).count() == 1
    assert AuditEvent.objects.filter(action="exchange.fetch", object_id=str(logged.job.pk)).exists()


def test_a_tampered_payload_is_withheld(consumer_api, logged):
    path = payload_path(logged.payload_name)
    path.write_bytes(path.read_bytes().replace(b"1", b"2"))
    response = consumer_api().get(payload_url(logged))
    assert response.status_code == 409
    assert "does not match its signed hash" in response.json()["detail"]
    assert refusal("tampered").action == "exchange.fetch.refused"
    assert not DeliveryAttempt.objects.exists()


def test_a_wrong_signature_is_withheld(consumer_api, logged):
    from tests.tampering import rewrite_as_database_superuser

    forged = base64.b64encode(b"\x00" * 64).decode()
    rewrite_as_database_superuser(
        "UPDATE exchange_messagelogentry SET signature = %s WHERE id = %s", [forged, logged.pk]
    )
    response = consumer_api().get(payload_url(logged))
    assert response.status_code == 409
    assert "signature does not verify" in response.json()["detail"]
    assert refusal("tampered")


@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_nothing_is_fetched_after_the_agreement_ends(consumer_api, logged, parties, how):
    if how == "revoked":
        agreement_revoke(actor=parties.provider_officer, agreement=logged.agreement, reason="停止共享")
    else:
        SharingAgreement.objects.filter(pk=logged.agreement_id).update(valid_to=timezone.now())
    response = consumer_api().get(payload_url(logged))
    assert response.status_code == 403
    assert how[:6] in response.json()["detail"]
    assert refusal("not_in_force").action == "exchange.fetch.refused"


def test_an_unknown_payload_or_another_consumers_is_not_found(consumer_api, logged, parties):
    import uuid

    outsider = consumer_api(officer=parties.third_officer, organisation=parties.third)
    for api, url in (
        (consumer_api(), f"/exchange/api/v1/exchanges/{uuid.uuid4()}/payload/"),
        (outsider, payload_url(logged)),
    ):
        response = api.get(url)
        assert response.status_code == 404
        assert "No exchange with this number" in response.json()["detail"]
    assert AuditEvent.objects.filter(action="exchange.fetch.refused", details__reason="not_found").count() == 2
    assert outsider.get("/exchange/api/v1/exchanges/").json() == {"results": []}


def test_the_provider_cannot_fetch_as_consumer(consumer_api, logged, parties):
    api = consumer_api(officer=parties.provider_officer, organisation=parties.provider)
    assert api.get(payload_url(logged)).status_code == 404


def test_a_run_is_asked_for_with_fewer_fields_but_never_more(consumer_api, active, parties):
    agreement = active()
    api = consumer_api()
    url = f"/exchange/api/v1/agreements/{agreement.public_id}/runs/"
    response = api.post(url, {"fields": ["grid_code"]}, format="json")
    assert response.status_code == 202
    assert ExchangeJob.objects.get(public_id=response.json()["job"]).fields == ["grid_code"]

    response = api.post(url, {"fields": ["id_card_number"]}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "field_not_allowed" and "id_card_number" in response.json()["detail"]
    assert ExchangeJob.objects.count() == 1


def test_a_consumer_without_an_agreement_is_refused(consumer_api, active, parties):
    agreement = active()
    api = consumer_api(officer=parties.third_officer, organisation=parties.third)
    response = api.post(f"/exchange/api/v1/agreements/{agreement.public_id}/runs/", {}, format="json")
    assert response.status_code == 404
    assert "no agreement" in response.json()["detail"]
    assert not ExchangeJob.objects.exists()
    assert refusal("not_found").action == "exchange.job.refused"


def test_calls_need_a_department_key_with_the_scope(client, consumer_api, logged, parties):
    assert client.get("/exchange/api/v1/exchanges/").status_code == 403
    assert client.get(payload_url(logged), HTTP_X_API_KEY="sq_nope_nope").status_code == 403
    importer = consumer_api(scopes=("exchange:import",))
    assert importer.get("/exchange/api/v1/exchanges/").status_code == 403


def test_only_departments_hold_exchange_scopes(people, orgs):
    with pytest.raises(ValidationError) as caught:
        api_key_create(
            actor=people.partner,
            organisation=orgs.partner,
            name="x",
            scopes=["exchange:fetch"],
            expires_at=timezone.now() + timedelta(days=5),
        )
    assert "scopes" in caught.value.message_dict
    with pytest.raises(ValidationError):
        api_key_create(
            actor=people.dept,
            organisation=orgs.dept,
            name="x",
            scopes=["workorders:read"],
            expires_at=timezone.now() + timedelta(days=5),
        )


def test_the_list_costs_the_same_queries_for_many_entries(consumer_api, active, residents, parties):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agreement = active()
    api = consumer_api()

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/exchange/api/v1/exchanges/").status_code == 200
        return len(captured)

    exchange_job_run(job_id=exchange_job_request(actor=parties.consumer_officer, agreement=agreement).pk)
    queries()  # the key's first use records its time
    few = queries()
    for _ in range(3):
        exchange_job_run(job_id=exchange_job_request(actor=parties.consumer_officer, agreement=agreement).pk)
    assert queries() == few
