import pytest

from security.models import AuditEvent

pytestmark = pytest.mark.django_db

LIST = "/api/v1/work-orders/"


def test_too_many_calls_answer_429_with_retry_after(partner_api, api_as, people, orgs, settings):
    settings.API_RATE_LIMIT = "3/min"
    for _ in range(3):
        assert partner_api.get(LIST).status_code == 200
    response = partner_api.get(LIST)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    # Counted per key: another key (of another partner) still gets through.
    assert api_as(people.partner_other, orgs.partner_other).get(LIST).status_code == 200


def test_every_call_is_audited(partner_api, people, file_request):
    order = file_request()
    before = AuditEvent.objects.filter(action="api.call").count()
    partner_api.get(f"/api/v1/work-orders/{order.public_id}/")
    partner_api.get("/api/v1/work-orders/SQ0000000000/")
    events = list(AuditEvent.objects.filter(action="api.call").order_by("id")[before:])
    assert [event.details for event in events] == [
        {"method": "GET", "path": f"/api/v1/work-orders/{order.public_id}/", "status": 200},
        {"method": "GET", "path": "/api/v1/work-orders/SQ0000000000/", "status": 404},
    ]
    assert {(event.actor, event.object_id, event.object_type) for event in events} == {
        (people.partner, str(partner_api.key.pk), "security.ApiKey")
    }


def test_a_step_leaves_both_the_call_and_the_change_in_the_audit_log(partner_api, file_request):
    order = file_request()
    partner_api.post(f"/api/v1/work-orders/{order.public_id}/accept/", {}, format="json")
    actions = list(AuditEvent.objects.order_by("-id").values_list("action", flat=True)[:2])
    assert actions == ["api.call", "request.accepted"]
