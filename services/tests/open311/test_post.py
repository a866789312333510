"""Filing through Open311 (POST requests): filed by `request_file` before the POST answers, as
the key's operator; every way the arguments or the key can be wrong, each explained in the spec's
error format with nothing filed; and the audit event each POST leaves, filed, refused or failed."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone
from PIL import Image

from security.api_keys import api_key_revoke
from security.audit import audit_chain_verify
from security.models import ApiKey, ApiScope, AuditEvent, RoleAssignment, User
from security.services import role_revoke
from services.models import Channel, RequestEvent, ServiceRequest
from services.open311 import views
from services.tests.open311.support import (
    BASE,
    PHONE,
    REQUEST_FIELDS,
    assert_errors,
    children,
    form,
    make_key,
    parse,
    post,
)

pytestmark = pytest.mark.django_db


def test_post_form_encoded_with_list_answers_files_as_the_keys_operator(api, people, submit_key):
    body = (
        "service_code=repair&description=%E7%94%B5%E6%A2%AF%E5%9D%8F%E4%BA%86&address_id=G1"
        "&attribute[facility]=lift&attribute[needs][]=a&attribute[needs][]=b&attribute[floors]=3"
        f"&first_name=%E6%A1%82%E5%85%B0&last_name=%E5%BC%A0&phone={PHONE}&email=x%40example.test"
        f"&api_key={submit_key}&jurisdiction_id=shunqing.nanchong.gov.cn"
    )
    response = api.post(f"{BASE}requests.json", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.content
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
        ({"attribute[needs][]": ["a", "b", "a"], "locale": "en"}, 400, "each option at most once"),
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


def test_a_post_is_filed_before_it_answers(api, people, orgs, submit_key, catalogue):
    response = post(api, data=form(api_key=submit_key, phone=PHONE, first_name="桂兰", last_name="张"))
    assert response.status_code == 200, response.content
    (answer,) = parse(response)
    number = answer["service_request_id"]
    filed = ServiceRequest.objects.get(public_id=number)
    assert (filed.filed_by, filed.channel, filed.contact_name) == (people.partner, Channel.OPEN311, "张桂兰")
    assert filed.handling_organisation == orgs.partner  # routed as any request
    # The notice gives the filed request's own deadline.
    assert timezone.localtime(filed.accept_due_at).strftime("%Y-%m-%d %H:%M") in answer["service_notice"]
    (submitted,) = filed.events.all()
    assert (submitted.kind, submitted.actor) == ("submitted", people.partner)
    (audit,) = AuditEvent.objects.filter(action="request.file")
    assert (audit.actor, audit.object_id, audit.ip_address) == (
        people.partner,
        str(filed.pk),
        api.defaults["REMOTE_ADDR"],
    )
    assert audit.details == {"channel": "open311", "api_key": submit_key[3:11]}
    # The number answers at once, as the request and as the token.
    assert parse(api.get(f"{BASE}requests/{number}.json"))[0]["service_request_id"] == number
    assert parse(api.get(f"{BASE}tokens/{number}.json")) == [{"service_request_id": number, "token": number}]


def test_posts_are_filed_in_order_with_an_audit_event_each_and_the_chain_holds(api, submit_key):
    numbers = [
        parse(post(api, data=form(api_key=submit_key, description=f"第{n}盏灯不亮")))[0]["service_request_id"]
        for n in range(3)
    ]
    filed = list(ServiceRequest.objects.order_by("created_at", "id"))
    assert [(r.public_id, r.description) for r in filed] == [(n, f"第{i}盏灯不亮") for i, n in enumerate(numbers)]
    events = AuditEvent.objects.filter(action="request.file").order_by("id")
    assert [e.object_id for e in events] == [str(r.pk) for r in filed]
    assert not AuditEvent.objects.filter(action="api.call").exists()  # each filing's event stands for its call
    assert audit_chain_verify().intact


@pytest.mark.parametrize(
    ("refusal", "says"),
    [("nothing described", "description: Please describe"), ("service closed", "service_code: This service")],
)
def test_a_post_that_filing_refuses_is_400_and_leaves_its_api_call_event(
    api, people, submit_key, catalogue, refusal, says
):
    if refusal == "service closed":
        catalogue.repair.is_active = False
        catalogue.repair.save(update_fields=["is_active"])
    data = form(api_key=submit_key, locale="en", description="" if refusal == "nothing described" else None)
    assert_errors(post(api, data=data), 400, contains=says)
    assert not ServiceRequest.objects.exists()
    (call,) = AuditEvent.objects.filter(action="api.call")
    assert (call.actor, call.details["method"], call.details["status"]) == (people.partner, "POST", 400)
    assert not AuditEvent.objects.filter(action="request.file").exists()


def test_a_post_whose_operator_loses_the_right_meanwhile_is_403_and_leaves_its_api_call_event(
    api, people, submit_key, monkeypatch
):
    """The operator's role is revoked elsewhere after this call checked its key and before it files:
    `request_file` refuses (PermissionDenied), and the call is still audited."""
    authenticate = views.api_key_authenticate

    def checked_then_revoked(raw):
        key = authenticate(raw)
        for assignment in RoleAssignment.objects.filter(user=people.partner):
            role_revoke(assignment=assignment, revoked_by=None)
        key.created_by = User.objects.get(pk=key.created_by_id)  # as filing reads the operator afresh
        return key

    monkeypatch.setattr(views, "api_key_authenticate", checked_then_revoked)
    assert_errors(post(api, data=form(api_key=submit_key)), 403, contains="may no longer file")
    assert not ServiceRequest.objects.exists()
    (call,) = AuditEvent.objects.filter(action="api.call")
    assert (call.actor, call.details["method"], call.details["status"]) == (people.partner, "POST", 403)


# Not wrapped in a test transaction: the filing's transaction is the outermost, as in production,
# so its rollback and the audit event written after it are the real ones.
@pytest.mark.django_db(transaction=True)
def test_a_filing_that_fails_inside_leaves_no_rows_answers_the_specs_error_and_is_audited(
    api, people, submit_key, monkeypatch, caplog
):
    def database_error(**kwargs):
        with connection.cursor() as cursor:  # the database refuses, after the request's rows were written
            cursor.execute("SELECT 1 / 0")

    monkeypatch.setattr("services.request_notifications.request_filed", database_error)
    response = post(api, "xml", form(api_key=submit_key))
    assert_errors(response, 400, "xml", "General service error")
    assert "division by zero" in caplog.text
    assert not ServiceRequest.objects.exists() and not RequestEvent.objects.exists()
    assert not AuditEvent.objects.filter(action="request.file").exists()
    (call,) = AuditEvent.objects.filter(action="api.call")
    assert (call.actor, call.details["method"], call.details["status"]) == (people.partner, "POST", 400)

    monkeypatch.undo()
    response = post(api, data=form(api_key=submit_key))
    assert response.status_code == 200, response.content
    filed = ServiceRequest.objects.get(public_id=parse(response)[0]["service_request_id"])
    assert AuditEvent.objects.filter(action="request.file", object_id=str(filed.pk)).exists()
    assert audit_chain_verify().intact


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
    # Refused, and audited: by the key's operator when the key is still theirs, else by no one.
    (event,) = AuditEvent.objects.filter(action="api.call")
    assert (event.details["method"], event.details["status"]) == ("POST", 403)
    usable = problem == "no scope"
    assert (event.actor_id, event.object_id) == ((people.partner.pk, str(key.pk)) if usable else (None, ""))


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


def test_an_unknown_jurisdiction_files_nothing(api, submit_key):
    assert_errors(post(api, data=form(api_key=submit_key, jurisdiction_id="sfgov.org")), 404)
    assert not ServiceRequest.objects.exists()


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
    assert not ServiceRequest.objects.exists()
