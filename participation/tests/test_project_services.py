"""Requests that become projects, through the services: clusters (same service and community; same grid
or within 300 m; last 30 days; at least 3; none already in a live project), turning a cluster into a
project or a proposal (all or nothing, bad input refused with nothing changed), and the project being
done resolving the open requests and telling every requester, audited in one event."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from notifications.models import OutboxMessage
from participation.models import Proposal, ProposalRequest, ProposalStatus
from participation.project_selectors import distance_metres, request_clusters
from participation.projects import proposal_from_requests
from participation.proposals import (
    proposal_answer,
    proposal_done,
    proposal_start,
    proposal_support,
    proposal_threshold_set,
    proposal_updates_sweep,
)
from participation.tests.poll_helpers import verified_resident
from participation.tests.project_helpers import cluster_of_three, file_by
from security.audit_actions import ACTION_LABELS
from security.models import AuditEvent, Role
from services.models import RequestEvent, RequestStatus, ServiceRequest
from services.services import request_accept, request_assign, request_close, request_resolve

pytestmark = pytest.mark.django_db

# Three points in Nanchong: A, B 200 m north of A, C 1 km north of A.
A = (30.800000, 106.100000)
B = (30.801800, 106.100000)
C = (30.809000, 106.100000)


@pytest.fixture
def staff(tree, make_user):
    return make_user(Role.COMMUNITY_STAFF, tree.c1)


def _project(staff, linked, orgs, **overrides):
    fields = {
        "actor": staff,
        "requests": linked,
        "as_project": True,
        "title": "更换楼道灯",
        "body": "统一更换一号楼楼道灯",
        "category": "facilities",
        "plan": "下周内更换",
        "organisation": orgs.partner,
    } | overrides
    return proposal_from_requests(**fields)


def _clusters(user):
    return [sorted(r.pk for r in cluster.requests) for cluster in request_clusters(user=user)]


def test_distance_is_measured_in_metres():
    class P:
        def __init__(self, lat, lng):
            self.lat, self.lng = lat, lng

    assert 190 < distance_metres(P(*A), P(*B)) < 210
    assert 990 < distance_metres(P(*A), P(*C)) < 1010


def test_three_in_a_grid_are_a_cluster_and_two_are_not(tree, catalogue, make_user, staff):
    two = [file_by(make_user, service=catalogue.repair, grid=tree.g1) for _ in range(2)]
    assert _clusters(staff) == []
    third = file_by(make_user, service=catalogue.repair, grid=tree.g1)
    assert _clusters(staff) == [sorted(r.pk for r in [*two, third])]


def test_near_requests_in_different_grids_cluster_and_far_ones_do_not(tree, catalogue, make_user, staff):
    near = [
        file_by(make_user, service=catalogue.repair, grid=tree.g1, lat=A[0], lng=A[1]),
        file_by(make_user, service=catalogue.repair, grid=tree.g1b, lat=B[0], lng=B[1]),
    ]
    far = file_by(make_user, service=catalogue.repair, grid=tree.g1b, lat=C[0], lng=C[1])
    # G1b's two requests share a grid, and B is near A: all three are one cluster.
    assert _clusters(staff) == [sorted(r.pk for r in [*near, far])]
    # Without the shared grid, the far one stands alone and two are too few.
    ServiceRequest.objects.filter(pk=far.pk).update(grid=tree.g1)
    ServiceRequest.objects.filter(pk=near[0].pk).update(grid=tree.g1b)
    assert _clusters(staff) == []


def test_old_closed_other_service_and_other_community_requests_are_left_out(tree, catalogue, make_user, staff):
    requests = cluster_of_three(make_user, service=catalogue.repair, grid=tree.g1)
    ServiceRequest.objects.filter(pk=requests[0].pk).update(created_at=timezone.now() - timedelta(days=31))
    assert _clusters(staff) == []
    ServiceRequest.objects.filter(pk=requests[0].pk).update(created_at=timezone.now(), status=RequestStatus.CLOSED)
    assert _clusters(staff) == []
    ServiceRequest.objects.filter(pk=requests[0].pk).update(status=RequestStatus.SUBMITTED)
    assert len(_clusters(staff)) == 1
    # Other community's staff, grid workers, residents: no clusters.
    for outsider in (
        make_user(Role.COMMUNITY_STAFF, tree.c2),
        make_user(Role.GRID_WORKER, tree.g1),
        make_user(Role.SUBDISTRICT_OFFICER, tree.s1),
        requests[0].requester,
    ):
        assert _clusters(outsider) == []


def test_a_cluster_becomes_a_project_and_leaves_the_list(tree, catalogue, orgs, make_user, staff):
    requests = cluster_of_three(make_user, service=catalogue.repair, grid=tree.g1)
    proposal = _project(staff, requests, orgs)
    assert proposal.status == ProposalStatus.ACCEPTED
    assert proposal.author is None and proposal.answered_by == staff
    assert proposal.responsible_organisation == orgs.partner
    assert set(ProposalRequest.objects.filter(proposal=proposal).values_list("request_id", flat=True)) == {
        r.pk for r in requests
    }
    assert _clusters(staff) == []
    link = f"/proposals/{proposal.public_id}/"
    for request in requests:
        event = RequestEvent.objects.filter(request=request, kind=RequestEvent.Kind.COMMENT).get()
        assert event.is_public and event.data["link"] == link
        told = OutboxMessage.objects.filter(recipient=request.requester, link=link)
        assert told.exists()
    audit = AuditEvent.objects.get(action="proposal.from_requests")
    assert audit.actor == staff and set(audit.details["requests"]) == {r.public_id for r in requests}
    assert "proposal.from_requests" in ACTION_LABELS and "proposal.requests_resolve" in ACTION_LABELS


def test_a_cluster_becomes_a_proposal_gathering_support(tree, catalogue, orgs, make_user, staff):
    proposal_threshold_set(actor=staff, community=tree.c1, threshold=4)
    requests = cluster_of_three(make_user, service=catalogue.repair, grid=tree.g1)
    proposal = _project(staff, requests, orgs, as_project=False, plan="", organisation=None)
    assert proposal.status == ProposalStatus.PUBLISHED and proposal.support_threshold == 4
    assert proposal.answered_by is None
    assert _clusters(staff) == []


def test_the_requesters_follow_it_and_hear_when_it_is_not_accepted(tree, catalogue, orgs, make_user, staff):
    proposal_threshold_set(actor=staff, community=tree.c1, threshold=1)
    requests = cluster_of_three(make_user, service=catalogue.repair, grid=tree.g1)
    proposal = _project(staff, requests, orgs, as_project=False, plan="", organisation=None)
    proposal = proposal_support(actor=verified_resident(tree.g1), proposal=proposal)
    proposal_answer(actor=staff, proposal=proposal, accepted=False, answer="资金不足，明年再议")
    proposal_updates_sweep(older_than=timedelta(0))  # what the task started on commit does
    told = set(OutboxMessage.objects.filter(kind="proposal.answered").values_list("recipient_id", flat=True))
    assert {request.requester_id for request in requests} <= told


def test_bad_input_is_refused_and_nothing_changes(tree, catalogue, orgs, make_user, staff):
    requests = cluster_of_three(make_user, service=catalogue.repair, grid=tree.g1)
    other = file_by(make_user, service=catalogue.repair, grid=tree.g2)
    cases = [
        ({"requests": []}, "requests"),
        ({"title": " "}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"body": ""}, "body"),
        ({"category": "nonsense"}, "category"),
        ({"plan": ""}, "plan"),
        ({"organisation": None}, "organisation"),
        ({"organisation": orgs.partner_other}, "organisation"),  # works in another subdistrict
        ({"requests": [*requests, other]}, "requests"),  # two communities
    ]
    for overrides, field in cases:
        with pytest.raises(ValidationError) as caught:
            _project(staff, requests, orgs, **overrides)
        assert field in caught.value.message_dict, overrides
    closed = file_by(make_user, service=catalogue.repair, grid=tree.g1)
    ServiceRequest.objects.filter(pk=closed.pk).update(status=RequestStatus.CLOSED)
    with pytest.raises(ValidationError) as caught:
        _project(staff, [*requests, closed], orgs)
    assert closed.public_id in " ".join(caught.value.messages)
    assert not Proposal.objects.exists() and not ProposalRequest.objects.exists()
    assert not RequestEvent.objects.filter(kind=RequestEvent.Kind.COMMENT).exists()
    assert not AuditEvent.objects.filter(action="proposal.from_requests").exists()


def test_requests_already_in_a_live_project_cannot_be_linked_again(tree, catalogue, orgs, make_user, staff):
    requests = cluster_of_three(make_user, service=catalogue.repair, grid=tree.g1)
    _project(staff, requests, orgs)
    with pytest.raises(ValidationError):
        _project(staff, requests[:1], orgs, title="再来一次")
    assert Proposal.objects.count() == 1


def test_outsiders_cannot_turn_requests_into_a_project(tree, catalogue, orgs, make_user, staff):
    requests = cluster_of_three(make_user, service=catalogue.repair, grid=tree.g1)
    for outsider in (
        make_user(Role.COMMUNITY_STAFF, tree.c2),
        make_user(Role.GRID_WORKER, tree.g1),
        make_user(Role.SUBDISTRICT_OFFICER, tree.s1),
        requests[0].requester,
    ):
        with pytest.raises(PermissionDenied):
            _project(outsider, requests, orgs)
    assert not Proposal.objects.exists()


def test_done_resolves_the_open_requests_and_tells_every_requester(tree, catalogue, orgs, make_user, staff, people):
    requests = cluster_of_three(make_user, service=catalogue.repair, grid=tree.g1)
    submitted, accepted, closed_one = requests
    request_accept(request=accepted, actor=staff)
    proposal = _project(staff, requests, orgs)
    # One of them was handled on its own meanwhile: resolved and closed.
    request_accept(request=closed_one, actor=staff)
    request_assign(request=closed_one, actor=staff, assignee=people.worker)
    request_resolve(request=closed_one, actor=people.worker, note="已修好")
    request_close(request=closed_one, actor=closed_one.requester)
    proposal_start(actor=staff, proposal=proposal)
    proposal_done(actor=staff, proposal=proposal, note="楼道灯已全部更换")

    link = f"/proposals/{proposal.public_id}/"
    for request in (submitted, accepted):
        request.refresh_from_db()
        assert request.status == RequestStatus.RESOLVED and request.resolved_at is not None
        event = request.events.get(to_status=RequestStatus.RESOLVED)
        assert event.actor == staff and event.data["link"] == link
        assert "楼道灯已全部更换" in event.message
        assert OutboxMessage.objects.filter(
            recipient=request.requester, kind="request.status", body__contains=event.message
        )
    closed_one.refresh_from_db()
    assert closed_one.status == RequestStatus.CLOSED
    assert OutboxMessage.objects.filter(recipient=closed_one.requester, kind="proposal.requests_done", link=link)
    audit = AuditEvent.objects.get(action="proposal.requests_resolve")
    assert set(audit.details["resolved"]) == {submitted.public_id, accepted.public_id}
    assert audit.details["already_finished"] == [closed_one.public_id]
    assert audit.object_id == str(proposal.pk)


def test_done_of_a_proposal_without_requests_changes_no_request(tree, catalogue, orgs, make_user, staff):
    from participation.proposals import proposal_create, proposal_support
    from participation.tests.poll_helpers import verified_resident

    requests = cluster_of_three(make_user, service=catalogue.repair, grid=tree.g1)
    proposal_threshold_set(actor=staff, community=tree.c1, threshold=1)
    proposal = proposal_create(actor=verified_resident(tree.g1), title="充电桩", body="东门", category="facilities")
    proposal = proposal_support(actor=verified_resident(tree.g1b), proposal=proposal)
    proposal_answer(actor=staff, proposal=proposal, accepted=True, answer="好", plan="下月", organisation=orgs.partner)
    proposal_start(actor=staff, proposal=proposal)
    proposal_done(actor=staff, proposal=proposal, note="完成")
    assert all(
        r.status == RequestStatus.SUBMITTED for r in ServiceRequest.objects.filter(pk__in=[r.pk for r in requests])
    )
    assert not AuditEvent.objects.filter(action="proposal.requests_resolve").exists()


def test_a_failed_resolution_rolls_the_done_back(tree, catalogue, orgs, make_user, staff):
    """All in one transaction: if resolving a request fails, the proposal is not done either."""
    requests = cluster_of_three(make_user, service=catalogue.repair, grid=tree.g1)
    proposal = _project(staff, requests, orgs)
    proposal_start(actor=staff, proposal=proposal)
    # Move a request out of the community behind the service's back: the staff member no longer handles it.
    ServiceRequest.objects.filter(pk=requests[0].pk).update(grid=tree.g2)
    with pytest.raises(PermissionDenied):
        proposal_done(actor=staff, proposal=proposal, note="完成")
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.IN_PROGRESS
    assert not ServiceRequest.objects.filter(status=RequestStatus.RESOLVED).exists()
