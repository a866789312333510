"""What Open311 shows of the catalogue and of requests, field by field with the spec's names.

Requests are public through Open311, so a request's document carries nothing that points at a
person:

- no name, phone, e-mail, account or requester id, and no answers to the service's questions
  (a free-text answer may hold a room number or a name);
- `lat`/`long` are the centre of the request's grid, never the point the resident gave: for many
  requests that point is their own doorstep. Without a grid centre they are left out;
- `address` is the grid's name and `address_id` its code (the same code a client may post as
  `address_id`), never the address the resident typed;
- `media_url` is the public page's address of the first photo staff marked fit for the public
  (`RequestPhoto.public_fit_at`), else empty: other photos are served only to people who may open
  the request;
- a description a moderator hid reads "Content hidden", and a hidden status note is left out.

Datetimes are W3C/ISO 8601 in the district's time with its offset (…T08:30:00+08:00); ids are
strings; a field with no value is null in JSON and an empty element in XML.
"""

from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from services.models import OPEN_STATUSES, RequestEvent, RequestStatus, Service, ServiceRequest

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


def w3(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def open311_status(status: str) -> str:
    return "open" if status in OPEN_STATUSES else "closed"


def discovery_document(*, url: str, changeset: datetime | None, production: bool, contact: str) -> dict:
    changed = w3(changeset) or "2026-01-01T00:00:00+08:00"
    return {
        "changeset": changed,
        "contact": contact,
        "key_service": (
            "Reading needs no key. To file requests, an enterprise partner's operator creates an API key "
            "with the scope requests:submit on the portal and sends it as api_key or in the X-API-Key header."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": changed,
                "type": "production" if production else "test",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def service_document(service: Service) -> dict:
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.description or None,
        "metadata": len(service.attributes.all()) > 0,
        "type": "realtime",
        "keywords": service.keywords or None,
        "group": service.group,
    }


def definition_document(service: Service) -> dict:
    """The service's questions. `order` is each one's position from 1, as the spec asks (unique,
    positive), whatever numbers the catalogue's editors gave."""
    return {
        "service_code": service.code,
        "attributes": [
            {
                "variable": attribute.variable,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": attribute.help or None,
                "order": position,
                "description": attribute.question,
                "values": [{"key": key, "name": name} for key, name in attribute.choices()],
            }
            for position, attribute in enumerate(service.attributes.all(), start=1)
        ],
    }


def _updated(request: ServiceRequest) -> datetime:
    # The spec: for a closed request, the time it was closed.
    if request.status == RequestStatus.RESOLVED and request.resolved_at:
        return request.resolved_at
    if request.status in (RequestStatus.CLOSED, RequestStatus.REJECTED) and request.closed_at:
        return request.closed_at
    return request.updated_at


def _centre(value) -> float | None:
    return float(value) if value is not None else None


def note_type(event: RequestEvent) -> str:
    return event.kind if event.kind in (RequestEvent.Kind.REOPENED, RequestEvent.Kind.MERGED) else event.to_status


def request_document(request: ServiceRequest, *, with_notes: bool = False, absolute_uri=None) -> dict:
    """One request from `selectors.public_requests_search` / `public_request_get`. `absolute_uri`
    (the HTTP request's `build_absolute_uri`) makes `media_url` a full address."""
    grid, organisation = request.grid, request.handling_organisation
    media_url = None
    photo_id = getattr(request, "open311_photo_id", None)
    if photo_id is not None and absolute_uri is not None:
        media_url = absolute_uri(
            reverse("services:public_photo", kwargs={"public_id": request.public_id, "photo_id": photo_id})
        )
    document = {
        "service_request_id": request.public_id,
        "status": open311_status(request.status),
        "status_notes": request.open311_status_notes or None,
        "service_name": request.service.name,
        "service_code": request.service.code,
        "description": _("Content hidden") if request.public_text_hidden_at else request.description,
        "agency_responsible": organisation.name if organisation is not None else None,
        "service_notice": None,
        "requested_datetime": w3(request.created_at),
        "updated_datetime": w3(_updated(request)),
        "expected_datetime": w3(request.resolve_due_at),
        "address": grid.name,
        "address_id": grid.code,
        "zipcode": None,
        "lat": _centre(grid.centre_lat),
        "long": _centre(grid.centre_lng),
        "media_url": media_url,
    }
    if with_notes:
        document["notes"] = [
            {"datetime": w3(event.created_at), "description": event.message or None, "type": note_type(event)}
            for event in request.open311_notes
        ]
    return document


def update_document(event: RequestEvent) -> dict:
    return {
        "update_id": str(event.pk),
        "service_request_id": event.request.public_id,
        "status": open311_status(event.to_status),
        "updated_datetime": w3(event.created_at),
        "description": event.message or None,
        "media_url": None,
    }
