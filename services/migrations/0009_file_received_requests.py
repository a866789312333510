"""File the Open311 requests still waiting in the received-requests table, which the next migration
drops: from now on an Open311 POST is filed while the client waits.

A waiting row becomes what the worker made of it: the request, dated when it was received (its
deadlines count from then), its "submitted" timeline event, and a `request.file` audit event linked
into the chain, after the worker's checks (the key, service and grid still exist, the service takes
requests, the key's operator may still file there). What the application sends on filing (notices
to grid workers, partners' webhooks) is not sent from a migration: each request filed is listed on
stdout so that they can be told.

A row the worker had refused, or that these checks refuse now, is not filed: it is printed whole
on stdout (its number, why, and what was received, the phone still encrypted) and goes with the
table. Its client was told, or is told by the 404 its number now answers, that it was not filed.
"""

import dataclasses
import json
from datetime import timedelta

from django.db import migrations

from security.audit import AUDIT_CHAIN

# The roles that may file in a grid for someone else (security.roles.REQUEST_HANDLER_ROLES when this
# was written), and a partner operator, who may file anywhere through an API.
_HANDLER_ROLES = {"grid_worker", "community_staff", "subdistrict_officer"}
_PARTNER_OPERATOR = "partner_operator"


def _refusal(apps, received, key, service, grid) -> str:
    """Why `received` cannot be filed ("" if it can): the worker's checks, on historical models."""
    if received.failure:
        return received.failure
    if key is None or service is None or grid is None:
        return "Its API key, service or grid no longer exists."
    if not service.is_active:
        return "This service is not taking requests."
    operator = key.created_by
    RoleAssignment = apps.get_model("security", "RoleAssignment")
    roles = RoleAssignment.objects.filter(user=operator).select_related("area") if operator.is_active else []
    if not any(
        role.role == _PARTNER_OPERATOR or (role.role in _HANDLER_ROLES and grid.path.startswith(role.area.path))
        for role in roles
    ):
        return "The operator who created its API key may no longer file requests."
    return ""


def _handling_organisation_id(apps, service, grid) -> int | None:
    """The routing rule on the deepest area above the grid, as `routing_resolve` finds it."""
    RoutingRule = apps.get_model("services", "RoutingRule")
    parts = grid.path.rstrip("/").split("/")
    ancestors = ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    rule = RoutingRule.objects.filter(service=service, area__path__in=ancestors).order_by("-area__depth").first()
    return rule.organisation_id if rule else None


def _report(received, reason: str) -> None:
    row = {
        "public_id": received.public_id,
        "reason": reason,
        "received_at": received.received_at.isoformat(),
        "api_key_id": received.api_key_id,
        "service_id": received.service_id,
        "grid_id": received.grid_id,
        "description": received.description,
        "attributes": received.attributes,
        "lat": None if received.lat is None else str(received.lat),
        "lng": None if received.lng is None else str(received.lng),
        "address": received.address,
        "contact_name": received.contact_name,
        "contact_phone_encrypted": received.contact_phone_encrypted,
        "contact_phone_masked": received.contact_phone_masked,
        "client_address": received.client_address,
    }
    print(f"Open311 request not filed: {json.dumps(row, ensure_ascii=False)}")


def file_received_requests(apps, schema_editor):
    ReceivedRequest = apps.get_model("services", "ReceivedRequest")
    ServiceRequest = apps.get_model("services", "ServiceRequest")
    RequestEvent = apps.get_model("services", "RequestEvent")
    ApiKey = apps.get_model("security", "ApiKey")
    Service = apps.get_model("services", "Service")
    Area = apps.get_model("directory", "Area")
    AuditEvent = apps.get_model("security", "AuditEvent")

    waiting = list(ReceivedRequest.objects.order_by("id"))
    if not waiting:
        return
    keys = ApiKey.objects.select_related("created_by").in_bulk({received.api_key_id for received in waiting})
    services = Service.objects.in_bulk({received.service_id for received in waiting})
    grids = Area.objects.in_bulk({received.grid_id for received in waiting})
    audit_events = []
    for received in waiting:
        key, service, grid = (
            keys.get(received.api_key_id),
            services.get(received.service_id),
            grids.get(received.grid_id),
        )
        reason = _refusal(apps, received, key, service, grid)
        if reason:
            _report(received, reason)
            continue
        operator = key.created_by
        request = ServiceRequest.objects.create(
            public_id=received.public_id,
            created_at=received.received_at,
            service=service,
            description=received.description,
            attributes=received.attributes,
            grid=grid,
            lat=received.lat,
            lng=received.lng,
            address=received.address,
            contact_name=received.contact_name,
            contact_phone_encrypted=received.contact_phone_encrypted,
            contact_phone_masked=received.contact_phone_masked,
            filed_by=operator,
            channel="open311",
            status="submitted",
            handling_organisation_id=_handling_organisation_id(apps, service, grid),
            accept_due_at=received.received_at + timedelta(hours=service.accept_within_hours),
            resolve_due_at=received.received_at + timedelta(days=service.resolve_within_days),
        )
        RequestEvent.objects.create(
            request=request,
            kind="submitted",
            actor=operator,
            to_status="submitted",
            created_at=received.received_at,
        )
        audit_events.append(
            AuditEvent(
                actor=operator,
                actor_username=operator.username,
                action="request.file",
                object_type="services.ServiceRequest",
                object_id=str(request.pk),
                object_repr=request.public_id,
                ip_address=received.client_address,
                details={"channel": "open311", "api_key": key.prefix},
            )
        )
        received.delete()
        print(f"Open311 request filed: {request.public_id} (no notice or webhook was sent for it)")
    if audit_events:
        # Linked as `audit_record` links them, on the historical table: last, under the chain's lock.
        chain = dataclasses.replace(AUDIT_CHAIN, model=AuditEvent)
        chain.lock()
        chain.link(audit_events)
        AuditEvent.objects.bulk_create(audit_events)


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0001_area_and_organisation"),
        ("security", "0004_audit_indexes_without_pattern_ops"),
        ("services", "0008_each_index_once"),
    ]

    operations = [
        migrations.RunPython(file_received_requests, migrations.RunPython.noop),
    ]
