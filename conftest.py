"""Shared fixtures: a small district tree with two branches at every level, so every scoping test
has an insider and an outsider at the same level."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.utils import translation

from directory.models import Area, Organisation
from security.services import role_grant
from tests.factories import PASSWORD, AreaFactory, HouseholdFactory, OrganisationFactory, ResidentFactory, UserFactory


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


@pytest.fixture(autouse=True)
def english_outside_requests():
    """Code called outside a request speaks the default language, Chinese; tests assert on the
    English source messages there. Requests still choose their own language (Chinese by default)."""
    with translation.override("en"):
        yield


@pytest.fixture
def tree(db):
    """District D with subdistricts S1, S2; communities C1 (S1), C2 (S2); grids G1, G1b (C1), G2 (C2)."""
    d = AreaFactory(code="D", kind=Area.Kind.DISTRICT)
    s1 = AreaFactory(code="S1", kind=Area.Kind.SUBDISTRICT, parent=d)
    s2 = AreaFactory(code="S2", kind=Area.Kind.SUBDISTRICT, parent=d)
    c1 = AreaFactory(code="C1", kind=Area.Kind.COMMUNITY, parent=s1)
    c2 = AreaFactory(code="C2", kind=Area.Kind.COMMUNITY, parent=s2)
    g1 = AreaFactory(code="G1", kind=Area.Kind.GRID, parent=c1)
    g1b = AreaFactory(code="G1b", kind=Area.Kind.GRID, parent=c1)
    g2 = AreaFactory(code="G2", kind=Area.Kind.GRID, parent=c2)
    return SimpleNamespace(d=d, s1=s1, s2=s2, c1=c1, c2=c2, g1=g1, g1b=g1b, g2=g2)


@pytest.fixture
def orgs(tree):
    return SimpleNamespace(
        dept=OrganisationFactory(code="dept-a", kind=Organisation.Kind.DEPARTMENT, area=tree.d),
        dept_other=OrganisationFactory(code="dept-b", kind=Organisation.Kind.DEPARTMENT, area=tree.d),
        partner=OrganisationFactory(code="partner-a", kind=Organisation.Kind.PARTNER, area=tree.s1),
        partner_other=OrganisationFactory(code="partner-b", kind=Organisation.Kind.PARTNER, area=tree.s2),
    )


@pytest.fixture
def make_user(db):
    """make_user(role, area, organisation=None) → a user holding that role."""

    def make(role: str | None = None, area: Area | None = None, organisation: Organisation | None = None, **kwargs):
        user = UserFactory(**kwargs)
        if role is not None:
            role_grant(user=user, role=role, area=area, organisation=organisation)
        return user

    return make


@pytest.fixture
def residents(tree):
    """One household with one resident in each grid: r1 (G1), r1b (G1b), r2 (G2)."""
    return SimpleNamespace(
        r1=ResidentFactory(household=HouseholdFactory(grid=tree.g1)),
        r1b=ResidentFactory(household=HouseholdFactory(grid=tree.g1b)),
        r2=ResidentFactory(household=HouseholdFactory(grid=tree.g2)),
    )


@pytest.fixture
def login(client):
    def sign_in(user):
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return sign_in
