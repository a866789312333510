"""Open311 GeoReport v2 at /open311/v2/: every call in JSON and in XML with good and bad
arguments, filing with a key (and every way a key can be wrong), what public reads do not show,
and that garbage gets the spec's 400, never a 500 or an HTML page."""

import io
import itertools
import json
import time
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from directory.models import Area
from portal import shared_redis
from security.api_keys import api_key_create, api_key_revoke
from security.audit import audit_chain_verify
from security.models import ApiKey, ApiScope, AuditEvent, RoleAssignment
from services import services as steps
from services.models import Channel, ReceivedRequest, ServiceRequest
from services.services import intake
from services.services.intake import (
    KICK_KEY,
    PROMISE_KEY,
    requests_file_received,
    requests_file_received_sweep,
)

pytestmark = pytest.mark.django_db

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

_addresses = itertools.count(1)


@pytest.fixture
def api():
    """A client with an address of its own, so anonymous calls count against this test's budget only."""
    n = next(_addresses)
    return Client(REMOTE_ADDR=f"10.31.{n // 250}.{n % 250 + 1}")


@pytest.fixture
def centres(tree):
    Area.objects.filter(pk=tree.g1.pk).update(centre_lat=Decimal("30.800000"), centre_lng=Decimal("106.100000"))
    Area.objects.filter(pk=tree.g2.pk).update(centre_lat=Decimal("30.900000"), centre_lng=Decimal("106.200000"))
    tree.g1.refresh_from_db()
    tree.g2.refresh_from_db()


def in_days(days):
    return timezone.now() + timedelta(days=days)


def make_key(people, orgs, *, scopes=None, other=False):
    scopes = scopes or [ApiScope.SUBMIT_REQUESTS]
    operator, organisation = (people.partner_other, orgs.partner_other) if other else (people.partner, orgs.partner)
    key, raw = api_key_create(
        actor=operator, organisation=organisation, name="ERP", scopes=list(scopes), expires_at=in_days(30)
    )
    return key, raw


@pytest.fixture
def submit_key(people, orgs, catalogue):
    return make_key(people, orgs)[1]


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
    """POST a request, then let the worker file what was received (services.services.intake)."""
    response = api.post(f"{BASE}requests.{fmt}", data if data is not None else form(), **extra)
    requests_file_received()
    return response


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


# --- discovery and the catalogue ----------------------------------------------------------------
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


