"""The demo's participation: what demo_community and demo_resident find when they first sign in."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo.participation import CLOSED_POLL, OPEN_POLL, PAST_MEETING, PAST_VOLUNTEERING, UPCOMING_EVENT
from participation.models import (
    Ballot,
    Event,
    EventKind,
    EventSignup,
    EventSignupStatus,
    PointsEntry,
    Poll,
    PollQuestionKind,
    PollVoter,
    RedemptionItem,
    VolunteerActivity,
    VolunteerSignup,
)
from participation.poll_results import poll_results
from participation.polls import poll_eligibility, poll_state
from participation.volunteering_selectors import points_balance
from residents.models import ResidencyVerification, ResidentProfile
from security.audit import audit_chain_verify
from security.models import AuditEvent, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_demo", force=True, history=0, verbosity=0)


def counts():
    models = [
        User,
        ResidentProfile,
        ResidencyVerification,
        Poll,
        PollVoter,
        Ballot,
        Event,
        EventSignup,
        VolunteerActivity,
        VolunteerSignup,
        PointsEntry,
        RedemptionItem,
        AuditEvent,
    ]
    return {model.__name__: model.objects.count() for model in models}


def test_demo_community_sees_poll_results_live_and_after_closing(seeded):
    staff = User.objects.get(username="demo_community")
    resident = User.objects.get(username="demo_resident")
    open_poll = Poll.objects.get(title=OPEN_POLL)
    closed_poll = Poll.objects.get(title=CLOSED_POLL)
    assert poll_state(open_poll) == "open"
    assert poll_state(closed_poll) == "closed"
    assert set(open_poll.questions.values_list("kind", flat=True)) == set(PollQuestionKind.values)
    for poll in (open_poll, closed_poll):
        assert poll.area.code == "511302001001"
        results = poll_results(user=staff, poll=poll)
        assert results.shown, poll.title
        assert results.ballots >= 10
        assert [area.code for area, _n in results.communities] == ["511302001001"]
        assert sum(option.total for option in results.questions[0].options) == results.ballots
    # Free-text answers show to staff once the poll is closed.
    assert poll_results(user=staff, poll=closed_poll).questions[2].texts
    # demo_resident voted in the closed poll and may still vote in the open one.
    assert PollVoter.objects.filter(poll=closed_poll, user=resident).exists()
    assert not PollVoter.objects.filter(poll=open_poll, user=resident).exists()
    assert poll_eligibility(user=resident, poll=open_poll).profile is not None
    # Every ballot is from a verified resident of the community.
    voters = PollVoter.objects.filter(poll=closed_poll).select_related("resident__household__grid")
    assert all(voter.resident.user_id == voter.user_id for voter in voters)
    assert all(voter.resident.household.grid.path.startswith(closed_poll.area.path) for voter in voters)


def test_demo_resident_is_signed_up_for_an_event_and_the_council_published_minutes(seeded):
    resident = User.objects.get(username="demo_resident")
    now = timezone.now()
    upcoming = Event.objects.get(title=UPCOMING_EVENT)
    assert upcoming.starts_at > now
    assert EventSignup.objects.get(event=upcoming, user=resident).status == EventSignupStatus.CONFIRMED
    assert upcoming.signups.count() >= 3
    meeting = Event.objects.get(title=PAST_MEETING)
    assert meeting.kind == EventKind.COUNCIL
    assert meeting.ends_at < now
    assert meeting.minutes and meeting.minutes_published_at is not None


def test_demo_resident_has_points_and_something_to_spend_them_on(seeded):
    resident = User.objects.get(username="demo_resident")
    past = VolunteerActivity.objects.get(title=PAST_VOLUNTEERING)
    assert past.ends_at < timezone.now()
    signup = VolunteerSignup.objects.get(activity=past, user=resident)
    assert signup.status == VolunteerSignup.Status.CONFIRMED and signup.hours > 0
    assert points_balance(user=resident) > 0
    assert VolunteerActivity.objects.filter(area=past.area, starts_at__gt=timezone.now()).exists()
    items = RedemptionItem.objects.filter(community=past.area, is_active=True, stock__gt=0)
    assert items.count() >= 1
    assert min(item.points_cost for item in items) <= points_balance(user=resident)


def test_a_second_seed_adds_no_participation(seeded):
    first = counts()
    call_command("seed_demo", force=True, history=0, verbosity=0)
    assert counts() == first
    assert audit_chain_verify().intact
