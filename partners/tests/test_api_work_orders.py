import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from security.models import ApiScope, Role, RoleAssignment
from security.services import role_revoke
from services import services as steps
from services.models import RoutingRule, ServiceRequest

pytestmark = pytest.mark.django_db

LIST = "/api/v1/work-orders/"


def detail_url(order, action=""):
    return f"/api/v1/work-orders/{order.public_id}/" + (f"{action}/" if action else "")


def photo_file(name="fix.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 20)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def other_partners_order(catalogue, tree, orgs, people):
    """A work order of orgs.partner_other (repair in S2 goes to it)."""
    RoutingRule.objects.create(service=catalogue.repair, area=tree.s2, organisation=orgs.partner_other)
    return steps.request_file(
        actor=people.other_resident,
        service=catalogue.repair,
        description="门锁坏了",
        answers={"facility": "door"},
        grid=tree.g2,
        requester=people.other_resident,
    )


def assigned(order, people, orgs):
    steps.request_accept(request=order, actor=people.worker)
    return steps.request_assign(request=order, actor=people.worker, organisation=orgs.partner)


# --- reading -----------------------------------------------------------------------------------
def test_a_key_lists_its_organisations_work_orders_only(partner_api, file_request, other_partners_order):
    mine = file_request()
    response = partner_api.get(LIST)
    assert response.status_code == 200
    assert [row["public_id"] for row in response.json()["results"]] == [mine.public_id]


def test_the_list_shows_what_the_work_needs_and_no_more(partner_api, file_request, people):
    order = file_request(requester=None, actor=people.worker, contact_name="王大爷", contact_phone="13912345678")
    row = partner_api.get(LIST).json()["results"][0]
    assert row["service"] == "repair"
    assert row["grid"] == "G1"
    assert row["answers"] == {"facility": "lift"}
    assert (row["contact_name"], row["contact_phone"]) == ("王大爷", "139****5678")
    assert row["actions"] == ["accept"]
    assert "13912345678" not in str(row)
    for private in ("requester", "filed_by", "assignee", "contact_phone_encrypted", "is_public"):
        assert private not in row
    assert order.public_id == row["public_id"]


def test_filters(partner_api, file_request, tree, people):
    in_g1 = file_request()
    in_g1b = file_request(grid=tree.g1b, actor=people.community, requester=None)
    steps.request_accept(request=in_g1b, actor=people.community)

    def ids(**params):
        response = partner_api.get(LIST, params)
        assert response.status_code == 200, response.json()
        return {row["public_id"] for row in response.json()["results"]}

    assert ids(status="accepted") == {in_g1b.public_id}
    assert ids(area="C1") == {in_g1.public_id, in_g1b.public_id}
    assert ids(area="G1b") == {in_g1b.public_id}
    assert ids(area="S2") == set()
    assert ids(service="repair") == {in_g1.public_id, in_g1b.public_id}
    assert ids(service="nothing-like-it") == set()
    ServiceRequest.objects.filter(pk=in_g1.pk).update(updated_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(updated_since=since) == {in_g1b.public_id}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"area": "NOWHERE"}, "area"),
        ({"status": "lost"}, "status"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"updated_since": "0001-01-01T00:00:00"}, "updated_since"),  # overflowed into a 500 once
        ({"updated_since": "9999-12-31T23:59:59-14:00"}, "updated_since"),
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"cursor": "not base64!"}, "cursor"),
        ({"cursor": "cD1ub3QtYS10aW1l"}, "cursor"),  # "p=not-a-time": a forged position
    ],
)
def test_bad_filters_answer_400_naming_the_parameter(partner_api, file_request, params, field):
    file_request()
    response = partner_api.get(LIST, params)
    assert response.status_code == 400
    assert field in response.json()


def test_a_time_at_the_start_of_the_calendar_still_filters(partner_api, file_request):
    file_request()
    response = partner_api.get(LIST, {"updated_since": "0001-01-02T00:00:00+08:00"})
    assert (response.status_code, len(response.json()["results"])) == (200, 1)


