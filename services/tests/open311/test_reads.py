"""Open311's reads of requests: one request, the list and its filters, the updates extension and
tokens, in JSON and in XML; what they never show (private requests, internal notes); and a list
read whose number of queries does not grow with the requests listed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from directory.models import Area
from services import services as steps
from services.models import ServiceRequest
from services.tests.open311.support import (
    BASE,
    REQUEST_FIELDS,
    UPDATE_FIELDS,
    assert_errors,
    children,
    form,
    parse,
    post,
)

pytestmark = pytest.mark.django_db


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


def test_xml_stays_well_formed_with_control_characters_in_a_description(api, file_request):
    request = file_request(description="灯\x01坏了\x1b")
    root = parse(api.get(f"{BASE}requests/{request.public_id}.xml"))
    assert root.find("request/description").text == "灯坏了"


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
