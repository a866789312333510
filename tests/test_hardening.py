"""Probes of the input limits the security review tried (issue 15): photos with more pixels than
any phone takes, NUL characters, JSON nested past reason; each through every door it can come in
by (browser form, Open311, partner API)."""

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from core.request_input import JSONRefused, json_loads_limited
from partners.tests.conftest import make_key, partner_api  # noqa: F401 -- fixtures
from security.models import AuditEvent, Role
from services import services as steps
from services.models import ServiceRequest
from services.photos import MAX_PHOTO_PIXELS
from services.tests.open311.support import assert_errors, form, post
from services.tests.open311.support import make_key as open311_key

pytestmark = pytest.mark.django_db


# --- photos ------------------------------------------------------------------------------------
def _png(width: int, height: int, name: str = "big.png") -> SimpleUploadedFile:
    # One bit a pixel compresses to a few kilobytes: the header, not the file size, names the pixels.
    buffer = io.BytesIO()
    Image.new("1", (width, height), 1).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _jpeg(width: int, height: int, name: str = "big.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("L", (width, height), 200).save(buffer, format="JPEG", quality=50)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


# 50 MP: over our limit, under twice Pillow's (where it only warns); 90 MP: over both.
OVER_THE_LIMIT = [lambda: _png(7100, 7100), lambda: _jpeg(9500, 9500)]
TOO_MANY_PIXELS = "at most 40 megapixels"


def test_the_limit_is_forty_megapixels_and_a_phone_photo_is_under_it():
    assert MAX_PHOTO_PIXELS == 40_000_000
    assert 4624 * 3472 < MAX_PHOTO_PIXELS  # a 16 MP phone photo


@pytest.mark.parametrize("make", OVER_THE_LIMIT)
def test_the_request_form_refuses_too_many_pixels(client, login, people, catalogue, tree, make):
    login(people.resident)
    response = client.post(
        "/requests/new/repair/",
        {
            "description": "门坏了",
            "attr_facility": "door",
            "grid": tree.g1.pk,
            "submission_key": "px",
            "photos": [make()],
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert TOO_MANY_PIXELS in " ".join(response.context["form"].errors["photos"])
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("make", OVER_THE_LIMIT)
def test_open311_media_refuses_too_many_pixels(client, people, orgs, catalogue, make):
    key = open311_key(people, orgs)[1]
    response = post(client, data=form(api_key=key, media=make(), locale="en"))
    assert_errors(response, 400, contains=TOO_MANY_PIXELS)
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("make", OVER_THE_LIMIT)
def test_the_partner_api_refuses_too_many_pixels(partner_api, file_request, people, orgs, make):  # noqa: F811
    order = file_request()
    steps.request_accept(request=order, actor=people.worker)
    steps.request_assign(request=order, actor=people.worker, organisation=orgs.partner)
    url = f"/api/v1/work-orders/{order.public_id}/resolve/"
    response = partner_api.post(url, {"note": "修好了", "photos": [make()]})
    assert response.status_code == 400
    assert TOO_MANY_PIXELS in str(response.json())
    assert not order.photos.exists()


# --- NUL characters and deep JSON ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "who"),
    [
        ("/requests/%00/", "resident"),
        ("/residents/?q=a%00b", "community"),
        ("/security/audit/?action=a%00", "auditor"),
        ("/requests/workbench/?status=%00", "worker"),
    ],
)
def test_a_nul_in_a_page_address_is_a_400_page(client, people, tree, make_user, url, who):
    user = make_user(Role.AUDITOR, tree.d) if who == "auditor" else getattr(people, who)
    client.force_login(user)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "text/html" in response["Content-Type"]
    assert "a NUL character" in response.content.decode()
    assert 'class="site-header"' in response.content.decode()  # the portal's page, not a bare error


def test_a_nul_in_a_form_field_is_refused_and_files_nothing(client, login, people, catalogue, tree):
    login(people.resident)
    response = client.post(
        "/requests/new/repair/",
        {"description": "门\x00坏了", "attr_facility": "door", "grid": tree.g1.pk, "submission_key": "nul"},
    )
    assert response.status_code == 400
    assert not ServiceRequest.objects.exists()


def test_a_nul_in_a_cookie_is_as_if_the_cookie_was_not_sent(client, people):
    client.force_login(people.resident)
    client.cookies["sessionid"] = "\\000abcdefghijklmnop"  # the octal escape Django's cookie parser decodes
    response = client.get("/requests/mine/")
    assert response.status_code == 302  # to sign in: no session, rather than a failed lookup


@pytest.mark.parametrize(
    "url", ["/api/v1/work-orders/SQ%00/", "/api/v1/webhooks/%00/", "/api/v1/work-orders/?status=%00"]
)
def test_a_nul_in_a_partner_api_address_is_a_json_400_and_is_audited(partner_api, url):  # noqa: F811
    before = AuditEvent.objects.filter(action="api.call").count()
    response = partner_api.get(url)
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    (event,) = AuditEvent.objects.filter(action="api.call").order_by("id")[before:]
    assert event.details["status"] == 400
    assert event.details["path"] == url.split("?")[0]  # percent-encoded, as it was sent
    assert event.object_id == str(partner_api.key.pk)


def test_a_nul_in_an_api_key_is_an_unknown_key(client):
    response = client.get("/api/v1/work-orders/", HTTP_X_API_KEY="sq_\x00_abc")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"description": "nul\x00byte"}, "description"),
        ({"contact_name": "\x00"}, "contact_name"),
        ({"answers": {"facility": "lift", "floors": "\x00"}}, "answers"),
        ({"note\x00": "x"}, None),
    ],
)
def test_a_nul_anywhere_in_a_partner_api_body_is_a_400(partner_api, catalogue, body, field):  # noqa: F811
    payload = {"service": "repair", "description": "x", "answers": {"facility": "lift"}, "grid": "G1"} | body
    response = partner_api.post("/api/v1/requests/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json() if field else "detail" in response.json()
    assert not ServiceRequest.objects.exists()
    assert AuditEvent.objects.filter(action="api.call", details__status=400).exists()


def test_a_nul_in_a_partner_api_form_is_a_400(partner_api, file_request, people, orgs):  # noqa: F811
    order = file_request()
    steps.request_accept(request=order, actor=people.worker)
    steps.request_assign(request=order, actor=people.worker, organisation=orgs.partner)
    response = partner_api.post(f"/api/v1/work-orders/{order.public_id}/resolve/", {"note": "修\x00好"})
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_a_nul_in_an_open311_address_keeps_its_audit_event(client, people, orgs, catalogue):
    key, raw = open311_key(people, orgs)
    response = client.get("/open311/v2/requests/SQ%00.json", HTTP_X_API_KEY=raw)
    assert_errors(response, 400, contains="NUL")
    (event,) = AuditEvent.objects.filter(action="api.call")
    assert (event.object_id, event.details["status"]) == (str(key.pk), 400)


def test_a_nul_in_an_open311_post_files_nothing(client, people, orgs, catalogue):
    raw = open311_key(people, orgs)[1]
    assert_errors(post(client, data=form(api_key=raw, description="灯\x00不亮")), 400, contains="NUL")
    assert not ServiceRequest.objects.exists()


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [33, 5_000, 100_000])
def test_deeply_nested_json_is_a_400_with_a_message(partner_api, catalogue, depth):  # noqa: F811
    body = '{"service": "repair", "answers": ' + _nested(depth) + "}"
    response = partner_api.post("/api/v1/requests/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested more than 32 levels" in response.json()["detail"]
    assert AuditEvent.objects.filter(action="api.call", details__status=400).exists()


def test_deeply_nested_json_is_a_400_in_the_exchange_api_too(people, orgs, make_key):  # noqa: F811
    raw = make_key(people.dept, orgs.dept, scopes=["exchange:fetch"])[1]
    url = f"/exchange/api/v1/agreements/{uuid.uuid4()}/runs/"
    response = APIClient().post(url, _nested(5_000), content_type="application/json", HTTP_X_API_KEY=raw)
    assert response.status_code == 400
    assert "嵌套超过 32 层" in response.json()["detail"]


def test_json_at_the_depth_limit_is_read():
    assert json_loads_limited(_nested(32)) == json_loads_limited(_nested(32))
    with pytest.raises(JSONRefused):
        json_loads_limited(_nested(33))
    with pytest.raises(JSONRefused):
        json_loads_limited('{"a": NaN}')
    with pytest.raises(JSONRefused):
        json_loads_limited('{"a": "\\ud800"}')


# --- every route ---------------------------------------------------------------------------------
def _routes_with_a_nul():
    """Every named route of ours, with a NUL in each text segment of its address and in its query."""
    from django.urls import reverse

    from tests.test_security_probes import PROBE_VALUES, _named_routes

    for name, pattern in _named_routes():
        if getattr(pattern.callback, "__module__", "").split(".")[0] in {"django", "allauth", "drf_spectacular"}:
            continue
        kwargs = {
            key: PROBE_VALUES.get(type(converter).__name__, lambda: "a\x00b")()
            for key, converter in pattern.pattern.converters.items()
        }
        try:
            yield name, reverse(name, kwargs=kwargs) + "?q=%00&page=%00&status=%00"
        except Exception:  # noqa: S112 -- a converter (slug, …) that cannot hold a NUL: the query still can
            kwargs = {key: "probe" if value == "a\x00b" else value for key, value in kwargs.items()}
            yield name, reverse(name, kwargs=kwargs) + "?q=%00&page=%00&status=%00"


ROUTES_WITH_A_NUL = dict(_routes_with_a_nul())


@pytest.mark.parametrize("name", sorted(ROUTES_WITH_A_NUL))
def test_no_page_or_endpoint_answers_a_nul_with_a_500(client, tree, make_user, name):
    user = make_user(Role.DISTRICT_LEADER, tree.d)
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(user)
    url = ROUTES_WITH_A_NUL[name]
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code < 500, (name, url, response.status_code)


def test_the_route_probe_reaches_the_apis_and_pages():
    assert {"residents:staff_list", "security:audit_log", "api_work_order", "api_webhook"} <= set(ROUTES_WITH_A_NUL)
    assert "%00" in ROUTES_WITH_A_NUL["api_work_order"].split("?")[0]
