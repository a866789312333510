"""On a 360 px phone: a community head opens the team's workload, sees the overloaded grid flagged
and the suggested move, applies it, and the grid-worker role has moved."""

import pytest

from residents.models import Household
from security.models import Role, RoleAssignment
from security.services import role_grant
from tests.browser.test_phone_journeys import fits_the_screen, sign_in
from tests.factories import AreaFactory
from workforce.tests.helpers import crew  # noqa: F401,F811  (the workforce fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def homes(grid, n):
    Household.objects.bulk_create(Household(address=f"{grid.code}-{i}", grid=grid) for i in range(n))


def test_a_head_applies_the_suggested_rebalancing_on_a_phone(phone, live_server, tree, crew):  # noqa: F811
    # w1 serves G1 and G1c, fifty households each; w1b serves G1b with ten.
    g1c = AreaFactory(code="G1c", kind="grid", parent=tree.c1)
    role_grant(user=crew.w1, role=Role.GRID_WORKER, area=g1c)
    homes(tree.g1, 50)
    homes(g1c, 50)
    homes(tree.g1b, 10)

    sign_in(phone, crew.head1.username)
    phone.goto("/workforce/")
    phone.click("a[href='/workforce/team/']")
    phone.wait_for_load_state()
    assert phone.url.endswith("/workforce/team/")
    assert fits_the_screen(phone)
    assert phone.locator("li.team-grid.flagged").count() == 2  # G1 and G1c: 50 per worker, median 30
    assert phone.locator("li.team-grid.flagged .tag.warn").first.is_visible()
    assert phone.locator(f"article.team-worker[data-worker='{crew.w1.username}'] .tag.warn").is_visible()

    phone.click("#suggestion button[type=submit]")
    phone.wait_for_load_state()
    assert phone.url.endswith("/workforce/team/")
    assert phone.locator(".messages li").count() == 1
    assert fits_the_screen(phone)

    moved = RoleAssignment.objects.filter(role=Role.GRID_WORKER, area__in=[tree.g1, g1c])
    holders = dict(moved.values_list("area__code", "user_id"))
    assert sorted(holders.values()) == sorted([crew.w1.pk, crew.w1b.pk])  # one of the two grids moved
    assert moved.count() == 2