def test_cursor_pages_walk_every_work_order_once(partner_api, file_request):
    filed = {file_request().public_id for _ in range(5)}
    seen, url, pages = [], LIST + "?page_size=2", 0
    while url:
        body = partner_api.get(url).json()
        seen += [row["public_id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    assert pages == 3
    assert sorted(seen) == sorted(filed)


# Per call: the key with its maker, the maker's roles (read afresh every call), the list, and the
# api.call audit event (chain lock, last hash, insert).
LIST_QUERIES = 6


def test_the_list_costs_the_same_queries_for_many_work_orders(partner_api, file_request, django_assert_num_queries):
    file_request()
    partner_api.get(LIST)  # the key's last-used time is written at most once a minute: not counted below
    with django_assert_num_queries(LIST_QUERIES):
        assert len(partner_api.get(LIST).json()["results"]) == 1
    for _ in range(6):
        file_request()
    with django_assert_num_queries(LIST_QUERIES):
        assert len(partner_api.get(LIST).json()["results"]) == 7


def test_detail_has_the_timeline_without_other_organisations_notes(partner_api, file_request, people):
    order = file_request()
    steps.request_comment(request=order, actor=people.worker, message="已联系物业")
    steps.request_comment(request=order, actor=people.worker, message="居民家里有老人", internal=True)
    steps.request_comment(request=order, actor=people.partner, message="备件已订", internal=True)
    steps.request_comment(request=order, actor=people.resident, message="谢谢")
    response = partner_api.get(detail_url(order))
    assert response.status_code == 200
    timeline = response.json()["timeline"]
    messages = [(event["kind"], event["message"], event["by"], event["is_internal"]) for event in timeline]
    assert messages == [
        ("submitted", "", "requester", False),
        ("comment", "已联系物业", "staff", False),
        ("note", "备件已订", "partner", True),
        ("comment", "谢谢", "requester", False),
    ]


@pytest.mark.parametrize("action", ["", "accept", "start", "resolve", "comments"])
def test_another_organisations_work_order_is_404(partner_api, other_partners_order, action):
    if action:
        response = partner_api.post(detail_url(other_partners_order, action), {"note": "x", "message": "x"})
    else:
        response = partner_api.get(detail_url(other_partners_order))
    assert response.status_code == 404
    assert ServiceRequest.objects.get(pk=other_partners_order.pk).status == "submitted"


def test_a_missing_work_order_is_404_too(partner_api):
    assert partner_api.get("/api/v1/work-orders/SQ0000000000/").status_code == 404


def test_outsiders_of_the_api(client, api_as, people, orgs, file_request):
    order = file_request()
    assert client.get(LIST).status_code == 401
    assert client.get(LIST, HTTP_X_API_KEY="sq_deadbeef_nope").status_code == 401
    submit_only = api_as(people.partner, orgs.partner, [ApiScope.SUBMIT_REQUESTS])
    assert submit_only.get(LIST).status_code == 403
    read_only = api_as(people.partner, orgs.partner, [ApiScope.READ_WORK_ORDERS])
    assert read_only.get(detail_url(order)).status_code == 200
    assert read_only.post(detail_url(order, "accept"), {}).status_code == 403
    other = api_as(people.partner_other, orgs.partner_other)
    assert other.get(LIST).json()["results"] == []


def test_a_revoked_key_stops_at_once(partner_api, people):
    from security.api_keys import api_key_revoke

    api_key_revoke(actor=people.partner, key=partner_api.key)
    assert partner_api.get(LIST).status_code == 401


def test_a_key_reaches_nothing_once_its_maker_leaves_the_partner(partner_api, file_request, people, orgs):
    order = file_request()
    role_revoke(assignment=RoleAssignment.objects.get(user=people.partner, role=Role.PARTNER_OPERATOR), revoked_by=None)
    # The key acts as its maker, so it stops authenticating at all (security.api_keys).
    assert partner_api.get(LIST).status_code == 401
    assert partner_api.get(detail_url(order)).status_code == 401


# --- acting ------------------------------------------------------------------------------------
def test_accept_then_start_then_resolve_with_photos(partner_api, file_request, people, orgs):
    order = file_request()
    response = partner_api.post(detail_url(order, "accept"), {"note": "收到"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    steps.request_assign(request=order, actor=people.worker, organisation=orgs.partner)
    response = partner_api.post(detail_url(order, "start"), {}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "in_progress")
    assert response.json()["actions"] == ["resolve"]
    response = partner_api.post(
        detail_url(order, "resolve"), {"note": "更换了门禁", "photos": [photo_file("a.jpg"), photo_file("b.jpg")]}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "resolved"
    assert body["timeline"][-1]["photo_count"] == 2
    order.refresh_from_db()
    assert order.photos.count() == 2
    assert order.events.last().actor == people.partner


def test_resolve_takes_json_too(partner_api, file_request, people, orgs):
    order = assigned(file_request(), people, orgs)
    response = partner_api.post(detail_url(order, "resolve"), {"note": "修好了"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "resolved")


def test_the_services_rules_answer_400(partner_api, file_request, people, orgs):
    order = file_request()
    response = partner_api.post(detail_url(order, "start"), {}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    order = assigned(order, people, orgs)
    response = partner_api.post(detail_url(order, "resolve"), {"note": "  "}, format="json")
    assert response.status_code == 400
    assert "note" in response.json()
    response = partner_api.post(
        detail_url(order, "resolve"), {"note": "x", "photos": [SimpleUploadedFile("x.jpg", b"no")]}
    )
    assert response.status_code == 400
    assert "x.jpg is not a photo" in str(response.json())
    assert ServiceRequest.objects.get(pk=order.pk).status == "assigned"


def test_comments_and_internal_notes(partner_api, file_request, people):
    order = file_request()
    response = partner_api.post(detail_url(order, "comments"), {"message": "明天上午上门"}, format="json")
    assert response.status_code == 201
    assert response.json()["by"] == "partner"
    assert response.json()["is_internal"] is False
    response = partner_api.post(detail_url(order, "comments"), {"message": "需要备件", "internal": True}, format="json")
    assert (response.status_code, response.json()["kind"]) == (201, "note")
    assert partner_api.post(detail_url(order, "comments"), {"message": " "}, format="json").status_code == 400
    assert [e.message for e in order.events.filter(is_public=True, kind="comment")] == ["明天上午上门"]
