"""The selectors the dashboards read: scoped like the pages, one query for the money, status
annotations for the list."""

from decimal import Decimal

import pytest

from programme import projects as steps
from programme.project_selectors import (
    project_money_by_area,
    project_money_by_funding_source,
    project_money_totals,
    projects_delayed,
    projects_for_oversight,
    projects_for_user,
)
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


def test_the_oversight_queryset_carries_the_status(world, people, django_assert_num_queries):
    s1, district, s2 = world
    with django_assert_num_queries(2):
        rows = {p.pk: p for p in projects_for_oversight(people.leader)}
        assert {p.status for p in rows.values()} == {"not_started"}
        assert [len(p.communities.all()) for p in rows.values()]
    assert rows[district.pk].milestones_total == 1
    assert [p.pk for p in projects_delayed(people.leader, today=days(10))] == [district.pk]
    assert [p.pk for p in projects_delayed(people.leader, today=days(11))] == [district.pk, s1.pk, s2.pk]
    assert [p.pk for p in projects_delayed(people.partner, today=days(11))] == [s1.pk]


def test_money_by_funding_source_and_by_area_in_one_query_each(world, people, tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        by_source = {row["funding_source"]: row for row in project_money_by_funding_source(people.leader)}
    assert by_source["district_budget"]["approved"] == Decimal("1500.00")
    assert by_source["district_budget"]["spent"] == Decimal("400.00")
    assert by_source["district_budget"]["left"] == Decimal("1100.00")
    assert by_source["higher_level"]["spent"] == Decimal("2500.00")
    assert by_source["enterprise"]["projects"] == 1
    with django_assert_num_queries(1):
        by_area = {row["area__code"]: row for row in project_money_by_area(people.leader)}
    assert set(by_area) == {"D", "S1", "S2"}
    assert by_area["S1"]["approved"] == Decimal("1500.00") and by_area["S1"]["adjustments"] == Decimal("500.00")
    # S1's officer: only what they see.
    assert {row["area__code"] for row in project_money_by_area(people.subdistrict)} == {"D", "S1"}
    totals = project_money_totals(people.leader)
    assert totals == {"projects": 3, "approved": Decimal("6800.00"), "spent": Decimal("2900.00")}
    assert project_money_totals(people.resident) == {"projects": 0, "approved": 0, "spent": 0}
