from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from directory.models import Area, Organisation
from directory.selectors import area_ancestors, area_subtree
from directory.services import area_create, organisation_create

pytestmark = pytest.mark.django_db


def test_area_paths_follow_the_tree(tree):
    assert tree.d.path == "D/"
    assert tree.g1.path == "D/S1/C1/G1/"
    assert (tree.d.depth, tree.s1.depth, tree.c1.depth, tree.g1.depth) == (0, 1, 2, 3)


def test_subtree_is_one_query(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        codes = [area.code for area in area_subtree(area=tree.s1)]
    assert codes == ["S1", "C1", "G1", "G1b"]


def test_ancestors_run_from_the_district_down(tree):
    assert [a.code for a in area_ancestors(area=tree.g1)] == ["D", "S1", "C1"]


def test_subtree_query_uses_the_path_prefix(tree):
    sql = str(area_subtree(area=tree.s1).query)
    assert "LIKE" in sql.upper()


@pytest.mark.parametrize(
    ("kind", "parent_code", "message"),
    [
        (Area.Kind.GRID, "S1", "cannot contain"),
        (Area.Kind.COMMUNITY, "D", "cannot contain"),
        (Area.Kind.SUBDISTRICT, None, "Only a district"),
        ("county", "D", "Unknown area kind"),
    ],
)
def test_area_create_refuses_a_broken_tree(tree, kind, parent_code, message):
    before = Area.objects.count()
    parent = Area.objects.get(code=parent_code) if parent_code else None
    with pytest.raises(ValidationError, match=message):
        area_create(code="X1", kind=kind, name_zh="新区域", parent=parent)
    assert Area.objects.count() == before


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"code": "bad code!"}, "letters, digits"),
        ({"code": "G1"}, "already exists"),
        ({"name_zh": "  "}, "Chinese name"),
        ({"centre": (Decimal("91"), Decimal("106"))}, "latitude"),
        ({"boundary": {"type": "Point", "coordinates": [0, 0]}}, "Polygon"),
    ],
)
def test_area_create_reports_bad_input(tree, kwargs, message):
    arguments = {"code": "G9", "kind": Area.Kind.GRID, "name_zh": "第九网格", "parent": tree.c1} | kwargs
    with pytest.raises(ValidationError, match=message):
        area_create(**arguments)
    assert not Area.objects.filter(code="G9").exists()


def test_area_create_keeps_centre_and_boundary(tree):
    boundary = {"type": "Polygon", "coordinates": [[[106.0, 30.7], [106.1, 30.7], [106.1, 30.8], [106.0, 30.7]]]}
    grid = area_create(
        code="G9",
        kind=Area.Kind.GRID,
        name_zh="第九网格",
        name_en="Grid 9",
        parent=tree.c1,
        centre=(Decimal("30.795"), Decimal("106.09")),
        boundary=boundary,
    )
    grid.refresh_from_db()
    assert grid.centre_lat == Decimal("30.795000")
    assert grid.boundary == boundary


def test_organisation_must_sit_at_its_level(tree):
    with pytest.raises(ValidationError, match="cannot be tied"):
        organisation_create(code="o1", kind=Organisation.Kind.COMMUNITY_COMMITTEE, name_zh="居委会", area=tree.s1)
    committee = organisation_create(
        code="o1", kind=Organisation.Kind.COMMUNITY_COMMITTEE, name_zh="居委会", area=tree.c1
    )
    assert committee.area == tree.c1


def test_names_follow_the_active_language(tree):
    from django.utils import translation

    with translation.override("zh-hans"):
        assert tree.s1.name == "区域S1"
    with translation.override("en"):
        assert tree.s1.name == "Area S1"


def test_admin_adds_organisations_through_the_service_and_explains_bad_ones(client, tree):
    from security.mfa import mfa_totp_enrol
    from security.models import User
    from tests.factories import STAFF_TOTP_SECRET

    admin_user = User.objects.create_superuser(username="root", password="pw-long-enough-2026")
    mfa_totp_enrol(user=admin_user, secret=STAFF_TOTP_SECRET)  # or the admin sends them to enrolment
    client.force_login(admin_user)
    form = {"code": "partner-x", "kind": "partner", "name_zh": "新物业", "name_en": "", "area": tree.g1.pk}
    response = client.post("/admin/directory/organisation/add/", form, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "cannot be tied to a Grid" in response.content.decode()
    assert not Organisation.objects.filter(code="partner-x").exists()
    response = client.post("/admin/directory/organisation/add/", form | {"area": tree.c1.pk})
    assert response.status_code == 302
    assert Organisation.objects.get(code="partner-x").area == tree.c1