# --- filing -------------------------------------------------------------------------------------
def test_post_form_encoded_with_list_answers_files_as_the_keys_operator(api, people, submit_key):
    body = (
        "service_code=repair&description=%E7%94%B5%E6%A2%AF%E5%9D%8F%E4%BA%86&address_id=G1"
        "&attribute[facility]=lift&attribute[needs][]=a&attribute[needs][]=b&attribute[floors]=3"
        f"&first_name=%E6%A1%82%E5%85%B0&last_name=%E5%BC%A0&phone={PHONE}&email=x%40example.test"
        f"&api_key={submit_key}&jurisdiction_id=shunqing.nanchong.gov.cn"
    )
    response = api.post(f"{BASE}requests.json", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.content
    assert requests_file_received() == 1
    (answer,) = parse(response)
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    filed = ServiceRequest.objects.get(public_id=answer["service_request_id"])
    assert filed.attributes == {"facility": "lift", "needs": ["a", "b"], "floors": "3"}
    assert (filed.channel, filed.filed_by, filed.requester, filed.grid.code) == (
        Channel.OPEN311,
        people.partner,
        None,
        "G1",
    )
    assert filed.contact_name == "张桂兰"
    assert filed.contact_phone_masked and PHONE not in filed.contact_phone_encrypted
    assert "维修" in answer["service_notice"]
    assert PHONE not in response.content.decode() and "张" not in response.content.decode()
    # One audit event for the call: the filing, naming the key.
    events = list(AuditEvent.objects.filter(actor=people.partner).exclude(action="api_key.create"))
    assert [(e.action, e.details["api_key"]) for e in events] == [("request.file", submit_key[3:11])]


def test_post_multipart_in_xml_with_the_key_in_the_header(api, submit_key):
    response = post(api, "xml", form(**{"attribute[needs][]": ["a", "b"]}), HTTP_X_API_KEY=submit_key)
    assert response.status_code == 200, response.content
    root = parse(response)
    assert root.tag == "service_requests"
    assert children(root) == ["request"]
    assert children(root[0]) == ["service_request_id", "service_notice", "account_id"]
    filed = ServiceRequest.objects.get(public_id=root[0].findtext("service_request_id"))
    assert filed.attributes["needs"] == ["a", "b"]


def test_post_needs_no_csrf_token(submit_key):
    api = Client(enforce_csrf_checks=True)
    assert post(api, data=form(api_key=submit_key)).status_code == 200


def test_lat_long_is_placed_in_its_grid_and_address_string_kept(api, submit_key, centres):
    response = post(
        api,
        data=form(address_id="", lat="30.9001", long="106.2001", address_string="人民路8号3单元", api_key=submit_key),
    )
    assert response.status_code == 200, response.content
    filed = ServiceRequest.objects.get(public_id=parse(response)[0]["service_request_id"])
    assert (filed.grid.code, filed.lat, filed.address) == ("G2", Decimal("30.900100"), "人民路8号3单元")


@pytest.mark.parametrize(
    ("fields", "status", "says"),
    [
        ({"address_id": "", "address_string": "人民路8号"}, 400, "address_string alone"),
        ({"address_id": ""}, 400, "location is required"),
        ({"address_id": "C1"}, 400, "address_id"),
        ({"address_id": "", "lat": "30.9"}, 400, "lat and long"),
        ({"address_id": "", "lat": "0", "long": "0"}, 400, "location"),
        ({"lat": "NaN", "long": "1"}, 400, "lat"),
        ({"lat": "1e999", "long": "1"}, 400, "lat"),
        ({"attribute[facility]": "roof"}, 400, "attribute[facility]"),
        ({"attribute[facility]": ""}, 400, "attribute[facility]"),
        ({"attribute[floors]": "many"}, 400, "attribute[floors]"),
        ({"attribute[needs][]": ["a", "zzz"]}, 400, "attribute[needs]"),
        ({"attribute[]": "x"}, 400, "attribute[]"),
        ({"description": "  "}, 400, "description"),
        ({"description": "长" * 4001}, 400, "description"),
        ({"phone": "12"}, 400, "phone"),
        ({"service_code": ""}, 400, "service_code is required"),
        ({"service_code": "nothing"}, 404, "nothing"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_posts_are_explained_per_field_and_file_nothing(api, submit_key, centres, fields, status, says, fmt):
    response = post(api, fmt, form(api_key=submit_key, **fields))
    assert_errors(response, status, fmt, says)
    assert not ServiceRequest.objects.exists()


def test_several_bad_fields_give_one_error_each(api, submit_key):
    response = post(api, data=form(api_key=submit_key, description="", **{"attribute[facility]": "roof"}))
    text = assert_errors(response, 400)
    assert len(parse(response)) == 2
    assert "description:" in text and "attribute[facility]:" in text
    english = post(api, data=form(api_key=submit_key, description="", locale="en"))
    assert_errors(english, 400, contains="description: Please describe what is wrong.")


def test_uploaded_media_become_photos_and_media_url_is_never_fetched(api, submit_key):
    image = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 200, 10)).save(image, format="PNG")
    upload = SimpleUploadedFile("p.png", image.getvalue(), content_type="image/png")
    response = post(api, data=form(api_key=submit_key, media=upload, media_url="http://127.0.0.1:1/secret"))
    assert response.status_code == 200, response.content
    filed = ServiceRequest.objects.get(public_id=parse(response)[0]["service_request_id"])
    assert filed.photos.count() == 1
    not_a_photo = SimpleUploadedFile("p.png", b"MZ not an image", content_type="image/png")
    assert_errors(post(api, data=form(api_key=submit_key, media=not_a_photo)), 400, contains="media:")


def test_an_inactive_service_takes_no_requests(api, submit_key, catalogue):
    catalogue.repair.is_active = False
    catalogue.repair.save(update_fields=["is_active"])
    assert_errors(post(api, data=form(api_key=submit_key)), 400, contains="service_code")


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("problem", ["missing", "garbage", "revoked", "expired", "no scope", "in header garbage"])
def test_a_missing_or_bad_key_is_403_and_files_nothing(api, people, orgs, catalogue, problem, fmt):
    key, raw = make_key(people, orgs, scopes=[ApiScope.READ_WORK_ORDERS] if problem == "no scope" else None)
    if problem == "revoked":
        api_key_revoke(actor=people.partner, key=key)
    if problem == "expired":
        ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    extra, data = {}, form(api_key=raw)
    if problem == "missing":
        data = form()
    elif problem == "garbage":
        data = form(api_key="sq_nothing_here")
    elif problem == "in header garbage":
        data, extra = form(), {"HTTP_X_API_KEY": raw + "x"}
    response = post(api, fmt, data, **extra)
    assert_errors(response, 403, fmt, "requests:submit" if problem == "no scope" else "api_key")
    assert not ServiceRequest.objects.exists()


def test_a_bad_key_on_a_read_is_403_too(api, catalogue):
    assert_errors(api.get(f"{BASE}services.json", {"api_key": "sq_bad_key"}), 403)


def test_another_partner_may_submit_but_reads_show_no_personal_data(api, people, orgs, catalogue, centres):
    _key, raw = make_key(people, orgs, other=True)
    response = post(
        api,
        data=form(
            api_key=raw,
            address_id="",
            lat="30.8003",
            long="106.1003",
            address_string="人民路8号3单元502",
            first_name="Gui",
            last_name="Zhang",
            phone=PHONE,
            email="zhang@example.test",
        ),
    )
    assert response.status_code == 200, response.content
    number = parse(response)[0]["service_request_id"]
    assert ServiceRequest.objects.get(public_id=number).filed_by == people.partner_other
    for path in (f"requests/{number}.json", f"requests/{number}.xml", "requests.json", "requests.xml"):
        text = api.get(f"{BASE}{path}", {"extensions": "true"}).content.decode()
        assert number in text
        for secret in (PHONE, "Zhang", "zhang@", "人民路", "502", "30.8003", "106.1003", people.partner_other.username):
            assert secret not in text, (path, secret)
    (document,) = parse(api.get(f"{BASE}requests/{number}.json"))
    assert set(document) == REQUEST_FIELDS


# --- reading requests ---------------------------------------------------------------------------
def test_get_request_in_json_and_xml(api, file_request, people, orgs, centres):
    request = file_request(lat=Decimal("30.812345"), lng=Decimal("106.112345"), address="人民路1号")
    steps.request_accept(request=request, actor=people.worker)
    (document,) = parse(api.get(f"{BASE}requests/{request.public_id}.json"))
    assert set(document) == REQUEST_FIELDS
    request.refresh_from_db()
    assert document["service_request_id"] == request.public_id
    assert (document["status"], document["service_code"], document["service_name"]) == ("open", "repair", "维修")
    assert document["agency_responsible"] == orgs.partner.name_zh
    assert document["expected_datetime"] == timezone.localtime(request.resolve_due_at).isoformat(timespec="seconds")
    assert document["requested_datetime"].endswith("+08:00")
    # Blurred to the grid: its centre and its name, never the resident's point or address.
    assert (document["lat"], document["long"]) == (30.8, 106.1)
    assert (document["address"], document["address_id"]) == (tree_name(request), "G1")
    assert (document["media_url"], document["zipcode"], document["service_notice"]) == (None, None, None)
    root = parse(api.get(f"{BASE}requests/{request.public_id}.xml"))
    assert root.tag == "service_requests"
    assert children(root) == ["request"]
    assert children(root[0]) == list(document)
    assert root[0].findtext("lat") == "30.8" and root[0].findtext("media_url") == ""


def tree_name(request):
    return Area.objects.get(pk=request.grid_id).name_zh


def test_closed_requests_carry_the_last_status_note(api, file_request, people):
    resolved = file_request()
    steps.request_accept(request=resolved, actor=people.worker)
    steps.request_assign(request=resolved, actor=people.worker, assignee=people.worker)
    steps.request_comment(request=resolved, actor=people.worker, message="内部备注", internal=True)
    steps.request_resolve(request=resolved, actor=people.worker, note="已更换灯泡")
    rejected = file_request()
    steps.request_reject(request=rejected, actor=people.worker, reason="重复的请求")
    documents = {d["service_request_id"]: d for d in parse(api.get(f"{BASE}requests.json"))}
    assert documents[resolved.public_id]["status"] == "closed"
    assert documents[resolved.public_id]["status_notes"] == "已更换灯泡"
    assert documents[rejected.public_id]["status_notes"] == "重复的请求"
    resolved.refresh_from_db()
    assert documents[resolved.public_id]["updated_datetime"] == timezone.localtime(resolved.resolved_at).isoformat(
        timespec="seconds"
    )


def test_extensions_add_the_public_timeline_as_notes(api, file_request, people):
    request = file_request()
    steps.request_accept(request=request, actor=people.worker, note="马上处理")
    steps.request_comment(request=request, actor=people.worker, message="内部备注", internal=True)
    (plain,) = parse(api.get(f"{BASE}requests/{request.public_id}.json"))
    assert "notes" not in plain
    (document,) = parse(api.get(f"{BASE}requests/{request.public_id}.json", {"extensions": "true"}))
    assert [(n["type"], n["description"]) for n in document["notes"]] == [("submitted", None), ("accepted", "马上处理")]
    root = parse(api.get(f"{BASE}requests.xml", {"extensions": "true"}))
    notes = root.find("request/notes")
    assert children(notes) == ["note", "note"]
    assert children(notes[1]) == ["datetime", "description", "type"]
    assert "内部备注" not in api.get(f"{BASE}requests.xml", {"extensions": "true"}).content.decode()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_private_requests_are_not_found_anywhere(api, file_request, submit_key, fmt):
    private = file_request(is_public=False)
    public = file_request()
    assert_errors(api.get(f"{BASE}requests/{private.public_id}.{fmt}"), 404, fmt)
    assert_errors(api.get(f"{BASE}requests/SQNOTHING.{fmt}"), 404, fmt)
    listed = parse(api.get(f"{BASE}requests.json", {"service_request_id": f"{private.public_id},{public.public_id}"}))
    assert [d["service_request_id"] for d in listed] == [public.public_id]
    assert private.public_id not in api.get(f"{BASE}requests.{fmt}").content.decode()
    assert_errors(api.get(f"{BASE}tokens/{private.public_id}.{fmt}"), 404, fmt)


def test_list_filters(api, file_request, people, catalogue):
    open_one = file_request()
    closed_one = file_request()
    steps.request_reject(request=closed_one, actor=people.worker, reason="不归我们管")

    def ids(**params):
        return [d["service_request_id"] for d in parse(api.get(f"{BASE}requests.json", params))]

    assert ids() == [closed_one.public_id, open_one.public_id]  # newest first
    assert ids(status="open") == [open_one.public_id]
    assert ids(status="closed") == [closed_one.public_id]
    assert ids(status="open,closed", service_code="repair") == [closed_one.public_id, open_one.public_id]
    assert ids(service_code="other,nothing") == []
    # ids override every other argument, even a status that would exclude them
    assert ids(service_request_id=f"{open_one.public_id}", status="closed") == [open_one.public_id]
    assert ids(page_size="1") == [closed_one.public_id]
    assert ids(page_size="1", page="2") == [open_one.public_id]
    assert ids(page="3", page_size="1") == []
    # empty optional arguments are absent ones
    assert ids(status="", service_code="", start_date="", jurisdiction_id="") == ids()
    root = parse(api.get(f"{BASE}requests.xml", {"status": "open"}))
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [open_one.public_id]


def test_the_default_window_is_the_last_90_days_and_dates_select(api, file_request):
    old = file_request()
    recent = file_request()
    ServiceRequest.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=100))

    def ids(**params):
        response = api.get(f"{BASE}requests.json", params)
        assert response.status_code == 200, response.content
        return [d["service_request_id"] for d in parse(response)]

    assert ids() == [recent.public_id]
    start = (timezone.now() - timedelta(days=120)).isoformat()
    end = (timezone.now() - timedelta(days=95)).isoformat()
    assert ids(start_date=start, end_date=end) == [old.public_id]
    assert ids(start_date=start) == [old.public_id]  # 90 days from the start
    assert ids(end_date=timezone.now().isoformat()) == [recent.public_id]
    # An unencoded "+08:00" arrives as " 08:00"; it is read as meant.
    local = timezone.localtime(timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    response = api.get(f"{BASE}requests.json?start_date={local}+08:00")
    assert [d["service_request_id"] for d in parse(response)] == [recent.public_id]
    assert ids(start_date="2020-01-01T00:00:00Z", end_date="2020-03-30T00:00:00Z") == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-02T00:00:00Z"}, "90 days"),
        ({"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "not be after"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-45"}, "end_date"),
        ({"start_date": "0001-01-01T00:00:00Z"}, "start_date"),
        ({"end_date": "9999-12-31T23:59:59+14:00"}, "end_date"),
        ({"status": "pending"}, "status"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "9" * 40}, "page"),
        ({"page_size": "1001"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"extensions": "maybe"}, "extensions"),
        ({"service_request_id": ",".join(f"SQ{i}" for i in range(1001))}, "at most"),
    ],
)
def test_bad_list_arguments_are_400(api, catalogue, params, says, fmt):
    assert_errors(api.get(f"{BASE}requests.{fmt}", params), 400, fmt, says)


