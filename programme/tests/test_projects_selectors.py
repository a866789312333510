"""Who sees which project: scoped like the pages."""

import pytest

from programme import projects as steps
from programme.project_selectors import projects_for_user
from programme.projects import PlannedMilestone
from programme.tests.test_projects_setup import days, pdf, register
from security.models import Role


@pytest.fixture
def world(tree, orgs, people):
    s1 = register(people.subdistrict, tree.s1, [tree.c1], orgs.dept, budget="1000", partners=[orgs.partner])
    district = register(
        people.leader,
        tree.d,
        [tree.c1, tree.c2],
        orgs.dept_other,
        budget="5000",
        funding_source="higher_level",
        milestones=[PlannedMilestone("设计", days(5))],
    )
    s2 = register(people.leader, tree.s2, [tree.c2], orgs.dept, budget="300", funding_source="enterprise")
    steps.spend_record(
        actor=people.subdistrict, project=s1, amount="400", spent_on=days(0), purpose="x", document=pdf()
    )
    steps.spend_record(
        actor=people.leader, project=district, amount="2500", spent_on=days(0), purpose="x", document=pdf()
    )
    adjustment = steps.adjustment_request(actor=people.subdistrict, project=s1, amount="500", reason="r")
    steps.adjustment_approve(actor=people.leader, adjustment=adjustment)
    return s1, district, s2


def test_each_sees_their_own_projects(world, people, tree, make_user):
    s1, district, s2 = world
    assert set(projects_for_user(user=people.leader)) == {s1, district, s2}
    # A district project covering C1 is read (not managed) by S1's officer and C1's staff.
    assert set(projects_for_user(user=people.subdistrict)) == {s1, district}
    assert set(projects_for_user(user=people.community)) == {s1, district}
    assert set(projects_for_user(user=people.community_c2)) == {district, s2}
    assert set(projects_for_user(user=people.dept)) == {s1, s2}
    assert set(projects_for_user(user=people.partner)) == {s1}
    assert set(projects_for_user(user=people.partner_other)) == set()
    assert set(projects_for_user(user=people.resident)) == set()
    assert set(projects_for_user(user=people.worker)) == set()
    auditor = make_user(Role.AUDITOR, tree.s2)
    assert set(projects_for_user(user=auditor)) == {district, s2}
