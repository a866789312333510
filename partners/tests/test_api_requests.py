import pytest

from security.models import ApiScope
from services.models import ServiceRequest

pytestmark = pytest.mark.django_db

SUBMIT = "/api/v1/requests/"


def body(**overrides):
    return {
        "service": "repair",
        "description": "热线来电：3栋电梯停运",
        "answers": {"facility": "lift", "floors": 3},
        "grid": "G1",
        "address": "人民路1号3栋",
        "contact_name": "李阿姨",
        "contact_phone": "138 0000 1234",
    } | overrides


def test_a_partner_files_for_a_resident(partner_api, catalogue, people):
    response = partner_api.post(SUBMIT, body(), format="json")
    assert response.status_code == 201, response.json()
    answer = response.json()
    filed = ServiceRequest.objects.get()
    assert answer["public_id"] == filed.public_id
    assert (answer["status"], answer["service"], answer["grid"]) == ("submitted", "repair", "G1")
    assert answer["is_work_order"] is True  # repair in S1 is routed to this partner
    assert (filed.channel, filed.requester, filed.filed_by) == ("api", None, people.partner)
    assert filed.attributes == {"facility": "lift", "floors": "3"}
    detail = partner_api.get(f"/api/v1/work-orders/{filed.public_id}/").json()
    assert (detail["contact_name"], detail["contact_phone"]) == ("李阿姨", "138****1234")


def test_a_request_routed_elsewhere_is_not_a_work_order(partner_api, catalogue, tree):
    response = partner_api.post(SUBMIT, body(grid="G2"), format="json")
    assert response.status_code == 201
    assert response.json()["is_work_order"] is False
    assert partner_api.get(f"/api/v1/work-orders/{response.json()['public_id']}/").status_code == 404


def test_the_same_idempotency_key_files_once(partner_api, catalogue):
    first = partner_api.post(SUBMIT, body(), format="json", HTTP_IDEMPOTENCY_KEY="hotline-20260501-0042")
    again = partner_api.post(SUBMIT, body(), format="json", HTTP_IDEMPOTENCY_KEY="hotline-20260501-0042")
    other = partner_api.post(SUBMIT, body(), format="json", HTTP_IDEMPOTENCY_KEY="hotline-20260501-0043")
    assert first.json()["public_id"] == again.json()["public_id"] != other.json()["public_id"]
    assert ServiceRequest.objects.count() == 2


@pytest.mark.parametrize("value", ["x" * 65, "with space"])
def test_a_malformed_idempotency_key_is_refused(partner_api, catalogue, value):
    response = partner_api.post(SUBMIT, body(), format="json", HTTP_IDEMPOTENCY_KEY=value)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"service": "no-such-service"}, "service"),
        ({"description": " "}, "description"),
        ({"answers": {"facility": "roof"}}, "facility"),
        ({"answers": {}}, "facility"),
        ({"answers": {"facility": {"nested": 1}}}, "answers"),
        ({"answers": {"facility": "lift\x00"}}, "answers"),
        ({"answers": {"facility": "lift", "needs": ["a"] * 10_000}}, "needs"),
        ({"description": "nul\x00byte"}, "description"),
        ({"grid": "NOWHERE"}, "grid"),
        ({"grid": "C1"}, "location"),
        ({"grid": None, "lat": "30.8"}, "location"),
        ({"grid": None, "lat": 95, "lng": 106}, "location"),
        ({"contact_phone": "12345"}, "contact_phone"),
    ],
)
def test_what_the_service_refuses_answers_400_by_field(partner_api, catalogue, overrides, field):
    response = partner_api.post(SUBMIT, body(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not ServiceRequest.objects.exists()


def test_filing_needs_its_scope(api_as, people, orgs, catalogue):
    reader = api_as(people.partner, orgs.partner, [ApiScope.READ_WORK_ORDERS])
    assert reader.post(SUBMIT, body(), format="json").status_code == 403
    assert not ServiceRequest.objects.exists()


def test_filing_without_a_key_is_401(client, catalogue):
    assert client.post(SUBMIT, body(), content_type="application/json").status_code == 401


@pytest.mark.parametrize(
    "raw_answers",
    [
        '{"\\ud800": {}}',  # a lone surrogate as a question code: answered with a 500 once
        '{"facility": "lift", "notes": "\\ud800"}',
        '{"facility": ["lift", "\\u0000"]}',
    ],
)
def test_answers_postgresql_cannot_store_are_refused(partner_api, catalogue, raw_answers):
    raw = f'{{"service": "repair", "description": "x", "grid": "G1", "answers": {raw_answers}}}'
    response = partner_api.generic("POST", SUBMIT, raw.encode(), content_type="application/json")
    assert response.status_code == 400
    assert "answers" in response.json()
    assert not ServiceRequest.objects.exists()
