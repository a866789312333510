"""Helpers for the meetings and events tests: verified residents and events made through the real
services."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from django.utils import timezone

from participation.events import event_create
from participation.models import EventKind
from residents.services import verification_approve, verification_request_in_person
from security.models import Role
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory


def verified_resident(*, grid, staff, profile=None):
    """A new account verified (in person, by `staff` of the grid's community) as `profile`, or as a
    new register entry in a new household of `grid`."""
    profile = profile or ResidentFactory(household=HouseholdFactory(grid=grid))
    person = UserFactory()
    verification = verification_request_in_person(user=person, community=grid.parent)
    verification_approve(actor=staff, verification=verification, profile=profile)
    person.refresh_from_db()
    return person


def make_event(*, actor, area, capacity=2, starts_in=timedelta(days=2), hours=2, **overrides):
    starts_at = timezone.now() + starts_in
    arguments = {
        "actor": actor,
        "area": area,
        "kind": EventKind.COUNCIL,
        "title": "居民议事会：加装电梯",
        "description": "讨论3号楼加装电梯方案",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=hours),
        "place": "社区活动室",
        "capacity": capacity,
    } | overrides
    return event_create(**arguments)


def event_town(tree, residents, make_user):
    """For the `town` fixture of the event tests: staff of C1 (the organiser), of C2 and a grid
    worker of G1b (outsiders for a C1 event), a subdistrict officer of S1, and verified residents:
    two in G1, one in G1b (all in C1) and one in G2 (C2)."""
    organiser = make_user(Role.COMMUNITY_STAFF, tree.c1)
    staff_c2 = make_user(Role.COMMUNITY_STAFF, tree.c2)
    return SimpleNamespace(
        organiser=organiser,
        staff_c2=staff_c2,
        worker_g1b=make_user(Role.GRID_WORKER, tree.g1b),
        subdistrict=make_user(Role.SUBDISTRICT_OFFICER, tree.s1),
        a=verified_resident(grid=tree.g1, staff=organiser, profile=residents.r1),
        b=verified_resident(grid=tree.g1, staff=organiser),
        c=verified_resident(grid=tree.g1b, staff=organiser, profile=residents.r1b),
        outsider=verified_resident(grid=tree.g2, staff=staff_c2, profile=residents.r2),
    )
