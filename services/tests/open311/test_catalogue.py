"""Open311 discovery and the service catalogue: the service list and each service's definition,
in JSON and in XML."""

import pytest

from services.tests.open311.support import ATTRIBUTE_FIELDS, BASE, SERVICE_FIELDS, assert_errors, children, parse

pytestmark = pytest.mark.django_db


def test_discovery_in_json_and_xml(api, catalogue):
    document = parse(api.get(f"{BASE}discovery.json"))
    assert set(document) == {"changeset", "contact", "key_service", "endpoints"}
    (endpoint,) = document["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert endpoint["type"] == "production"
    root = parse(api.get(f"{BASE}discovery.xml"))
    assert root.tag == "discovery"
    assert children(root) == ["changeset", "contact", "key_service", "endpoints"]
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]


def test_service_list_in_json_and_xml(api, catalogue):
    (service,) = parse(api.get(f"{BASE}services.json"))
    assert set(service) == SERVICE_FIELDS
    assert service["service_code"] == "repair"
    assert service["service_name"] == "维修"  # Chinese by default
    assert (service["metadata"], service["type"], service["group"]) == (True, "realtime", "物业维修")
    root = parse(api.get(f"{BASE}services.xml"))
    assert root.tag == "services"
    assert children(root) == ["service"]
    assert set(children(root[0])) == SERVICE_FIELDS
    assert root[0].findtext("metadata") == "true"
    english = parse(api.get(f"{BASE}services.json", {"locale": "en"}))
    assert english[0]["service_name"] == "Repair"


def test_service_definition_in_json_and_xml(api, catalogue):
    document = parse(api.get(f"{BASE}services/repair.json"))
    assert document["service_code"] == "repair"
    attributes = document["attributes"]
    assert all(set(a) == ATTRIBUTE_FIELDS for a in attributes)
    assert [(a["code"], a["order"], a["required"]) for a in attributes] == [
        ("facility", 1, True),
        ("floors", 2, False),
        ("needs", 3, False),
    ]
    assert attributes[0]["values"] == [{"key": "lift", "name": "电梯"}, {"key": "door", "name": "门"}]
    assert attributes[1]["values"] == [] and attributes[1]["datatype"] == "number"
    root = parse(api.get(f"{BASE}services/repair.xml"))
    assert root.tag == "service_definition"
    assert children(root) == ["service_code", "attributes"]
    first = root.find("attributes/attribute")
    assert set(children(first)) == ATTRIBUTE_FIELDS
    assert [(v.findtext("key"), v.findtext("name")) for v in first.findall("values/value")] == [
        ("lift", "电梯"),
        ("door", "门"),
    ]
    assert first.findtext("variable") == "true"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_or_inactive_service_is_404(api, catalogue, fmt):
    assert_errors(api.get(f"{BASE}services/nothing.{fmt}"), 404, fmt, "nothing")
    catalogue.repair.is_active = False
    catalogue.repair.save(update_fields=["is_active"])
    assert_errors(api.get(f"{BASE}services/repair.{fmt}"), 404, fmt)
    assert parse(api.get(f"{BASE}services.json")) == []
