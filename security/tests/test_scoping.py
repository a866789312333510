"""Scoping at every level of the tree, each with an outsider at the same level."""

import pytest

from directory.models import Area
from residents.models import ResidentProfile
from security.models import Role
from security.scoping import covers_area, primary_role, restrict, visible_areas

pytestmark = pytest.mark.django_db


def visible_resident_ids(user):
    qs = restrict(ResidentProfile.objects.all(), user, area_path="household__grid__path", owner="user")
    return set(qs.values_list("pk", flat=True))


# (role, the area attribute it is granted over, its outsider's area, residents it must see)
LEVELS = [
    (Role.DISTRICT_LEADER, "d", None, {"r1", "r1b", "r2"}),
    (Role.SUBDISTRICT_OFFICER, "s1", "s2", {"r1", "r1b"}),
    (Role.COMMUNITY_STAFF, "c1", "c2", {"r1", "r1b"}),
    (Role.GRID_WORKER, "g1", "g2", {"r1"}),
]


@pytest.mark.parametrize(("role", "area_name", "outsider_area_name", "expected"), LEVELS)
def test_each_level_sees_its_subtree_and_nothing_else(
    tree, residents, make_user, role, area_name, outsider_area_name, expected
):
    insider = make_user(role, getattr(tree, area_name))
    assert visible_resident_ids(insider) == {getattr(residents, name).pk for name in expected}
    insider_areas = set(visible_areas(insider).values_list("code", flat=True))
    assert insider_areas == set(
        Area.objects.filter(path__startswith=getattr(tree, area_name).path).values_list("code", flat=True)
    )
    if outsider_area_name:
        outsider = make_user(role, getattr(tree, outsider_area_name))
        assert visible_resident_ids(outsider).isdisjoint(visible_resident_ids(insider))
        assert not covers_area(outsider, getattr(tree, area_name))


def test_a_user_with_two_areas_sees_both(tree, residents, make_user):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    from security.services import role_grant

    role_grant(user=worker, role=Role.GRID_WORKER, area=tree.g2)
    assert visible_resident_ids(worker) == {residents.r1.pk, residents.r2.pk}


def test_nested_grants_do_not_duplicate_rows(tree, residents, make_user):
    from security.services import role_grant

    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    role_grant(user=staff, role=Role.GRID_WORKER, area=tree.g1)
    rows = list(restrict(ResidentProfile.objects.all(), staff, area_path="household__grid__path"))
    assert len(rows) == len(set(rows)) == 2


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.DEPARTMENT_OFFICER, Role.PARTNER_OPERATOR])
def test_non_area_roles_see_no_area_records(tree, orgs, residents, make_user, role):
    organisation = {Role.DEPARTMENT_OFFICER: orgs.dept, Role.PARTNER_OPERATOR: orgs.partner}.get(role)
    area = tree.g1 if role == Role.RESIDENT else (tree.d if role == Role.DEPARTMENT_OFFICER else tree.s1)
    user = make_user(role, area, organisation)
    assert visible_resident_ids(user) == set()


def test_owner_sees_own_record_only(tree, residents, make_user):
    resident = make_user(Role.RESIDENT, tree.g1)
    ResidentProfile.objects.filter(pk=residents.r1.pk).update(user=resident)
    other = make_user(Role.RESIDENT, tree.g1)
    assert visible_resident_ids(resident) == {residents.r1.pk}
    assert visible_resident_ids(other) == set()


def test_organisation_roles_see_their_organisation_only(tree, orgs, make_user):
    from directory.models import Organisation

    officer = make_user(Role.DEPARTMENT_OFFICER, tree.d, orgs.dept)
    outsider = make_user(Role.DEPARTMENT_OFFICER, tree.d, orgs.dept_other)
    partner = make_user(Role.PARTNER_OPERATOR, tree.s1, orgs.partner)
    qs = Organisation.objects.all()
    assert set(restrict(qs, officer, organisation="pk")) == {orgs.dept}
    assert set(restrict(qs, outsider, organisation="pk")) == {orgs.dept_other}
    assert set(restrict(qs, partner, organisation="pk")) == {orgs.partner}


def test_anonymous_and_inactive_users_see_nothing(tree, residents, make_user):
    from django.contrib.auth.models import AnonymousUser

    leader = make_user(Role.DISTRICT_LEADER, tree.d)
    leader.is_active = False
    assert visible_resident_ids(AnonymousUser()) == set()
    assert visible_resident_ids(leader) == set()


def test_a_user_without_roles_sees_nothing(tree, residents, make_user):
    assert visible_resident_ids(make_user()) == set()


def test_roles_are_read_once_per_user(tree, residents, make_user, django_assert_num_queries):
    leader = make_user(Role.DISTRICT_LEADER, tree.d)
    leader = type(leader).objects.get(pk=leader.pk)
    with django_assert_num_queries(1):
        covers_area(leader, tree.g1)
        covers_area(leader, tree.g2)
        primary_role(leader)


def test_primary_role_follows_precedence(tree, make_user):
    from security.services import role_grant

    user = make_user(Role.RESIDENT, tree.g1)
    assert primary_role(user) == Role.RESIDENT
    role_grant(user=user, role=Role.GRID_WORKER, area=tree.g1)
    assert primary_role(user) == Role.GRID_WORKER