def test_the_updates_extension_lists_public_status_changes(api, file_request, people):
    request = file_request()
    steps.request_accept(request=request, actor=people.worker, note="已受理")
    steps.request_comment(request=request, actor=people.worker, message="内部备注", internal=True)
    steps.request_reject(request=file_request(is_public=False), actor=people.worker, reason="私密")
    updates = parse(api.get(f"{BASE}servicerequestupdates.json"))
    assert [(u["service_request_id"], u["status"], u["description"]) for u in updates] == [
        (request.public_id, "open", "已受理")
    ]
    assert set(updates[0]) == UPDATE_FIELDS and isinstance(updates[0]["update_id"], str)
    root = parse(api.get(f"{BASE}servicerequestupdates.xml"))
    assert root.tag == "service_request_updates"
    assert children(root) == ["request_update"]
    assert set(children(root[0])) == UPDATE_FIELDS
    before = (timezone.now() - timedelta(days=1)).isoformat()
    assert parse(api.get(f"{BASE}servicerequestupdates.json", {"end_date": before})) == []
    assert_errors(
        api.get(f"{BASE}servicerequestupdates.xml", {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01"}),
        400,
        "xml",
        "90 days",
    )


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_token_is_the_request_number(api, submit_key, file_request, fmt):
    number = parse(post(api, data=form(api_key=submit_key)))[0]["service_request_id"]
    response = api.get(f"{BASE}tokens/{number}.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        assert parse(response) == [{"service_request_id": number, "token": number}]
    else:
        root = parse(response)
        assert root.tag == "service_requests"
        assert children(root[0]) == ["service_request_id", "token"]
    # A request filed on the website has no token.
    assert_errors(api.get(f"{BASE}tokens/{file_request().public_id}.{fmt}"), 404, fmt)


# --- jurisdiction, formats, garbage -------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["discovery", "services", "services/repair", "requests", "servicerequestupdates", "tokens/SQ1"]
)
def test_an_unknown_jurisdiction_is_404(api, catalogue, path):
    assert_errors(api.get(f"{BASE}{path}.xml", {"jurisdiction_id": "sfgov.org"}), 404, "xml", "sfgov.org")
    assert api.get(f"{BASE}services.json", {"jurisdiction_id": "shunqing.nanchong.gov.cn"}).status_code == 200


def test_an_unknown_jurisdiction_files_nothing(api, submit_key):
    assert_errors(post(api, data=form(api_key=submit_key, jurisdiction_id="sfgov.org")), 404)
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize(
    ("method", "path", "params", "status"),
    [
        ("get", "services.html", {}, 400),
        ("get", "requests.php", {}, 400),
        ("get", "services", {}, 404),
        ("get", "nothing/at/all", {}, 404),
        ("get", "requests/.json", {}, 404),
        ("get", "services/%00.json", {}, 400),
        ("get", "requests.json", {"status": "open\x00"}, 400),
        ("get", "requests.json", {"service_request_id": "'; DROP TABLE x;--"}, 200),
        ("get", "requests.json", {"service_code": "x" * 5000}, 200),
        ("get", "requests/%E2%80%AE%F0%9F%92%A9.json", {}, 404),
        ("get", "services.json", {"locale": "\u202e"}, 200),
        ("delete", "requests.json", {}, 405),
        ("put", "services.json", {}, 405),
        ("post", "services.json", {}, 405),
    ],
)
def test_garbage_gets_an_open311_answer_never_a_500_or_html(api, catalogue, method, path, params, status):
    response = getattr(api, method)(f"{BASE}{path}", params)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(("application/json", "text/xml"))
    if status != 200:
        assert_errors(response, status, "xml" if path.endswith(".xml") else "json")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"--boundary\r\nContent-Disposition: form-data; name=\r\n\r\nx", "multipart/form-data; boundary=boundary"),
        (b"--x\r\n", "multipart/form-data"),
        (b"\xff\xfe\x00garbage=%ZZ&&&=", "application/x-www-form-urlencoded"),
        (b'{"service_code": "repair"}', "application/json"),
        (b"<xml/>", "text/xml"),
        (b"service_code=repair&description=%00&address_id=G1", "application/x-www-form-urlencoded"),
    ],
)
def test_garbage_bodies_are_400(api, submit_key, body, content_type):
    response = api.post(f"{BASE}requests.json", body, content_type=content_type, HTTP_X_API_KEY=submit_key)
    assert_errors(response, 400)
    assert not ServiceRequest.objects.exists() and not ReceivedRequest.objects.exists()


