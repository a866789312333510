from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from security.models import AuditEvent
from services import services as steps
from services.models import RequestEvent, RequestStatus, ServiceRequest

pytestmark = pytest.mark.django_db
S = RequestStatus


def walk_to_resolved(request, worker):
    steps.request_accept(request=request, actor=worker)
    steps.request_assign(request=request, actor=worker, assignee=worker)
    steps.request_start(request=request, actor=worker)
    return steps.request_resolve(request=request, actor=worker, note="修好了")


def test_the_whole_life_of_a_request(file_request, people):
    request = file_request()
    walk_to_resolved(request, people.worker)
    steps.request_close(request=request, actor=people.resident)
    steps.request_rate(request=request, actor=people.resident, score=4, comment="不错")
    request.refresh_from_db()
    assert (request.status, request.rating) == (S.CLOSED, 4)
    statuses = list(request.events.exclude(to_status="").values_list("to_status", flat=True))
    assert statuses == ["submitted", "accepted", "assigned", "in_progress", "resolved", "closed"]
    actions = set(AuditEvent.objects.filter(object_id=str(request.pk)).values_list("action", flat=True))
    assert {
        "request.accepted",
        "request.assigned",
        "request.in_progress",
        "request.resolved",
        "request.closed",
        "request.rate",
    } <= actions


@pytest.mark.parametrize(
    ("step", "kwargs"),
    [
        ("request_start", {}),
        ("request_resolve", {"note": "done"}),
        ("request_close", {}),
    ],
)
def test_steps_not_allowed_from_submitted_change_nothing(file_request, people, step, kwargs):
    request = file_request()
    with pytest.raises(ValidationError, match="not possible now"):
        getattr(steps, step)(request=request, actor=people.worker, **kwargs)
    request.refresh_from_db()
    assert request.status == S.SUBMITTED
    assert request.events.count() == 1


def test_reject_needs_a_reason_and_is_final(file_request, people):
    request = file_request()
    with pytest.raises(ValidationError, match="Say why"):
        steps.request_reject(request=request, actor=people.worker, reason=" ")
    steps.request_reject(request=request, actor=people.worker, reason="重复诉求")
    with pytest.raises(ValidationError):
        steps.request_accept(request=request, actor=people.worker)
    assert ServiceRequest.objects.get(pk=request.pk).status == S.REJECTED


@pytest.mark.parametrize("who", ["worker_g2", "community_c2", "partner_other", "leader", "other_resident", "resident"])
def test_outsiders_cannot_act(file_request, people, who):
    request = file_request()
    with pytest.raises(PermissionDenied):
        steps.request_accept(request=request, actor=getattr(people, who))
    assert ServiceRequest.objects.get(pk=request.pk).status == S.SUBMITTED


@pytest.mark.parametrize("who", ["worker", "community", "subdistrict", "partner"])
def test_handlers_at_each_level_may_act(file_request, people, who):
    request = file_request()
    steps.request_accept(request=request, actor=getattr(people, who))
    assert ServiceRequest.objects.get(pk=request.pk).status == S.ACCEPTED


def test_assignee_must_belong_to_the_area_or_organisation(file_request, people, orgs):
    request = file_request()
    steps.request_accept(request=request, actor=people.worker)
    with pytest.raises(ValidationError, match="does not work"):
        steps.request_assign(request=request, actor=people.worker, assignee=people.worker_g2)
    steps.request_assign(request=request, actor=people.worker, organisation=orgs.partner, assignee=people.partner)
    request.refresh_from_db()
    assert (request.assignee, request.handling_organisation) == (people.partner, orgs.partner)


def test_reopen_within_the_window_goes_back_to_assigned(file_request, people):
    request = walk_to_resolved(file_request(), people.worker)
    with pytest.raises(PermissionDenied):
        steps.request_reopen(request=request, actor=people.worker, reason="x")
    steps.request_reopen(request=request, actor=people.resident, reason="还是坏的")
    request.refresh_from_db()
    assert request.status == S.ASSIGNED
    assert request.resolve_due_at > timezone.now() + timedelta(days=4)
    assert request.events.filter(kind=RequestEvent.Kind.REOPENED).exists()


def test_reopen_after_the_window_is_refused(file_request, people):
    request = walk_to_resolved(file_request(), people.worker)
    ServiceRequest.objects.filter(pk=request.pk).update(resolved_at=timezone.now() - timedelta(days=8))
    with pytest.raises(ValidationError, match="time to reopen"):
        steps.request_reopen(request=request, actor=people.resident, reason="还是坏的")
    assert ServiceRequest.objects.get(pk=request.pk).status == S.RESOLVED


def test_rating_once_by_the_requester_only(file_request, people):
    request = walk_to_resolved(file_request(), people.worker)
    with pytest.raises(ValidationError, match="1 to 5"):
        steps.request_rate(request=request, actor=people.resident, score=6)
    with pytest.raises(PermissionDenied):
        steps.request_rate(request=request, actor=people.worker, score=5)
    steps.request_rate(request=request, actor=people.resident, score=5)
    with pytest.raises(ValidationError, match="already rated"):
        steps.request_rate(request=request, actor=people.resident, score=1)
    assert ServiceRequest.objects.get(pk=request.pk).rating == 5


def test_internal_notes_are_for_staff(file_request, people):
    request = file_request()
    with pytest.raises(PermissionDenied):
        steps.request_comment(request=request, actor=people.resident, message="x", internal=True)
    note = steps.request_comment(request=request, actor=people.worker, message="先联系物业", internal=True)
    comment = steps.request_comment(request=request, actor=people.resident, message="请快点")
    assert (note.is_public, comment.is_public) == (False, True)
    with pytest.raises(PermissionDenied):
        steps.request_comment(request=request, actor=people.other_resident, message="x")


def test_steps_for_offers_what_the_actor_may_do(file_request, people):
    request = file_request()
    assert steps.steps_for(actor=people.worker, request=request) == {"accept", "reject", "merge", "photos"}
    assert steps.steps_for(actor=people.resident, request=request) == {"photos"}
    assert steps.steps_for(actor=people.other_resident, request=request) == set()
    walk_to_resolved(request, people.worker)
    request.refresh_from_db()
    assert steps.steps_for(actor=people.resident, request=request) == {"close", "reopen", "rate", "photos"}


def test_every_timeline_event_is_announced_inside_the_transaction(file_request, people):
    from services.signals import request_event_recorded

    heard = []

    def listener(sender, request, event, **kwargs):
        heard.append((request.pk, event.kind, event.pk is not None))

    request_event_recorded.connect(listener)
    try:
        request = file_request()
        steps.request_accept(request=request, actor=people.worker)
        steps.request_comment(request=request, actor=people.resident, message="谢谢")
    finally:
        request_event_recorded.disconnect(listener)
    assert heard == [(request.pk, "submitted", True), (request.pk, "status", True), (request.pk, "comment", True)]


def test_the_routed_organisation_starts_an_accepted_request_itself(file_request, people):
    request = file_request()  # routed to the partner of subdistrict S1
    steps.request_accept(request=request, actor=people.partner)
    steps.request_start(request=request, actor=people.partner)
    request.refresh_from_db()
    assert (request.status, request.assignee) == (S.IN_PROGRESS, people.partner)
