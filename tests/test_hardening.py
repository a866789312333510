"""Probes of the input limits the security review tried (issue 15): photos with more pixels than
any phone takes, NUL characters, JSON nested past reason; each through every door it can come in
by (browser form, Open311, partner API)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from partners.tests.conftest import make_key, partner_api  # noqa: F401 -- fixtures
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