def test_a_failure_inside_is_the_specs_general_400_and_is_logged(api, catalogue, monkeypatch, caplog):
    def broken():
        raise RuntimeError("database gone")

    monkeypatch.setattr("services.open311.selectors.services_listed", broken)
    assert_errors(api.get(f"{BASE}services.xml"), 400, "xml", "General service error")
    assert "database gone" in caplog.text


def test_head_is_answered_like_get(api, catalogue):
    assert api.head(f"{BASE}services.json").status_code == 200


def test_xml_stays_well_formed_with_control_characters_in_a_description(api, file_request):
    request = file_request(description="灯\x01坏了\x1b")
    root = parse(api.get(f"{BASE}requests/{request.public_id}.xml"))
    assert root.find("request/description").text == "灯坏了"


# --- throttling, audit, queries -----------------------------------------------------------------
def test_calls_are_throttled_per_key_and_per_address(api, settings, people, orgs, catalogue):
    settings.API_RATE_LIMIT = "2/min"
    assert api.get(f"{BASE}services.json").status_code == 200
    assert api.get(f"{BASE}services.json").status_code == 200
    response = api.get(f"{BASE}services.xml")
    assert_errors(response, 429, "xml", "Too many calls")
    assert int(response["Retry-After"]) >= 1
    # A key counts on its own, not against its address.
    _key, raw = make_key(people, orgs)
    assert api.get(f"{BASE}services.json", HTTP_X_API_KEY=raw).status_code == 200


