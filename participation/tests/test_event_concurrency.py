"""Capacity holds under parallel sign-ups: each sign-up runs in its own thread and connection, all
released at once, and the count of places is made slow to read, so without the event row's lock
several would see a free place. With it, exactly `capacity` get one and the rest wait, in order."""

import threading
import time

import pytest
from django.db import connection

from participation import events as steps
from participation.models import EventSignup, EventSignupStatus
from participation.tests.event_helpers import make_event, verified_resident
from security.models import AuditEvent, Role

pytestmark = pytest.mark.django_db(transaction=True)

CAPACITY = 3
PEOPLE = 8


def _in_parallel(monkeypatch, calls):
    barrier = threading.Barrier(len(calls), timeout=20)
    counted = steps._taken

    def slow_count(event):
        taken = counted(event)
        time.sleep(0.05)  # widen the window between reading the count and writing the sign-up
        return taken

    monkeypatch.setattr(steps, "_taken", slow_count)
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_parallel_sign_ups_never_exceed_capacity(monkeypatch, tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    event = make_event(actor=staff, area=tree.c1, capacity=CAPACITY)
    people = [verified_resident(grid=tree.g1, staff=staff) for _n in range(PEOPLE)]

    outcomes = _in_parallel(monkeypatch, [lambda p=p: steps.event_signup(user=p, event=event) for p in people])

    assert all(isinstance(outcome, EventSignup) for outcome in outcomes), outcomes
    statuses = list(EventSignup.objects.filter(event=event).values_list("status", flat=True))
    assert statuses.count(EventSignupStatus.CONFIRMED) == CAPACITY
    assert statuses.count(EventSignupStatus.WAITING) == PEOPLE - CAPACITY
    assert len(set(EventSignup.objects.filter(event=event).values_list("code", flat=True))) == PEOPLE
    assert AuditEvent.objects.filter(action="event.signup").count() == PEOPLE


def test_parallel_cancellations_move_up_exactly_as_many_as_left(monkeypatch, tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    event = make_event(actor=staff, area=tree.c1, capacity=CAPACITY)
    people = [verified_resident(grid=tree.g1, staff=staff) for _n in range(PEOPLE)]
    for person in people:
        steps.event_signup(user=person, event=event)

    leaving = people[:CAPACITY]
    outcomes = _in_parallel(monkeypatch, [lambda p=p: steps.event_signup_cancel(user=p, event=event) for p in leaving])

    assert all(isinstance(outcome, EventSignup) for outcome in outcomes), outcomes
    confirmed = set(
        EventSignup.objects.filter(event=event, status=EventSignupStatus.CONFIRMED).values_list("user_id", flat=True)
    )
    # The next three in the waiting list's order, no more, no fewer.
    assert confirmed == {p.pk for p in people[CAPACITY : 2 * CAPACITY]}
    assert EventSignup.objects.filter(event=event, status=EventSignupStatus.WAITING).count() == PEOPLE - 2 * CAPACITY
