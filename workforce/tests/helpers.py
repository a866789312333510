"""A small workforce world on the shared `tree`: workers and managers in C1 (S1), a head of C2."""

from datetime import date
from types import SimpleNamespace

import pytest

from security.models import Role
from workforce.models import Education, Post, WorkerProfile


def profile(user, *, post=Post.OTHER, level=1, joined=date(2015, 3, 1), is_head=False, **fields) -> WorkerProfile:
    fields.setdefault("education", Education.SECONDARY)
    return WorkerProfile.objects.create(
        user=user, post=post, level=level, date_joined=joined, is_head=is_head, **fields
    )


@pytest.fixture
def crew(tree, orgs, make_user):
    """w1, w1b: grid workers of G1, G1b (C1); head1: C1's head; staff1: C1 staff, not head;
    w2: grid worker of G2 (C2), head2: C2's head; sub1: S1's officer; civil: 民政 officer."""
    people = SimpleNamespace(
        w1=make_user(Role.GRID_WORKER, tree.g1, first_name="王网格"),
        w1b=make_user(Role.GRID_WORKER, tree.g1b, first_name="李网格"),
        head1=make_user(Role.COMMUNITY_STAFF, tree.c1, first_name="张书记"),
        staff1=make_user(Role.COMMUNITY_STAFF, tree.c1, first_name="赵干事"),
        w2=make_user(Role.GRID_WORKER, tree.g2, first_name="钱网格"),
        head2=make_user(Role.COMMUNITY_STAFF, tree.c2, first_name="孙书记"),
        sub1=make_user(Role.SUBDISTRICT_OFFICER, tree.s1),
        civil=make_user(Role.CIVIL_AFFAIRS_OFFICER, tree.d),
        resident=make_user(Role.RESIDENT, tree.g1),
        partner=make_user(Role.PARTNER_OPERATOR, tree.s1, orgs.partner),
    )
    people.p1 = profile(people.w1, work_phone="08172223333")
    people.p1b = profile(people.w1b)
    people.ph1 = profile(people.head1, post=Post.HEAD, level=7, is_head=True)
    people.ps1 = profile(people.staff1, post=Post.DEPUTY, level=4)
    people.p2 = profile(people.w2)
    people.ph2 = profile(people.head2, post=Post.HEAD, level=7, is_head=True)
    return people