def test_keyed_calls_are_audited_and_anonymous_ones_are_not(api, people, orgs, catalogue):
    key, raw = make_key(people, orgs, scopes=[ApiScope.READ_WORK_ORDERS])
    before = AuditEvent.objects.count()
    api.get(f"{BASE}services.json")
    assert AuditEvent.objects.count() == before
    api.get(f"{BASE}services.json", HTTP_X_API_KEY=raw)
    post(api, data=form(api_key=raw))  # no scope: refused, and still audited
    calls = AuditEvent.objects.filter(action="api.call", object_id=str(key.pk)).order_by("id")
    assert [(c.actor, c.details["method"], c.details["status"]) for c in calls] == [
        (people.partner, "GET", 200),
        (people.partner, "POST", 403),
    ]
    assert all(raw not in json.dumps(c.details) for c in calls)


@pytest.mark.parametrize("params", [{}, {"extensions": "true"}])
def test_listing_requests_takes_the_same_queries_however_many_there_are(api, file_request, people, params):
    for _ in range(2):
        steps.request_accept(request=file_request(), actor=people.worker, note="好")

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"{BASE}requests.xml", params)
        assert response.status_code == 200
        return len(queries), len(parse(response))

    few, listed = count()
    assert listed == 2
    for _ in range(5):
        steps.request_accept(request=file_request(), actor=people.worker, note="好")
    assert count() == (few, 7)
    assert few == (2 if params else 1)


