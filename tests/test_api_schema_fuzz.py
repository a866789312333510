"""The partner API against its own OpenAPI schema: schemathesis generates requests from
/api/schema/ (valid ones and deliberately invalid ones) for every /api/v1/ operation, sends them to
the Django WSGI application in-process with a real key holding every scope, and checks that no
answer is a server error and every answer matches what the schema documents.

It runs on PostgreSQL with real data: each operation's test seeds a district, a partner and work
orders in several states through the real services, and some generated calls are pointed at those
work orders and at the seeded service and grid, so the steps really run and not only their 404s.
Transactional (`transaction=True`): the application answers through Django's own request cycle,
which closes and reopens connections between requests, so it cannot share a test transaction.
"""

from datetime import timedelta

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from portal.wsgi import application
from security.api_keys import allowed_scopes, api_key_create
from security.models import Role
from security.services import role_grant
from services import services as steps
from services.catalogue import service_define
from services.models import RoutingRule, ServiceRequest
from tests.factories import AreaFactory, OrganisationFactory, UserFactory

# The schema is read once, at collection, from the application itself (no database needed).
schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(path_regex=r"^/api/v1/")

# Seeded work orders get these numbers, so generated calls can name them.
KNOWN_IDS = [f"SQFVZZ{n:06d}" for n in range(6)]
EXAMPLES_PER_OPERATION = 100


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the calls on one work order name a seeded one (which exists and is the key's)."""
    if not isinstance(path_parameters, dict) or "public_id" not in path_parameters:
        return st.just(path_parameters)
    seeded = st.sampled_from(KNOWN_IDS).map(lambda public_id: {**path_parameters, "public_id": public_id})
    return st.one_of(st.just(path_parameters), seeded)


@schema.hook
def flatmap_body(context, body):
    """Some submissions name the seeded service and grid, so requests really get filed."""
    if context.operation.path != "/api/v1/requests/" or not isinstance(body, dict):
        return st.just(body)
    real = {"service": "repair", "grid": "G1", "answers": {"facility": "lift"}}
    return st.one_of(st.just(body), st.just({**body, **real}))


@pytest.fixture
def seeded_key(settings, monkeypatch):
    """A district with a partner, its operator's key with every partner scope, and its work orders in
    several states. Returns the raw key."""
    # Thousands of calls a minute: the throttle is tested on its own (partners/tests).
    settings.API_RATE_LIMIT = "1000000/min"
    # Webhook registration resolves the address's host: answer every lookup with a private
    # address, so no test reaches DNS, every registration is refused, and nothing is ever sent.
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    monkeypatch.setattr("core.outbound_http.resolve", lambda host, port: ["10.0.0.1"])

    district = AreaFactory(code="D", kind="district")
    subdistrict = AreaFactory(code="S1", kind="subdistrict", parent=district)
    community = AreaFactory(code="C1", kind="community", parent=subdistrict)
    grid = AreaFactory(code="G1", kind="grid", parent=community)
    partner = OrganisationFactory(code="partner-a", kind="partner", area=subdistrict)
    operator = UserFactory()
    role_grant(user=operator, role=Role.PARTNER_OPERATOR, area=subdistrict, organisation=partner)
    worker = UserFactory()
    role_grant(user=worker, role=Role.GRID_WORKER, area=grid)
    resident = UserFactory()
    role_grant(user=resident, role=Role.RESIDENT, area=grid)
    repair = service_define(
        code="repair",
        group="物业维修",
        name_zh="维修",
        attributes=[
            {
                "code": "facility",
                "datatype": "singlevaluelist",
                "required": True,
                "description_zh": "哪里坏了？",
                "values": [{"key": "lift", "name_zh": "电梯"}, {"key": "door", "name_zh": "门"}],
            },
            {"code": "floors", "datatype": "number", "description_zh": "几层？"},
        ],
    )
    RoutingRule.objects.create(service=repair, area=subdistrict, organisation=partner)
    for number, public_id in enumerate(KNOWN_IDS):
        order = steps.request_file(
            actor=resident,
            service=repair,
            description=f"电梯坏了 {number}",
            answers={"facility": "lift", "floors": number},
            grid=grid,
            requester=resident,
            contact_name="王大爷",
            contact_phone="13912345678",
        )
        ServiceRequest.objects.filter(pk=order.pk).update(public_id=public_id)
        order.refresh_from_db()
        if number >= 2:
            steps.request_accept(request=order, actor=worker)
        if number >= 3:
            steps.request_assign(request=order, actor=worker, organisation=partner)
        if number >= 4:
            steps.request_start(request=order, actor=operator)
        if number == 5:
            steps.request_comment(request=order, actor=operator, message="备件已订", internal=True)
    _key, raw = api_key_create(
        actor=operator,
        organisation=partner,
        name="fuzz",
        scopes=allowed_scopes(partner),
        expires_at=timezone.now() + timedelta(days=30),
    )
    return raw


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,  # no .hypothesis folder in the working tree
    derandomize=True,  # the same cases every run: `make test` does not flake
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_partner_api_keeps_to_its_schema(case, seeded_key):
    case.call_and_validate(
        headers={"X-API-Key": seeded_key},
        checks=[not_a_server_error, response_schema_conformance],
    )
