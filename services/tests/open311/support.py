"""What the Open311 tests share: the fields each document has, a filing form, and readers of the
answers in JSON and XML."""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

from django.utils import timezone

from security.api_keys import api_key_create
from security.models import ApiScope

BASE = "/open311/v2/"
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
ATTRIBUTE_FIELDS = {
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
}
UPDATE_FIELDS = {"update_id", "service_request_id", "status", "updated_datetime", "description", "media_url"}
PHONE = "13912345678"


def in_days(days):
    return timezone.now() + timedelta(days=days)


def make_key(people, orgs, *, scopes=None, other=False):
    scopes = scopes or [ApiScope.SUBMIT_REQUESTS]
    operator, organisation = (people.partner_other, orgs.partner_other) if other else (people.partner, orgs.partner)
    key, raw = api_key_create(
        actor=operator, organisation=organisation, name="ERP", scopes=list(scopes), expires_at=in_days(30)
    )
    return key, raw


def parse(response):
    if response["Content-Type"].startswith("text/xml"):
        text = response.content.decode()
        assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
        return ET.fromstring(text)  # noqa: S314 -- the portal's own answer, parsed in a test
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def children(element):
    return [child.tag for child in element]


def form(**fields):
    return {
        "service_code": "repair",
        "description": "楼道灯不亮",
        "address_id": "G1",
        "attribute[facility]": "lift",
    } | {k: v for k, v in fields.items() if v is not None}


def post(api, fmt="json", data=None, **extra):
    """POST a request: filed, or refused, by the time it answers."""
    return api.post(f"{BASE}requests.{fmt}", data if data is not None else form(), **extra)


def assert_errors(response, status, fmt="json", contains=""):
    assert response.status_code == status, response.content
    document = parse(response)
    if fmt == "xml":
        assert document.tag == "errors"
        errors = [{"code": int(e.findtext("code")), "description": e.findtext("description")} for e in document]
        assert all(children(e) == ["code", "description"] for e in document)
    else:
        errors = document
        assert all(set(e) == {"code", "description"} for e in errors)
    assert errors and all(e["code"] == status for e in errors)
    text = " ".join(e["description"] for e in errors)
    assert contains in text, text
    return text