# --- the intake: numbered at once, filed by the worker ---------------------------------------------
def receive(api, data):
    """POST without the worker's turn: what a client sees before its request is filed."""
    response = api.post(f"{BASE}requests.json", data)
    assert response.status_code == 200, response.content
    return parse(response)[0]["service_request_id"]


def test_a_post_is_numbered_at_once_and_filed_as_received(api, people, submit_key, catalogue):
    number = receive(api, form(api_key=submit_key, phone=PHONE, first_name="桂兰", last_name="张"))
    received = ReceivedRequest.objects.get(public_id=number)
    assert not ServiceRequest.objects.exists()
    assert received.contact_phone_masked and PHONE not in received.contact_phone_encrypted
    assert received.client_address == api.defaults["REMOTE_ADDR"]
    # Until the worker has filed it, the number answers the token and says it is on its way.
    assert parse(api.get(f"{BASE}tokens/{number}.json")) == [{"service_request_id": number, "token": number}]
    assert_errors(api.get(f"{BASE}requests/{number}.json"), 404, contains="being filed")

    assert requests_file_received() == 1
    filed = ServiceRequest.objects.get(public_id=number)
    assert not ReceivedRequest.objects.exists()
    # Made when it was received: its clock started then, not when the worker got to it.
    assert filed.created_at == received.received_at
    assert filed.accept_due_at == received.received_at + timedelta(hours=catalogue.repair.accept_within_hours)
    assert (filed.filed_by, filed.channel, filed.contact_name) == (people.partner, Channel.OPEN311, "张桂兰")
    assert filed.contact_phone_encrypted == received.contact_phone_encrypted
    assert filed.handling_organisation is not None
    (submitted,) = filed.events.all()
    assert (submitted.kind, submitted.created_at) == ("submitted", received.received_at)
    (audit,) = AuditEvent.objects.filter(action="request.file")
    assert (audit.actor, audit.object_id, audit.ip_address) == (people.partner, str(filed.pk), received.client_address)
    assert audit.details == {"channel": "open311", "api_key": submit_key[3:11]}
    assert parse(api.get(f"{BASE}requests/{number}.json"))[0]["service_request_id"] == number


