from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from directory.models import Area
from security.models import AuditEvent
from services.answers import answers_validate
from services.models import Channel, RequestEvent, RequestStatus, RoutingRule, ServiceRequest
from services.services import routing_resolve

pytestmark = pytest.mark.django_db


def test_filing_routes_sets_deadlines_and_records(file_request, orgs, people, tree):
    before = timezone.now()
    request = file_request()
    assert request.status == RequestStatus.SUBMITTED
    assert request.public_id.startswith("SQ") and len(request.public_id) == 12
    assert request.handling_organisation == orgs.partner  # the S1 rule beats the district rule
    assert request.accept_due_at - before >= timedelta(hours=24) - timedelta(seconds=5)
    assert request.resolve_due_at - before >= timedelta(days=5) - timedelta(seconds=5)
    assert request.attributes == {"facility": "lift"}
    event = request.events.get()
    assert (event.kind, event.to_status, event.actor) == (RequestEvent.Kind.SUBMITTED, "submitted", people.resident)
    assert AuditEvent.objects.filter(action="request.file", object_id=str(request.pk)).exists()


def test_the_most_specific_routing_rule_wins(catalogue, orgs, tree):
    assert routing_resolve(service=catalogue.repair, grid=tree.g1) == orgs.partner
    assert routing_resolve(service=catalogue.repair, grid=tree.g2) == orgs.dept


def test_a_changed_routing_rule_routes_the_next_request(catalogue, orgs, tree, file_request):
    assert file_request().handling_organisation == orgs.partner
    # update() sends no signal, as a change made in another process sends none to this one.
    RoutingRule.objects.filter(service=catalogue.repair, area=tree.s1).update(organisation=orgs.dept)
    assert routing_resolve(service=catalogue.repair, grid=tree.g1) == orgs.dept
    assert file_request().handling_organisation == orgs.dept


def test_a_double_submit_files_one_request(file_request):
    first = file_request(submission_key="form-123")
    second = file_request(submission_key="form-123")
    assert first.pk == second.pk
    assert ServiceRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"description": ""}, "description", "describe"),
        ({"description": "字" * 4001}, "description", "4000"),
        ({"answers": {}}, "facility", "needs an answer"),
        ({"answers": {"facility": "roof"}}, "facility", "listed options"),
        ({"answers": {"facility": "lift", "floors": "three"}}, "floors", "number"),
        ({"answers": {"facility": "lift", "needs": ["a", "zzz"]}}, "needs", "listed options"),
        ({"answers": {"facility": "lift", "needs": ["a", "a"]}}, "needs", "at most once"),
        ({"answers": {"facility": "lift", "needs": ["a", "b"] * 5000}}, "needs", "at most once"),
        ({"grid": None}, "location", "Say where"),
        ({"grid": None, "lat": Decimal("39.9"), "lng": Decimal("116.4")}, "location", "outside Shunqing"),
        ({"contact_phone": "123"}, "contact_phone", "11 digits"),
    ],
)
def test_bad_input_is_explained_per_field_and_saves_nothing(file_request, overrides, field, message):
    with pytest.raises(ValidationError) as caught:
        file_request(**overrides)
    assert field in caught.value.message_dict
    assert message in " ".join(caught.value.message_dict[field])
    assert ServiceRequest.objects.count() == 0
    assert not AuditEvent.objects.filter(action="request.file").exists()


def test_all_field_errors_come_together(file_request):
    with pytest.raises(ValidationError) as caught:
        file_request(description="", answers={}, grid=None)
    assert {"description", "facility", "location"} <= set(caught.value.message_dict)


def test_a_position_is_placed_in_the_nearest_grid(file_request, tree):
    Area.objects.filter(pk=tree.g1.pk).update(centre_lat=Decimal("30.8"), centre_lng=Decimal("106.1"))
    Area.objects.filter(pk=tree.g2.pk).update(centre_lat=Decimal("30.9"), centre_lng=Decimal("106.2"))
    request = file_request(grid=None, lat=Decimal("30.8010"), lng=Decimal("106.1010"))
    assert request.grid == tree.g1


def test_a_boundary_decides_before_distance(file_request, tree):
    square = {
        "type": "Polygon",
        "coordinates": [[[106.0, 30.0], [107.0, 30.0], [107.0, 31.0], [106.0, 31.0], [106.0, 30.0]]],
    }
    Area.objects.filter(pk=tree.g2.pk).update(boundary=square)
    Area.objects.filter(pk=tree.g1.pk).update(centre_lat=Decimal("30.5"), centre_lng=Decimal("106.5"))
    request = file_request(grid=None, lat=Decimal("30.5"), lng=Decimal("106.5"))
    assert request.grid == tree.g2


def test_residents_file_only_for_themselves(file_request, people):
    with pytest.raises(PermissionDenied):
        file_request(requester=people.other_resident)
    with pytest.raises(PermissionDenied):
        file_request(requester=None)


def test_staff_file_on_behalf_of_a_caller(file_request, people):
    request = file_request(
        actor=people.worker, requester=None, channel=Channel.PHONE, contact_name="王大爷", contact_phone="13800001111"
    )
    assert request.filed_by == people.worker
    assert request.contact_phone_masked == "138****1111"
    assert "13800001111" not in request.contact_phone_encrypted


def test_staff_outside_the_grid_cannot_file_there(file_request, people):
    with pytest.raises(PermissionDenied):
        file_request(actor=people.worker_g2, requester=None, channel=Channel.PHONE)


def test_answers_are_cleaned(catalogue):
    cleaned = answers_validate(
        service=catalogue.repair, raw={"facility": ["door"], "floors": " 3.50 ", "needs": ["a", "b"], "stray": "x"}
    )
    assert cleaned == {"facility": "door", "floors": "3.50", "needs": ["a", "b"]}
