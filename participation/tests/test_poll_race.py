"""One ballot per resident is the database's rule, not only the service's check: two votes of the
same person racing each other from two connections leave exactly one ballot."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from participation import polls
from participation.models import Ballot, BallotAnswer, PollVoter
from participation.polls import ballot_cast
from participation.tests.poll_helpers import answers_for, make_poll, open_poll, verified_resident
from security.models import AuditEvent, Role

pytestmark = pytest.mark.django_db(transaction=True)


def _race(monkeypatch, casts):
    """Run each cast in its own thread and connection. Both pass the service's "already voted?"
    check before either writes (they meet at a barrier after it), so only the database can stop
    the second."""
    barrier = threading.Barrier(len(casts), timeout=10)
    checked = polls._answers_checked

    def meet_then_check(poll, answers):
        rows = checked(poll, answers)
        barrier.wait()
        return rows

    monkeypatch.setattr(polls, "_answers_checked", meet_then_check)
    outcomes: list = [None] * len(casts)

    def run(index, cast):
        try:
            # A new thread has no active language of its own: speak the tests' English.
            with translation.override("en"):
                cast()
            outcomes[index] = "cast"
        except ValidationError as exc:
            outcomes[index] = exc.messages[0]
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcomes[index] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, cast)) for i, cast in enumerate(casts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_parallel_votes_of_one_resident_leave_exactly_one_ballot(monkeypatch, tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    poll = open_poll(make_poll(actor=staff, area=tree.c1))
    voter = verified_resident(tree.g1)
    first, second = answers_for(poll, single=0), answers_for(poll, single=1)

    outcomes = _race(
        monkeypatch,
        [
            lambda: ballot_cast(user=voter, poll=poll, answers=first),
            lambda: ballot_cast(user=voter, poll=poll, answers=second),
        ],
    )

    assert sorted(outcomes) == sorted(["cast", "You have already voted in this poll. Each resident votes once."])
    assert Ballot.objects.filter(poll=poll).count() == 1
    assert PollVoter.objects.filter(poll=poll).count() == 1
    assert BallotAnswer.objects.filter(ballot__poll=poll, option__isnull=False).count() == 2
    assert AuditEvent.objects.filter(action="poll.vote").count() == 1


def test_two_parallel_votes_of_different_residents_both_count(monkeypatch, tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    poll = open_poll(make_poll(actor=staff, area=tree.c1))
    one, two = verified_resident(tree.g1), verified_resident(tree.g1b)

    outcomes = _race(
        monkeypatch,
        [
            lambda: ballot_cast(user=one, poll=poll, answers=answers_for(poll)),
            lambda: ballot_cast(user=two, poll=poll, answers=answers_for(poll)),
        ],
    )

    assert outcomes == ["cast", "cast"]
    assert Ballot.objects.filter(poll=poll).count() == 2
