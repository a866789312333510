"""Saying "me too" instead of filing twice, and merging duplicates."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from directory.models import Area
from services import services as steps
from services.models import RequestSupport, ServiceRequest
from services.selectors import nearby_open_requests, requests_for_user
from tests.factories import AreaFactory

pytestmark = pytest.mark.django_db


def test_nearby_finds_open_public_requests_of_the_same_service(file_request, catalogue, people, tree):
    same_grid = file_request()
    private = file_request(is_public=False)
    other_grid = file_request(actor=people.worker_g1b, requester=None, grid=tree.g1b, channel="phone")
    found = nearby_open_requests(service=catalogue.repair, grid=tree.g1, exclude_requester=people.other_resident)
    assert found == [same_grid]
    assert private not in found and other_grid not in found


def test_nearby_by_distance_reaches_across_grids(file_request, catalogue, people, tree):
    here = file_request(lat=Decimal("30.800000"), lng=Decimal("106.100000"))
    close = nearby_open_requests(
        service=catalogue.repair, grid=None, lat=Decimal("30.801000"), lng=Decimal("106.100500")
    )
    far = nearby_open_requests(service=catalogue.repair, grid=None, lat=Decimal("30.810000"), lng=Decimal("106.100000"))
    assert close == [here]
    assert far == []


def test_me_too_makes_a_follower_once(file_request, people):
    request = file_request()
    assert steps.request_support(request=request, actor=people.other_resident) is True
    assert steps.request_support(request=request, actor=people.other_resident) is False
    assert RequestSupport.objects.filter(request=request).count() == 1
    # Following is not seeing: the supporter gets the public view only (see test_privacy).
    assert request not in requests_for_user(user=people.other_resident)
    with pytest.raises(ValidationError, match="your own"):
        steps.request_support(request=request, actor=people.resident)


def test_me_too_on_a_finished_request_is_refused(file_request, people):
    request = file_request()
    steps.request_reject(request=request, actor=people.worker, reason="重复")
    with pytest.raises(ValidationError, match="not open"):
        steps.request_support(request=request, actor=people.other_resident)


def test_the_form_offers_me_too_before_filing_a_second_one(client, login, people, file_request, tree):
    existing = file_request()
    login(people.other_resident)
    form = {"description": "电梯又坏了", "attr_facility": "lift", "grid": tree.g1.pk, "submission_key": "n1"}
    response = client.post("/requests/new/repair/", form)
    assert response.status_code == 200
    assert [r.pk for r in response.context["nearby"]] == [existing.pk]
    assert ServiceRequest.objects.count() == 1
    client.post(f"/requests/{existing.public_id}/support/")
    assert RequestSupport.objects.filter(request=existing, user=people.other_resident).exists()
    assert client.get(f"/requests/{existing.public_id}/").status_code == 200
    response = client.post("/requests/new/repair/", form | {"confirm_new": "1", "submission_key": "n2"})
    assert response.status_code == 302
    assert ServiceRequest.objects.count() == 2


def test_merge_closes_the_duplicate_and_moves_its_people(file_request, people):
    original = file_request()
    duplicate = file_request(actor=people.other_resident, requester=people.other_resident)
    steps.request_merge(request=duplicate, into=original, actor=people.worker)
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == ("closed", original)
    assert RequestSupport.objects.filter(request=original, user=people.other_resident).exists()
    assert duplicate.events.filter(kind="merged").exists()


def test_merge_rules(file_request, people, tree):
    original = file_request()
    duplicate = file_request()
    with pytest.raises(ValidationError, match="itself"):
        steps.request_merge(request=original, into=original, actor=people.worker)
    with pytest.raises(PermissionDenied):
        steps.request_merge(request=duplicate, into=original, actor=people.worker_g2)
    steps.request_reject(request=original, actor=people.worker, reason="x")
    with pytest.raises(ValidationError, match="still open"):
        steps.request_merge(request=duplicate, into=original, actor=people.worker)
    assert ServiceRequest.objects.get(pk=duplicate.pk).status == "submitted"


def test_merge_through_the_page(client, login, people, file_request):
    original = file_request()
    duplicate = file_request()
    login(people.worker)
    client.post(f"/requests/{duplicate.public_id}/merge/", {"into": original.public_id.lower()})
    assert ServiceRequest.objects.get(pk=duplicate.pk).merged_into_id == original.pk


def test_workbench_filters_by_community(client, login, people, file_request, tree):
    # A second community in the officer's subdistrict: with one, there is nothing to choose between
    # and the workbench shows no community list.
    AreaFactory(code="C1x", kind=Area.Kind.COMMUNITY, parent=tree.s1)
    in_c1 = file_request()
    login(people.subdistrict)
    assert [r.pk for r in client.get("/requests/workbench/", {"area": tree.c1.pk}).context["page"]] == [in_c1.pk]
    # A community outside the officer's scope is not a valid choice: the filter is ignored, not widened.
    response = client.get("/requests/workbench/", {"area": tree.c2.pk})
    assert response.context["filters"].errors


def test_supporters_hear_of_status_changes(file_request, people, django_capture_on_commit_callbacks):
    from notifications.models import OutboxMessage

    request = file_request()
    steps.request_support(request=request, actor=people.other_resident)
    steps.request_accept(request=request, actor=people.worker)
    assert OutboxMessage.objects.filter(recipient=people.other_resident, kind="request.status").exists()


def test_a_private_request_is_not_offered_for_me_too(client, login, people, catalogue, tree):
    login(people.resident)
    client.post(
        "/requests/new/repair/",
        {"description": "家门口", "attr_facility": "door", "grid": tree.g1.pk, "submission_key": "pv"},
    )
    request = ServiceRequest.objects.get()
    assert request.is_public is False  # the box was left unticked
    assert nearby_open_requests(service=catalogue.repair, grid=tree.g1) == []
