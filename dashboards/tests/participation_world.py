"""A small participation world made through the real services, its figures counted by hand (see
build_world), for the participation dashboard's tests."""

from datetime import timedelta
from types import SimpleNamespace

from django.utils import timezone

from participation.events import event_check_in, event_signup
from participation.models import Event, Poll, Proposal
from participation.polls import ballot_cast
from participation.proposals import proposal_answer, proposal_create, proposal_support, proposal_threshold_set
from participation.tests.event_helpers import make_event
from participation.tests.poll_helpers import answers_for, make_poll, open_poll, verified_resident
from participation.tests.volunteering_support import held, make_activity
from participation.volunteering import volunteer_hours_confirm, volunteer_sign_up
from security.models import Role

LONG_AGO = timedelta(days=100)


def _propose(author, title="增设电动车充电桩"):
    return proposal_create(actor=author, title=title, body="小区东门附近需要充电桩", category="facilities")


def _held_now(event: Event) -> Event:
    """The event is on: started an hour ago (sign-up closed at the start, so it was moved after)."""
    now = timezone.now()
    Event.objects.filter(pk=event.pk).update(starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))
    event.refresh_from_db()
    return event


def build_world(*, tree, people, make_user):
    """Verified residents a, b (G1), c, d (G1b) in C1 and e, f, g (G2) in C2, and what they did.

    Proposals (C1 threshold 2; C2's default, 5 % of 3 verified → 1): P1 by a, supported by b and c,
    answered on time; P2 by b, supported by a and c, answered after its deadline; P3 by c,
    supported by a, still gathering support; P4 by e (C2), supported by f, not yet due; P5 by d,
    published 100 days ago (outside the period). Polls: X for S1 (4 verified), a and c vote; Y for
    the district (7 verified), a, e and f vote; Z for the district opened 100 days ago, no votes.
    Events: in C1 a, b and c sign up and a, b are checked in; in C2 e is; g was checked in at an
    event 100 days ago. Volunteering: a 2.5 h and c 1.5 h in C1, f 3 h in C2."""
    staff_c1 = make_user(Role.COMMUNITY_STAFF, tree.c1)
    staff_c2 = make_user(Role.COMMUNITY_STAFF, tree.c2)
    w = SimpleNamespace(
        staff_c1=staff_c1,
        staff_c2=staff_c2,
        **{
            name: verified_resident(grid)
            for name, grid in zip("abcdefg", [tree.g1] * 2 + [tree.g1b] * 2 + [tree.g2] * 3, strict=True)
        },
    )
    proposal_threshold_set(actor=staff_c1, community=tree.c1, threshold=2)
    p1, p2, p3 = _propose(w.a, "一"), _propose(w.b, "二"), _propose(w.c, "三")
    for proposal, supporters in ((p1, (w.b, w.c)), (p2, (w.a, w.c)), (p3, (w.a,))):
        for supporter in supporters:
            proposal_support(actor=supporter, proposal=proposal)
    proposal_answer(actor=staff_c1, proposal=p1, accepted=False, answer="经费不足")
    Proposal.objects.filter(pk=p2.pk).update(answer_due_at=timezone.now() - timedelta(hours=1))
    proposal_answer(actor=staff_c1, proposal=p2, accepted=False, answer="不在本社区职责内")
    p4 = _propose(w.e, "四")
    proposal_support(actor=w.f, proposal=p4)
    p5 = _propose(w.d, "五")
    Proposal.objects.filter(pk=p5.pk).update(created_at=timezone.now() - LONG_AGO)

    x = open_poll(make_poll(actor=people.subdistrict, area=tree.s1, title="S1"))
    y = open_poll(make_poll(actor=people.leader, area=tree.d, title="D"))
    for poll, voters in ((x, (w.a, w.c)), (y, (w.a, w.e, w.f))):
        for voter in voters:
            ballot_cast(user=voter, poll=poll, answers=answers_for(poll))
    z = make_poll(actor=people.leader, area=tree.d, title="old")
    Poll.objects.filter(pk=z.pk).update(opens_at=timezone.now() - LONG_AGO, closes_at=timezone.now() - LONG_AGO / 2)

    for staff, area, signing, checked in (
        (staff_c1, tree.c1, (w.a, w.b, w.c), (w.a, w.b)),
        (staff_c2, tree.c2, (w.e,), (w.e,)),
        (staff_c2, tree.c2, (w.g,), (w.g,)),
    ):
        event = make_event(actor=staff, area=area, capacity=5, starts_in=timedelta(hours=2))
        signups = {person.pk: event_signup(user=person, event=event) for person in signing}
        event = _held_now(event)
        for person in checked:
            event_check_in(actor=staff, event=event, code=signups[person.pk].code)
    Event.objects.filter(pk=event.pk).update(
        starts_at=timezone.now() - LONG_AGO, ends_at=timezone.now() - LONG_AGO + timedelta(hours=2)
    )

    for staff, area, hours in ((staff_c1, tree.c1, ((w.a, "2.5"), (w.c, "1.5"))), (staff_c2, tree.c2, ((w.f, "3"),))):
        activity = make_activity(actor=staff, area=area, hours=4)
        signups = [(volunteer_sign_up(user=person, activity=activity), given) for person, given in hours]
        held(activity)
        for signup, given in signups:
            volunteer_hours_confirm(actor=staff, signup=signup, hours=given)
    return w
