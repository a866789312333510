"""Helpers for the volunteering and points tests: verified residents, activities and items made
through the real services."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from participation.models import VolunteerActivity
from participation.points import redemption_item_create
from participation.volunteering import volunteer_activity_create, volunteer_hours_confirm, volunteer_sign_up
from residents.services import verification_approve, verification_request_in_person
from security.models import Role
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory


def verified_resident(*, grid, staff, profile=None):
    """A new account verified in person by `staff` as `profile` (or a new entry in a new household of `grid`)."""
    profile = profile or ResidentFactory(household=HouseholdFactory(grid=grid))
    person = UserFactory()
    verification = verification_request_in_person(user=person, community=grid.parent)
    verification_approve(actor=staff, verification=verification, profile=profile)
    person.refresh_from_db()
    return person


def make_activity(*, actor, area, slots=5, points_per_hour=10, hours=2, starts_in=timedelta(days=2), **overrides):
    starts_at = timezone.now() + starts_in
    arguments = {
        "actor": actor,
        "area": area,
        "title": "清理小区绿地",
        "place": "3号楼前",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=hours),
        "slots": slots,
        "points_per_hour": points_per_hour,
        "description": "带手套",
    } | overrides
    return volunteer_activity_create(**arguments)


def held(activity) -> VolunteerActivity:
    """The activity took place: moved to yesterday, same length (tests cannot wait for the clock)."""
    length = activity.ends_at - activity.starts_at
    starts_at = timezone.now() - timedelta(days=1)
    VolunteerActivity.objects.filter(pk=activity.pk).update(starts_at=starts_at, ends_at=starts_at + length)
    activity.refresh_from_db()
    return activity


def earn(*, person, staff, area, points, rate=10):
    """`person` earns `points` (a multiple of `rate`/10) by volunteering on a fresh activity."""
    hours = points / rate
    activity = make_activity(actor=staff, area=area, points_per_hour=rate, hours=max(1, int(hours) + 1))
    signup = volunteer_sign_up(user=person, activity=activity)
    held(activity)
    return volunteer_hours_confirm(actor=staff, signup=signup, hours=str(hours))


def make_item(*, actor, community, name="大米一袋", points_cost=30, stock=10):
    return redemption_item_create(actor=actor, community=community, name=name, points_cost=points_cost, stock=stock)


@pytest.fixture(name="town")
def town_fixture(tree, residents, make_user):
    """Staff of C1 (community, a G1 grid worker, the S1 subdistrict), outsiders (C2 staff, a G1b
    grid worker), and verified residents: a and b in G1, c in G1b (all C1), outsider in G2 (C2),
    plus an unverified account."""
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    staff_c2 = make_user(Role.COMMUNITY_STAFF, tree.c2)
    return SimpleNamespace(
        staff=staff,
        staff_c2=staff_c2,
        worker=make_user(Role.GRID_WORKER, tree.g1),
        worker_g1b=make_user(Role.GRID_WORKER, tree.g1b),
        subdistrict=make_user(Role.SUBDISTRICT_OFFICER, tree.s1),
        a=verified_resident(grid=tree.g1, staff=staff, profile=residents.r1),
        b=verified_resident(grid=tree.g1, staff=staff),
        c=verified_resident(grid=tree.g1b, staff=staff, profile=residents.r1b),
        outsider=verified_resident(grid=tree.g2, staff=staff_c2, profile=residents.r2),
        unverified=UserFactory(),
    )