def test_the_worker_files_in_order_one_audit_event_each_and_the_chain_holds(api, submit_key, centres):
    numbers = [receive(api, form(api_key=submit_key, description=f"第{n}盏灯不亮")) for n in range(5)]
    assert requests_file_received() == 5
    assert requests_file_received() == 0
    filed = ServiceRequest.objects.order_by("created_at")
    assert [r.public_id for r in filed] == numbers
    assert [r.description for r in filed] == [f"第{n}盏灯不亮" for n in range(5)]
    events = AuditEvent.objects.filter(action="request.file").order_by("id")
    assert [e.object_id for e in events] == [str(r.pk) for r in filed]
    assert audit_chain_verify().intact


def test_a_request_that_can_no_longer_be_filed_says_why_and_others_are_filed(api, people, orgs, catalogue, submit_key):
    kept = receive(api, form(api_key=submit_key))
    # The operator loses the partner role between the POSTs and the worker's turn.
    other_key = make_key(people, orgs, other=True)[1]
    refused, refused_too = receive(api, form(api_key=other_key)), receive(api, form(api_key=other_key))
    RoleAssignment.objects.filter(user=people.partner_other).delete()
    assert requests_file_received() == 3
    assert list(ServiceRequest.objects.values_list("public_id", flat=True)) == [kept]
    failed = ReceivedRequest.objects.get(public_id=refused)
    assert failed.failure
    assert ReceivedRequest.objects.get(public_id=refused_too).failure == failed.failure
    assert requests_file_received() == 0  # not retried for ever
    assert_errors(api.get(f"{BASE}tokens/{refused}.json"), 404, contains="could not be filed")
    assert_errors(api.get(f"{BASE}requests/{refused}.json"), 404, contains="could not be filed")
    assert not AuditEvent.objects.filter(action="request.file", actor=people.partner_other).exists()
    # A service closed meanwhile is the other reason.
    later = receive(api, form(api_key=submit_key))
    catalogue.repair.is_active = False
    catalogue.repair.save(update_fields=["is_active"])
    requests_file_received()
    assert ReceivedRequest.objects.get(public_id=later).failure == "该服务暂不受理诉求。"  # the portal's language


def test_a_post_with_photos_is_filed_at_once(api, submit_key):
    image = io.BytesIO()
    Image.new("RGB", (8, 8)).save(image, format="PNG")
    photo = SimpleUploadedFile("p.png", image.getvalue(), content_type="image/png")
    number = receive(api, form(api_key=submit_key, media=photo))
    assert ServiceRequest.objects.get(public_id=number).photos.count() == 1
    assert not ReceivedRequest.objects.exists()


