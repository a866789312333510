"""Social organisations (社会组织) beside departments and enterprise partners: routing rules send them
requests, their operators work them on the workbench, and they have their own league table and
scorecard; other organisations' operators see none of it."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dashboards.services import summaries_rebuild
from directory.models import Organisation
from directory.services import organisation_check
from participation.tests.event_helpers import make_event
from security.models import ApiKey, Role
from security.services import role_grant
from services.catalogue import service_define
from services.models import RoutingRule
from services.services import request_file, routing_resolve
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def social(tree, orgs, people, make_user):
    """An elderly-care service routed in S1 to a social organisation, another one in S2."""
    care = service_define(
        code="elderly-care",
        group="养老服务",
        name_zh="居家养老上门服务",
        name_en="Home elderly care",
        accept_within_hours=24,
        resolve_within_days=3,
        reopen_window_days=7,
        attributes=[],
    )
    home = OrganisationFactory(code="so-sunset", kind=Organisation.Kind.SOCIAL_ORGANISATION, area=tree.s1)
    other = OrganisationFactory(code="so-other", kind=Organisation.Kind.SOCIAL_ORGANISATION, area=tree.s2)
    RoutingRule.objects.create(service=care, area=tree.d, organisation=orgs.dept)
    RoutingRule.objects.create(service=care, area=tree.s1, organisation=home)
    request = request_file(
        actor=people.resident,
        service=care,
        description="老人需要助浴",
        answers={},
        grid=tree.g1,
        requester=people.resident,
    )
    return SimpleNamespace(
        care=care,
        home=home,
        other=other,
        request=request,
        operator=make_user(Role.PARTNER_OPERATOR, tree.s1, home),
        other_operator=make_user(Role.PARTNER_OPERATOR, tree.s2, other),
    )


def test_a_social_organisation_works_below_the_district_like_a_partner(tree):
    organisation_check(kind=Organisation.Kind.SOCIAL_ORGANISATION, area=tree.c1)
    with pytest.raises(ValidationError):
        organisation_check(kind=Organisation.Kind.SOCIAL_ORGANISATION, area=tree.g1)


def test_only_the_partner_operator_role_acts_for_a_social_organisation(social, tree, make_user):
    user = make_user()
    with pytest.raises(ValidationError):
        role_grant(user=user, role=Role.DEPARTMENT_OFFICER, area=tree.s1, organisation=social.home)
    role_grant(user=user, role=Role.PARTNER_OPERATOR, area=tree.s1, organisation=social.home)


def test_routed_request_is_on_its_operators_workbench_and_no_one_elses(client, login, social, people, tree):
    assert routing_resolve(service=social.care, grid=tree.g1) == social.home
    assert social.request.handling_organisation == social.home
    login(social.operator)
    assert [r.pk for r in client.get("/requests/workbench/").context["page"]] == [social.request.pk]
    assert client.get(f"/requests/{social.request.public_id}/").status_code == 200
    for outsider in (social.other_operator, people.partner, people.partner_other):
        login(outsider)
        assert social.request.pk not in [r.pk for r in client.get("/requests/workbench/").context["page"]]
        assert client.get(f"/requests/{social.request.public_id}/").status_code == 404


def test_social_organisations_have_their_own_league_table_and_scorecard(client, login, social, people):
    summaries_rebuild(now=timezone.now())
    login(people.leader)
    tables = {t.slug: t for t in client.get("/dashboards/league/", {"period": "90d"}).context["tables"]}
    assert [row[0] for row in tables["social"].rows] == [social.home.name_zh]
    assert social.home.name_zh not in [row[0] for row in tables["partners"].rows]
    assert client.get("/dashboards/export/social.csv", {"period": "90d"}).status_code == 200

    login(social.operator)
    response = client.get("/dashboards/scorecard/", {"period": "90d"})
    assert response.status_code == 200
    assert response.context["page"].figures.total.new == 1
    # Another social organisation's operator sees only their own (empty) scorecard, not this one's.
    login(social.other_operator)
    other = client.get("/dashboards/scorecard/", {"period": "90d", "organisation": social.home.pk})
    assert other.status_code == 200
    assert other.context["page"].figures.total.new == 0
    assert client.get("/dashboards/league/").status_code == 403


def test_area_staff_name_a_social_organisation_of_their_area_as_an_events_organiser(social, people, tree):
    # Area staff credit a social organisation based in their area.
    event = make_event(actor=people.subdistrict, area=tree.c1, organiser=social.home)
    assert event.organiser == social.home
    with pytest.raises(ValidationError):
        make_event(actor=people.subdistrict, area=tree.c1, organiser=social.other)
    # Its operator posts events as their organisation in their role's area (issue 17, item 7; see
    # participation/tests/test_social_organisation_participation.py); another one's operator cannot.
    assert make_event(actor=social.operator, area=tree.c1).organiser == social.home
    with pytest.raises(PermissionDenied):
        make_event(actor=social.other_operator, area=tree.c1, organiser=social.other)


def test_a_social_organisations_operator_gets_no_partner_api_key(client, login, social):
    # The partner API's scopes are for enterprise partners; the keys page answers, and a key is refused.
    login(social.operator)
    assert client.get("/partners/keys/").status_code == 200
    response = client.post(
        "/partners/keys/",
        {"organisation": social.home.pk, "name": "系统对接", "scopes": ["submit_requests"], "expires_on": "2099-01-01"},
    )
    assert response.status_code == 200
    assert "scopes" in response.context["form"].errors
    assert not ApiKey.objects.exists()
