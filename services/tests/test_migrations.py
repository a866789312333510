"""Migration 0009 files the Open311 requests still waiting in the received-requests table before
0010 drops it, and reports on stdout, whole, each one it cannot file."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from security import personal_data
from security.api_keys import api_key_create
from security.audit import audit_chain_verify
from security.models import ApiScope, AuditEvent, RoleAssignment
from security.services import role_revoke
from services.models import Channel, ServiceRequest

BEFORE = ("services", "0008_each_index_once")
PHONE = "13912345678"


def _key(operator, organisation):
    key, _raw = api_key_create(
        actor=operator,
        organisation=organisation,
        name="ERP",
        scopes=[ApiScope.SUBMIT_REQUESTS],
        expires_at=timezone.now() + timedelta(days=30),
    )
    return key


# Schema changes and back: not inside a test transaction.
@pytest.mark.django_db(transaction=True)
def test_waiting_requests_are_filed_and_those_that_cannot_be_are_reported(people, orgs, tree, catalogue, capsys):
    key, other_key = _key(people.partner, orgs.partner), _key(people.partner_other, orgs.partner_other)
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    try:
        executor.loader.build_graph()
        ReceivedRequest = executor.loader.project_state([BEFORE]).apps.get_model("services", "ReceivedRequest")
        received_at = timezone.now() - timedelta(hours=2)

        def waiting(public_id, **fields):
            return ReceivedRequest.objects.create(
                **{
                    "public_id": public_id,
                    "received_at": received_at,
                    "api_key_id": key.pk,
                    "service_id": catalogue.repair.pk,
                    "grid_id": tree.g1.pk,
                    "description": "楼道灯不亮",
                    "attributes": {"facility": "lift"},
                    "contact_name": "张桂兰",
                    "contact_phone_encrypted": personal_data.encrypt(PHONE),
                    "contact_phone_masked": personal_data.mask_phone(PHONE),
                    "client_address": "10.9.8.7",
                }
                | fields
            )

        waiting("SQ000000000A")
        waiting("SQ000000000B", failure="该服务暂不受理诉求。")  # refused by the worker already
        waiting("SQ000000000C", api_key_id=other_key.pk)  # its operator has lost the right since
        for assignment in RoleAssignment.objects.filter(user=people.partner_other):
            role_revoke(assignment=assignment, revoked_by=None)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    filed = ServiceRequest.objects.get()
    assert (filed.public_id, filed.channel, filed.filed_by, filed.requester) == (
        "SQ000000000A",
        Channel.OPEN311,
        people.partner,
        None,
    )
    assert (filed.description, filed.attributes, filed.contact_name) == ("楼道灯不亮", {"facility": "lift"}, "张桂兰")
    assert personal_data.decrypt(filed.contact_phone_encrypted) == PHONE
    assert filed.handling_organisation == orgs.partner  # the rule on subdistrict S1, the deepest above G1
    # Dated when it was received: its deadlines count from then.
    assert filed.created_at == received_at
    assert filed.accept_due_at == received_at + timedelta(hours=24)
    assert filed.resolve_due_at == received_at + timedelta(days=5)
    (submitted,) = filed.events.all()
    assert (submitted.kind, submitted.to_status, submitted.actor, submitted.created_at) == (
        "submitted",
        "submitted",
        people.partner,
        received_at,
    )
    (audit,) = AuditEvent.objects.filter(action="request.file")
    assert (audit.actor, audit.actor_username, audit.object_type, audit.object_id, audit.object_repr) == (
        people.partner,
        people.partner.username,
        "services.ServiceRequest",
        str(filed.pk),
        "SQ000000000A",
    )
    assert (audit.ip_address, audit.details) == ("10.9.8.7", {"channel": "open311", "api_key": key.prefix})
    assert audit_chain_verify().intact

    lines = capsys.readouterr().out.splitlines()
    assert "Open311 request filed: SQ000000000A (no notice or webhook was sent for it)" in lines
    refusals = [line.split(": ", 1)[1] for line in lines if line.startswith("Open311 request not filed: ")]
    reported = {row["public_id"]: row for row in map(json.loads, refusals)}
    assert set(reported) == {"SQ000000000B", "SQ000000000C"}
    assert reported["SQ000000000B"]["reason"] == "该服务暂不受理诉求。"
    assert "may no longer file" in reported["SQ000000000C"]["reason"]
    kept = reported["SQ000000000C"]
    assert (kept["description"], kept["contact_name"], kept["api_key_id"]) == ("楼道灯不亮", "张桂兰", other_key.pk)
    assert personal_data.decrypt(kept["contact_phone_encrypted"]) == PHONE
    assert PHONE not in "\n".join(lines)
