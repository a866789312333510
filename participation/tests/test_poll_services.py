"""Polls through their services: who may run them, changes only before opening, one secret ballot
per verified resident, bad ballots refused with nothing recorded, results only as far as the
secret ballot allows, data rights."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone

from participation.models import Ballot, BallotAnswer, Poll, PollQuestionKind, PollResultsShown, PollVoter
from participation.poll_results import (
    poll_results,
    poll_votes_erase,
    poll_votes_export,
    polls_for_user,
)
from participation.polls import (
    ballot_cast,
    poll_close,
    poll_question_add,
    poll_question_remove,
    poll_update,
)
from participation.tests.poll_helpers import answers_for, end_poll, make_poll, open_poll, verified_resident
from residents.data_rights import sections
from residents.services import account_delete, verification_by_code
from security import personal_data
from security.audit_actions import ACTION_LABELS
from security.models import AuditEvent, Role, User
from tests.factories import PASSWORD, AreaFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(tree, make_user):
    return make_user(Role.COMMUNITY_STAFF, tree.c1)


@pytest.fixture
def poll(staff, tree):
    return make_poll(actor=staff, area=tree.c1)


def _nothing_recorded(poll):
    assert not Ballot.objects.filter(poll=poll).exists()
    assert not BallotAnswer.objects.filter(ballot__poll=poll).exists()
    assert not PollVoter.objects.filter(poll=poll).exists()
    assert not AuditEvent.objects.filter(action="poll.vote").exists()


# --- running polls -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "area"),
    [
        (Role.GRID_WORKER, "g1"),
        (Role.COMMUNITY_STAFF, "c1"),
        (Role.SUBDISTRICT_OFFICER, "s1"),
        (Role.DISTRICT_LEADER, "d"),
    ],
)
def test_staff_of_an_area_create_a_poll_for_their_subtree(role, area, tree, make_user):
    actor = make_user(role, getattr(tree, area))
    poll = make_poll(actor=actor, area=tree.g1)
    assert poll.questions.count() == 3
    assert AuditEvent.objects.filter(action="poll.create", object_id=str(poll.pk)).exists()


@pytest.mark.parametrize(("role", "area"), [(Role.COMMUNITY_STAFF, "c2"), (Role.GRID_WORKER, "g1b")])
def test_staff_outside_the_area_cannot_create_a_poll_there(role, area, tree, make_user):
    actor = make_user(role, getattr(tree, area))
    with pytest.raises(PermissionDenied):
        make_poll(actor=actor, area=tree.g1)
    assert not Poll.objects.exists()


def test_a_resident_cannot_create_a_poll(tree, make_user):
    with pytest.raises(PermissionDenied):
        make_poll(actor=verified_resident(tree.g1), area=tree.g1)


def test_bad_poll_details_get_clear_messages_and_change_nothing(staff, tree):
    from participation.polls import poll_create

    now = timezone.now()
    with pytest.raises(ValidationError) as caught:
        poll_create(
            actor=staff, area=tree.c1, title=" ", opens_at=now - timedelta(hours=1), closes_at=now - timedelta(hours=2)
        )
    assert set(caught.value.message_dict) == {"title", "opens_at", "closes_at"}
    with pytest.raises(ValidationError):
        poll_create(actor=staff, area=tree.c1, title="x", opens_at=now + timedelta(hours=1), closes_at=None)
    assert not Poll.objects.exists()


def test_bad_questions_are_refused(poll, staff):
    for kind, options, most, field in [
        (PollQuestionKind.SINGLE, ["只有一个"], None, "options"),
        (PollQuestionKind.MULTIPLE, ["甲", "甲"], None, "options"),
        (PollQuestionKind.MULTIPLE, ["甲", "乙"], 3, "max_choices"),
        ("ranking", ["甲", "乙"], None, "kind"),
    ]:
        with pytest.raises(ValidationError) as caught:
            poll_question_add(actor=staff, poll=poll, kind=kind, text="问题", options=options, max_choices=most)
        assert field in caught.value.message_dict
    assert poll.questions.count() == 3


def test_a_draft_changes_until_it_opens_and_not_after(poll, staff):
    later = timezone.now() + timedelta(days=1)
    poll_update(
        actor=staff,
        poll=poll,
        title="新标题",
        description="",
        opens_at=later,
        closes_at=later + timedelta(days=3),
        results_shown=PollResultsShown.AFTER_CLOSING,
    )
    first = poll.questions.order_by("position").first()
    poll_question_remove(actor=staff, poll=poll, question_id=first.pk)
    assert list(poll.questions.values_list("position", flat=True)) == [1, 2]
    open_poll(poll)
    with pytest.raises(ValidationError):
        poll_update(
            actor=staff,
            poll=poll,
            title="再改",
            opens_at=later,
            closes_at=later + timedelta(days=3),
            results_shown=PollResultsShown.LIVE,
        )
    with pytest.raises(ValidationError):
        poll_question_add(actor=staff, poll=poll, kind=PollQuestionKind.TEXT, text="晚了", options=[])
    poll.refresh_from_db()
    assert poll.title == "新标题"
    assert poll.questions.count() == 2


def test_closing_early_is_audited_and_stops_votes(poll, staff, tree):
    voter = verified_resident(tree.g1)
    with pytest.raises(ValidationError):
        poll_close(actor=staff, poll=poll)  # still a draft
    open_poll(poll)
    poll_close(actor=staff, poll=poll)
    poll.refresh_from_db()
    assert poll.closed_early_by == staff and poll.closes_at <= timezone.now()
    event = AuditEvent.objects.get(action="poll.close_early")
    assert "scheduled_close" in event.details
    with pytest.raises(ValidationError, match="closed"):
        ballot_cast(user=voter, poll=poll, answers=answers_for(poll))
    with pytest.raises(ValidationError, match="already closed"):
        poll_close(actor=staff, poll=poll)


def test_staff_of_another_area_cannot_change_or_close(poll, tree, make_user):
    outsider = make_user(Role.COMMUNITY_STAFF, tree.c2)
    open_poll(poll)
    with pytest.raises(PermissionDenied):
        poll_close(actor=outsider, poll=poll)
    assert Poll.objects.get(pk=poll.pk).closed_early_at is None


# --- voting -------------------------------------------------------------------------------------


def test_a_verified_resident_votes_once_and_the_audit_event_has_no_choices(poll, tree):
    open_poll(poll)
    voter = verified_resident(tree.g1)
    ballot_cast(user=voter, poll=poll, answers=answers_for(poll, single=1, multiple=(0, 2), text="多种树"))
    ballot = Ballot.objects.get(poll=poll)
    assert ballot.community == tree.c1
    assert ballot.answers.count() == 4
    assert PollVoter.objects.filter(poll=poll, user=voter).count() == 1
    event = AuditEvent.objects.get(action="poll.vote")
    assert event.actor == voter and event.object_id == str(poll.pk)
    assert event.details == {}
    assert str(ballot.pk) not in str(event.__dict__)

    with pytest.raises(ValidationError, match="already voted"):
        ballot_cast(user=voter, poll=poll, answers=answers_for(poll))
    assert Ballot.objects.filter(poll=poll).count() == 1
    assert AuditEvent.objects.filter(action="poll.vote").count() == 1


def test_every_vote_needs_verification_and_the_right_area(poll, tree, make_user):
    open_poll(poll)
    unverified = make_user()
    with pytest.raises(PermissionDenied, match="verified residents"):
        ballot_cast(user=unverified, poll=poll, answers=answers_for(poll))
    other_community = verified_resident(tree.g2)
    with pytest.raises(PermissionDenied, match="another area"):
        ballot_cast(user=other_community, poll=poll, answers=answers_for(poll))
    staff_member = make_user(Role.COMMUNITY_STAFF, tree.c1)
    with pytest.raises(PermissionDenied):
        ballot_cast(user=staff_member, poll=poll, answers=answers_for(poll))
    _nothing_recorded(poll)


def test_no_vote_before_opening_or_after_closing(poll, tree):
    voter = verified_resident(tree.g1)
    with pytest.raises(ValidationError, match="not open yet"):
        ballot_cast(user=voter, poll=poll, answers=answers_for(poll))
    end_poll(poll)
    with pytest.raises(ValidationError, match="closed"):
        ballot_cast(user=voter, poll=poll, answers=answers_for(poll))
    _nothing_recorded(poll)


def test_bad_ballots_are_refused_with_nothing_recorded(poll, tree, staff):
    open_poll(poll)
    voter = verified_resident(tree.g1)
    single, multiple, text = poll.questions.order_by("position")
    other_poll = open_poll(make_poll(actor=staff, area=tree.c1, title="另一个"))
    foreign_option = other_poll.questions.get(position=1).options.first().pk
    good = answers_for(poll)
    options = list(multiple.options.values_list("pk", flat=True))
    bad_ballots = {
        "over the maximum": good | {multiple.pk: options},
        "a repeated option": good | {multiple.pk: [options[0], options[0]]},
        "two for a single choice": good | {single.pk: list(single.options.values_list("pk", flat=True))},
        "an option of another question": good | {single.pk: [options[0]]},
        "an option of another poll": good | {single.pk: [foreign_option]},
        "an unanswered choice": good | {single.pk: []},
        "a question of another poll": good | {other_poll.questions.first().pk: [foreign_option]},
        "text too long": good | {text.pk: "长" * 2001},
    }
    for answers in bad_ballots.values():
        with pytest.raises(ValidationError):
            ballot_cast(user=voter, poll=poll, answers=answers)
        _nothing_recorded(poll)
    ballot_cast(user=voter, poll=poll, answers=good)
    assert Ballot.objects.filter(poll=poll).count() == 1


def test_a_new_account_of_the_same_resident_cannot_vote_again(poll, tree):
    """Deleting the account unlinks the "has voted" row but keeps the register entry on it: the
    same person verifying a new account is still one resident who has voted."""
    open_poll(poll)
    voter = verified_resident(tree.g1)
    profile = voter.resident_profile
    ballot_cast(user=voter, poll=poll, answers=answers_for(poll))
    account_delete(user=voter, password=PASSWORD)
    assert PollVoter.objects.get(poll=poll).user is None
    profile.refresh_from_db()
    assert profile.user is None
    again = User.objects.create_user(username="again", password=PASSWORD)
    verification_by_code(
        user=again,
        household_code=profile.household.household_code,
        id_number=personal_data.decrypt(profile.id_card_encrypted),
    )
    assert again.resident_profile == profile
    with pytest.raises(ValidationError, match="already voted"):
        ballot_cast(user=again, poll=poll, answers=answers_for(poll))
    assert Ballot.objects.filter(poll=poll).count() == 1


# --- secrecy ------------------------------------------------------------------------------------


def test_no_column_ordering_or_timestamp_links_a_ballot_to_its_voter():
    for model in (Ballot, BallotAnswer):
        fields = model._meta.get_fields(include_hidden=True)
        assert isinstance(model._meta.pk, models.UUIDField)
        assert not any(isinstance(f, models.DateField | models.TimeField | models.DurationField) for f in fields)
        assert not any(f.is_relation and f.related_model is User for f in fields)
        assert not any(f.is_relation and f.related_model is PollVoter for f in fields)
        assert not any(isinstance(f, models.AutoField | models.BigAutoField) for f in fields)
    assert [f.name for f in Ballot._meta.concrete_fields] == ["id", "poll", "community"]
    assert Ballot._meta.ordering == ["id"]
    # And nothing points from the voter's side to a ballot.
    assert [f.name for f in PollVoter._meta.concrete_fields] == ["id", "poll", "user", "resident", "voted_at"]
    assert not any(f.is_relation and f.related_model in (Ballot, BallotAnswer) for f in PollVoter._meta.get_fields())


def test_ballots_in_their_default_order_do_not_follow_the_order_of_voting(poll, tree):
    open_poll(poll)
    voters = [verified_resident(tree.g1) for _ in range(12)]
    cast_order = []
    for voter in voters:
        before = set(Ballot.objects.filter(poll=poll).values_list("pk", flat=True))
        ballot_cast(user=voter, poll=poll, answers=answers_for(poll))
        (new,) = set(Ballot.objects.filter(poll=poll).values_list("pk", flat=True)) - before
        cast_order.append(new)
    listed = list(Ballot.objects.filter(poll=poll).values_list("pk", flat=True))
    assert listed == sorted(cast_order)  # ordered by the random key
    # 12 random keys land in voting order once in 12! (≈ 4.8e8) runs.
    assert listed != cast_order
    voter_order = list(PollVoter.objects.filter(poll=poll).values_list("user", flat=True))
    assert voter_order == [v.pk for v in voters]


# --- results --------------------------------------------------------------------------------------


def _vote(poll, grid, n, **choice):
    for _ in range(n):
        ballot_cast(user=verified_resident(grid), poll=poll, answers=answers_for(poll, **choice))


def test_live_results_wait_for_10_ballots_and_small_communities_stay_in_the_total(staff, tree, make_user):
    leader = make_user(Role.DISTRICT_LEADER, tree.d)
    poll = open_poll(make_poll(actor=leader, area=tree.d))
    _vote(poll, tree.g1, 9, single=0, text="意见一")
    hidden = poll_results(user=leader, poll=poll)
    assert not hidden.shown and hidden.questions == []
    _vote(poll, tree.g1b, 1, single=1)
    _vote(poll, tree.g2, 3, single=1)
    shown = poll_results(user=leader, poll=poll)
    assert shown.shown and shown.ballots == 13
    assert [(area, n) for area, n in shown.communities] == [(tree.c1, 10)]
    assert shown.others_ballots == 3
    agree, disagree = shown.questions[0].options
    assert (agree.total, agree.by_community, disagree.total, disagree.by_community) == (9, [9], 4, [1])
    assert not shown.texts_shown and shown.questions[2].texts == []


def test_after_closing_results_show_whatever_the_count_and_free_text_only_to_staff(poll, staff, tree):
    open_poll(poll)
    voter = verified_resident(tree.g1)
    ballot_cast(user=voter, poll=poll, answers=answers_for(poll, text='=HYPERLINK("x")'))
    end_poll(poll)
    for_staff = poll_results(user=staff, poll=poll)
    assert for_staff.shown and for_staff.texts_shown
    assert for_staff.questions[2].texts == ['=HYPERLINK("x")']
    assert for_staff.communities == []  # one ballot: no community figures
    for_resident = poll_results(user=voter, poll=poll)
    assert for_resident.shown and not for_resident.texts_shown and for_resident.questions[2].texts == []


def test_results_of_an_after_closing_poll_stay_hidden_while_open(staff, tree):
    poll = open_poll(make_poll(actor=staff, area=tree.c1, results_shown=PollResultsShown.AFTER_CLOSING))
    _vote(poll, tree.g1, 10)
    assert not poll_results(user=staff, poll=poll).shown


def test_who_sees_which_poll(poll, staff, tree, make_user):
    resident_here = verified_resident(tree.g1b)
    resident_there = verified_resident(tree.g2)
    worker_g1 = make_user(Role.GRID_WORKER, tree.g1)
    assert list(polls_for_user(user=staff)) == [poll]  # the draft too
    assert list(polls_for_user(user=resident_here)) == []  # not open yet
    assert list(polls_for_user(user=make_user(Role.COMMUNITY_STAFF, tree.c2))) == []
    open_poll(poll)
    assert list(polls_for_user(user=resident_here)) == [poll]
    assert list(polls_for_user(user=resident_there)) == []
    assert list(polls_for_user(user=make_user())) == []
    assert list(polls_for_user(user=worker_g1)) == []  # the poll is for the whole community


# --- data rights, audit labels ---------------------------------------------------------------------


def test_the_export_lists_polls_voted_in_never_the_choices(poll, tree):
    open_poll(poll)
    voter = verified_resident(tree.g1)
    ballot_cast(user=voter, poll=poll, answers=answers_for(poll, single=1, text="秘密意见"))
    exported = poll_votes_export(voter)
    assert [row["poll"] for row in exported] == [poll.title]
    assert set(exported[0]) == {"poll", "area", "voted_at"}
    assert "秘密意见" not in str(exported)
    assert "poll_votes" in [section.name for section in sections()]
    assert poll_votes_erase(voter) == {"poll_votes_unlinked": 1}
    assert Ballot.objects.filter(poll=poll).count() == 1


def test_every_poll_action_has_a_label():
    for code in (
        "poll.create",
        "poll.update",
        "poll.question_add",
        "poll.question_remove",
        "poll.close_early",
        "poll.vote",
        "poll.results_export",
    ):
        assert code in ACTION_LABELS


def test_small_communities_get_a_column_together_once_they_reach_10(tree, make_user):
    c3 = AreaFactory(code="C3", kind="community", parent=tree.s2)
    g3 = AreaFactory(code="G3", kind="grid", parent=c3)
    leader = make_user(Role.DISTRICT_LEADER, tree.d)
    poll = open_poll(make_poll(actor=leader, area=tree.d, text_question=False))
    _vote(poll, tree.g1, 10, single=0)
    _vote(poll, tree.g2, 5, single=1)
    _vote(poll, g3, 4, single=1)
    partly = poll_results(user=leader, poll=poll)
    assert not partly.others_shown and partly.others_ballots == 9
    _vote(poll, g3, 1, single=0)
    results = poll_results(user=leader, poll=poll)
    assert results.others_shown and results.others_ballots == 10
    agree, disagree = results.questions[0].options
    assert (agree.by_community, agree.others, disagree.by_community, disagree.others) == ([10], 1, [0], 9)