def test_only_the_first_post_while_the_worker_is_idle_queues_it(
    api, submit_key, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr("services.tasks.requests_file_received_task.delay", lambda: queued.append(1))
    with django_capture_on_commit_callbacks(execute=True):
        receive(api, form(api_key=submit_key))
    with django_capture_on_commit_callbacks(execute=True):
        receive(api, form(api_key=submit_key))
    assert len(queued) == 1
    assert requests_file_received() == 2
    # Done, the worker lets go: the next POST queues it again.
    with django_capture_on_commit_callbacks(execute=True):
        receive(api, form(api_key=submit_key))
    assert len(queued) == 2


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_files_what_a_post_received(celery_worker_thread, api, submit_key):
    number = receive(api, form(api_key=submit_key))
    deadline = time.monotonic() + 30
    while not ServiceRequest.objects.filter(public_id=number).exists():
        assert time.monotonic() < deadline, "the worker did not file the request within 30 s"
        time.sleep(0.1)
    assert not ReceivedRequest.objects.exists()


def test_the_sweep_files_what_a_lost_message_left_unless_a_task_is_on_it(api, submit_key):
    number = receive(api, form(api_key=submit_key))  # its queued task lost: nothing ran it
    assert shared_redis.claim(KICK_KEY, 60)  # a task is on it
    assert requests_file_received_sweep() == 0
    shared_redis.release(KICK_KEY)
    assert requests_file_received_sweep() == 1
    assert ServiceRequest.objects.filter(public_id=number).exists()


def test_with_redis_down_a_post_is_still_received_and_the_sweep_files_it(
    api, submit_key, monkeypatch, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise redis.ConnectionError("Redis is down")

    monkeypatch.setattr(shared_redis, "claim_and_remaining", down)
    with django_capture_on_commit_callbacks(execute=True):
        number = receive(api, form(api_key=submit_key))
    assert ReceivedRequest.objects.filter(public_id=number).exists()
    monkeypatch.undo()
    assert requests_file_received_sweep() == 1
    assert ServiceRequest.objects.filter(public_id=number).exists()


def test_a_task_that_could_not_be_queued_leaves_the_claim_for_the_next_post(
    api, submit_key, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down():
        raise redis.ConnectionError("the broker is down")

    monkeypatch.setattr("services.tasks.requests_file_received_task.delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        receive(api, form(api_key=submit_key))  # still a 200: the request is received
    assert shared_redis.claim(KICK_KEY, 60), "the claim of a task never queued was kept"


def test_while_the_worker_promises_another_look_posts_do_not_ask_redis_and_are_filed(
    api, submit_key, monkeypatch, django_capture_on_commit_callbacks
):
    asked = []
    claim_and_remaining = shared_redis.claim_and_remaining
    monkeypatch.setattr(
        shared_redis,
        "claim_and_remaining",
        lambda *args, **kwargs: asked.append(1) or claim_and_remaining(*args, **kwargs),
    )
    queued = []
    monkeypatch.setattr("services.tasks.requests_file_received_task.delay", lambda: queued.append(1))
    with django_capture_on_commit_callbacks(execute=True):
        first = receive(api, form(api_key=submit_key))
    assert (len(asked), len(queued)) == (1, 1)  # the claim was free: a task is queued

    # The task files the first request, then waits out its promise before its last look. POSTs in
    # that window: the first asks Redis (the task holds the claim) and learns of the promise, the
    # second asks nothing. Neither queues a task; the waiting task files both.
    posted = []
    sleep = time.sleep

    def post_while_waiting(seconds):
        if not posted and shared_redis.remaining_ms(PROMISE_KEY) > 0:
            with django_capture_on_commit_callbacks(execute=True):
                posted.extend(receive(api, form(api_key=submit_key)) for _ in range(2))
        sleep(seconds)

    monkeypatch.setattr(intake.time, "sleep", post_while_waiting)
    assert requests_file_received() == 3
    assert (len(asked), len(queued)) == (2, 1)
    assert set(ServiceRequest.objects.values_list("public_id", flat=True)) == {first, *posted}
    # Done: the promise has ended and the claim is free, so the next POST asks and queues a task.
    with django_capture_on_commit_callbacks(execute=True):
        receive(api, form(api_key=submit_key))
    assert (len(asked), len(queued)) == (3, 2)


def test_a_task_out_of_time_hands_its_claim_to_a_fresh_one(api, submit_key, monkeypatch):
    numbers = [receive(api, form(api_key=submit_key)) for _ in range(2)]
    monkeypatch.setattr(intake, "_TASK_BUDGET_SECONDS", 0)
    monkeypatch.setattr(intake, "BATCH", 1)
    queued = []
    monkeypatch.setattr("services.tasks.requests_file_received_task.delay", lambda: queued.append(1))
    assert shared_redis.claim(KICK_KEY, 60)  # as the POST that queued this task did
    assert requests_file_received() == 1
    assert len(queued) == 1
    assert not shared_redis.claim(KICK_KEY, 60), "the fresh task's claim was let go"
    assert requests_file_received() == 1
    assert set(ServiceRequest.objects.values_list("public_id", flat=True)) == set(numbers)


def test_a_request_whose_key_was_deleted_meanwhile_is_refused_with_a_reason(api, people, orgs, submit_key):
    key, raw = make_key(people, orgs)
    kept, gone = receive(api, form(api_key=submit_key)), receive(api, form(api_key=raw))
    with connection.cursor() as cursor:  # no constraint on the intake row stops a raw delete
        cursor.execute("DELETE FROM security_apikey WHERE id = %s", [key.pk])
    assert requests_file_received() == 2
    assert list(ServiceRequest.objects.values_list("public_id", flat=True)) == [kept]
    # In the portal's language, as every kept reason.
    assert ReceivedRequest.objects.get(public_id=gone).failure == "其接口密钥、服务或网格已不存在。"


def test_without_a_broker_the_post_files_at_once_without_waiting(api, submit_key, settings, monkeypatch):
    """`make run` without Redis: the task runs inside the POST, so it must neither gather more
    nor wait out a promise."""
    numbers = [receive(api, form(api_key=submit_key)) for _ in range(2)]
    settings.CELERY_TASK_ALWAYS_EAGER = True

    def no_waiting(seconds):
        raise AssertionError(f"the POST waited {seconds} s")

    monkeypatch.setattr(intake.time, "sleep", no_waiting)
    assert requests_file_received() == 2
    assert shared_redis.remaining_ms(PROMISE_KEY) == 0
    assert set(ServiceRequest.objects.values_list("public_id", flat=True)) == set(numbers)
