"""Shared fixtures: a small district tree with two branches at every level, so every scoping test
has an insider and an outsider at the same level."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.utils import translation

from directory.models import Area, Organisation
from security.mfa import mfa_totp_enrol
from security.models import Role
from security.roles import STAFF_ROLES
from security.services import role_grant
from services.catalogue import service_define
from services.models import RoutingRule
from services.services import request_file
from tests.factories import (
    PASSWORD,
    STAFF_TOTP_SECRET,
    AreaFactory,
    HouseholdFactory,
    OrganisationFactory,
    ResidentFactory,
    UserFactory,
    authenticated_recently,
)


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploaded photos go to a folder of the test's own, never into the working tree."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def audit_checkpoints_in_tmp(settings, tmp_path):
    """Signed checkpoints and archives of the logs go to folders of the test's own: a checkpoint
    left by another test would vouch for rows this test's database never had."""
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "audit-checkpoints")
    settings.AUDIT_ARCHIVE_DIR = str(tmp_path / "audit-archive")
    settings.AUDIT_CHECKPOINT_URL = ""


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
def celery_worker_thread():
    """A real Celery worker (solo pool, in a thread of this process) consuming from the real Redis
    broker. Tests using it need `django_db(transaction=True)`: the worker has its own connection."""
    from celery.contrib.testing.worker import start_worker

    from portal.celery import app

    assert not app.conf.task_always_eager, "tests must use the real broker (REDIS_URL)"
    # Drop tasks earlier runs queued for rows that no longer exist; they would only slow this worker.
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as running:
        yield running


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
    """make_user(role, area, organisation=None) → a user holding that role; staff enrolled in TOTP
    unless mfa=False."""

    def make(
        role: str | None = None,
        area: Area | None = None,
        organisation: Organisation | None = None,
        mfa: bool | None = None,
        **kwargs,
    ):
        user = UserFactory(**kwargs)
        if role is not None:
            role_grant(user=user, role=role, area=area, organisation=organisation)
        # Staff come enrolled in TOTP (STAFF_TOTP_SECRET), or every staff page would send them to enrolment.
        if (role in STAFF_ROLES) if mfa is None else mfa:
            mfa_totp_enrol(user=user, secret=STAFF_TOTP_SECRET)
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
        authenticated_recently(client, user)
        return client

    return sign_in


@pytest.fixture
def catalogue(tree, orgs):
    """A repair service with a required list question and a number question, routed to a
    department district-wide and to a partner in subdistrict S1 (the more specific rule)."""
    repair = service_define(
        code="repair",
        group="物业维修",
        name_zh="维修",
        name_en="Repair",
        accept_within_hours=24,
        resolve_within_days=5,
        reopen_window_days=7,
        attributes=[
            {
                "code": "facility",
                "datatype": "singlevaluelist",
                "required": True,
                "description_zh": "哪里坏了？",
                "values": [{"key": "lift", "name_zh": "电梯"}, {"key": "door", "name_zh": "门"}],
            },
            {"code": "floors", "datatype": "number", "required": False, "description_zh": "几层？"},
            {
                "code": "needs",
                "datatype": "multivaluelist",
                "required": False,
                "description_zh": "需要？",
                "values": [{"key": "a", "name_zh": "甲"}, {"key": "b", "name_zh": "乙"}],
            },
        ],
    )
    RoutingRule.objects.create(service=repair, area=tree.d, organisation=orgs.dept)
    RoutingRule.objects.create(service=repair, area=tree.s1, organisation=orgs.partner)
    return SimpleNamespace(repair=repair)


@pytest.fixture
def people(tree, orgs, make_user):
    """A resident in G1, and staff at every level, with outsiders."""
    return SimpleNamespace(
        resident=make_user(Role.RESIDENT, tree.g1),
        other_resident=make_user(Role.RESIDENT, tree.g2),
        worker=make_user(Role.GRID_WORKER, tree.g1),
        worker_g1b=make_user(Role.GRID_WORKER, tree.g1b),
        worker_g2=make_user(Role.GRID_WORKER, tree.g2),
        community=make_user(Role.COMMUNITY_STAFF, tree.c1),
        community_c2=make_user(Role.COMMUNITY_STAFF, tree.c2),
        subdistrict=make_user(Role.SUBDISTRICT_OFFICER, tree.s1),
        leader=make_user(Role.DISTRICT_LEADER, tree.d),
        partner=make_user(Role.PARTNER_OPERATOR, tree.s1, orgs.partner),
        partner_other=make_user(Role.PARTNER_OPERATOR, tree.s2, orgs.partner_other),
        dept=make_user(Role.DEPARTMENT_OFFICER, tree.d, orgs.dept),
    )


@pytest.fixture
def file_request(catalogue, people, tree):
    """file_request(**overrides) → a request filed by the resident in G1."""

    def file(**overrides):
        arguments = {
            "actor": people.resident,
            "service": catalogue.repair,
            "description": "电梯坏了",
            "answers": {"facility": "lift"},
            "grid": tree.g1,
            "requester": people.resident,
        } | overrides
        return request_file(**arguments)

    return file
