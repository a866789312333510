"""The demo's proposals, requests that became projects, and a social organisation's events: what
demo_resident, demo_community and demo_social find when they first sign in."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from demo.district import DEMO_PASSWORD
from demo.participation import PAST_MEETING, PROPOSAL_POLL, SOCIAL_EVENT, SOCIAL_VOLUNTEERING
from demo.proposals import AWAITING, CLUSTER_REQUESTS, DONE, GATHERING, IN_PROGRESS, PROJECT, PROJECT_REQUESTS
from directory.models import Organisation
from participation.models import (
    Event,
    Poll,
    Proposal,
    ProposalComment,
    ProposalFollow,
    ProposalRequest,
    ProposalStatus,
    ProposalSupport,
    VolunteerActivity,
)
from participation.organisers import may_manage
from participation.project_selectors import request_clusters, requests_of_project
from participation.proposals import community_of
from security.audit import audit_chain_verify
from security.mfa import mfa_enrolled
from security.models import AuditEvent, Role, RoleAssignment, User
from services.models import OPEN_STATUSES, RequestEvent, RequestStatus, ServiceRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_demo", force=True, history=0, verbosity=0)


def _proposal(title: str) -> Proposal:
    return Proposal.objects.select_related("community", "author", "responsible_organisation").get(title=title)


def test_a_resident_sees_a_proposal_at_every_step(seeded):
    resident = User.objects.get(username="demo_resident")
    community = community_of(resident)
    now = timezone.now()

    gathering = _proposal(GATHERING)
    assert gathering.community == community and gathering.status == ProposalStatus.PUBLISHED
    assert 0 < gathering.support_count < gathering.support_threshold
    assert gathering.support_count == ProposalSupport.objects.filter(proposal=gathering).count()
    # demo_resident may still support it.
    assert not ProposalSupport.objects.filter(proposal=gathering, user=resident).exists()

    awaiting = _proposal(AWAITING)
    assert awaiting.author == resident and awaiting.community == community
    assert awaiting.status == ProposalStatus.THRESHOLD_REACHED
    assert awaiting.support_count >= awaiting.support_threshold
    assert awaiting.threshold_reached_at < now < awaiting.answer_due_at and not awaiting.is_overdue

    in_progress = _proposal(IN_PROGRESS)
    assert in_progress.status == ProposalStatus.IN_PROGRESS
    assert in_progress.plan and in_progress.answer and in_progress.answered_at < now
    assert in_progress.responsible_organisation.kind == Organisation.Kind.SOCIAL_ORGANISATION
    assert ProposalSupport.objects.filter(proposal=in_progress, user=resident).exists()
    assert ProposalFollow.objects.filter(proposal=in_progress, user=resident).exists()

    done = _proposal(DONE)
    assert done.status == ProposalStatus.DONE and done.progress_note and done.done_at < now
    assert done.created_at < done.threshold_reached_at < done.answered_at < done.done_at

    # Every proposal was published at the community's threshold, and has comments, one of them official.
    for proposal in (gathering, awaiting, in_progress, done):
        assert proposal.support_threshold > 1, proposal.title
        assert ProposalComment.objects.filter(proposal=proposal).exists(), proposal.title
    official = ProposalComment.objects.filter(proposal=awaiting, is_official=True).select_related("author")
    assert [comment.author.username for comment in official] == ["demo_community"]


def test_demo_community_has_a_proposal_to_answer_and_a_cluster_to_turn_into_a_project(seeded, client):
    staff = User.objects.get(username="demo_community")
    resident = User.objects.get(username="demo_resident")
    awaiting = Proposal.objects.filter(status=ProposalStatus.THRESHOLD_REACHED)
    assert list(awaiting.values_list("title", flat=True)) == [AWAITING]

    [cluster] = [c for c in request_clusters(user=staff) if c.service.code == "street-light"]
    assert len(cluster.requests) >= len(CLUSTER_REQUESTS) >= 3
    assert {r.grid_id for r in cluster.requests} == {resident.resident_profile.household.grid_id}
    assert all(r.status in OPEN_STATUSES for r in cluster.requests)
    # demo_resident's own street-light request is one of them.
    assert ServiceRequest.objects.get(filed_by=resident, submission_key="demo-1").public_id in cluster.public_ids

    assert client.login(username="demo_community", password=DEMO_PASSWORD)
    page = client.get(reverse("participation:project_clusters"))
    assert page.status_code == 200
    assert cluster.public_ids[0] in page.content.decode()


def test_a_done_project_resolved_the_requests_it_came_from(seeded, client):
    project = _proposal(PROJECT)
    assert project.author is None and project.status == ProposalStatus.DONE
    assert project.responsible_organisation.code == "dept-zjj"
    requests = list(requests_of_project(proposal=project))
    assert len(requests) == len(PROJECT_REQUESTS) >= 3
    assert len({(r.service_id, r.grid_id) for r in requests}) == 1
    assert all(r.status == RequestStatus.RESOLVED for r in requests)
    link = reverse("participation:proposal_detail", args=[project.public_id])
    for request in requests:
        resolved = RequestEvent.objects.get(request=request, to_status=RequestStatus.RESOLVED)
        assert resolved.data["link"] == link
    # The requester's page of their request links to the project.
    request = requests[0]
    client.force_login(request.requester)
    page = client.get(reverse("services:detail", args=[request.public_id]))
    assert f'href="{link}"' in page.content.decode()


def test_a_poll_and_the_council_minutes_are_about_the_proposal_in_progress(seeded):
    in_progress = _proposal(IN_PROGRESS)
    poll = Poll.objects.get(title=PROPOSAL_POLL)
    assert poll.proposal == in_progress
    assert poll.opens_at < timezone.now() < poll.closes_at
    meeting = Event.objects.get(title=PAST_MEETING)
    assert list(meeting.proposals_discussed.all()) == [in_progress]


def test_a_social_organisation_runs_an_event_and_a_volunteer_activity(seeded, client):
    operator = User.objects.get(username="demo_social")
    organisation = Organisation.objects.get(code="social-tongxin")
    assert organisation.kind == Organisation.Kind.SOCIAL_ORGANISATION
    assert RoleAssignment.objects.filter(user=operator, role=Role.PARTNER_OPERATOR, organisation=organisation).exists()
    assert mfa_enrolled(operator)
    resident = User.objects.get(username="demo_resident")
    community = community_of(resident)
    now = timezone.now()
    for item in (Event.objects.get(title=SOCIAL_EVENT), VolunteerActivity.objects.get(title=SOCIAL_VOLUNTEERING)):
        assert item.area == community and item.starts_at > now, item.title
        assert item.organiser == organisation and item.created_by == operator, item.title
        assert may_manage(operator, area=item.area, organiser_id=item.organiser_id), item.title
    assert client.login(username="demo_social", password=DEMO_PASSWORD)
    assert client.get("/start/", follow=True).status_code == 200


def counts():
    models = [
        User,
        RoleAssignment,
        Organisation,
        Proposal,
        ProposalSupport,
        ProposalComment,
        ProposalRequest,
        ServiceRequest,
        RequestEvent,
        Poll,
        Event,
        VolunteerActivity,
        AuditEvent,
    ]
    return {model.__name__: model.objects.count() for model in models}


def test_a_second_seed_adds_no_proposals_projects_or_events(seeded):
    first = counts()
    assert first["Proposal"] == 5 and first["ProposalRequest"] == len(PROJECT_REQUESTS)
    call_command("seed_demo", force=True, history=0, verbosity=0)
    assert counts() == first
    assert audit_chain_verify().intact
