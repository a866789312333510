"""The request form's map on a phone: tiles come from the district's tile server (here a loopback
stand-in), everything else from the portal; tapping the map places the request without a grid."""

import re
from decimal import Decimal

import pytest

from directory.models import Area
from services.models import ServiceRequest
from tests.browser.test_phone_journeys import fits_the_screen, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

CENTRE = (Decimal("30.795600"), Decimal("106.092500"))  # where the map opens


@pytest.fixture
def map_form(phone, live_server, settings, tile_server, catalogue, people, tree):
    """The resident on the repair form, with the map on; every URL the page fetched is recorded."""
    origin, asked = tile_server
    settings.MAP_TILE_URL = origin + "/{z}/{x}/{y}.png"
    # As portal.settings derives it from MAP_TILE_URL: the policy lets images come from the tile server.
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {**directives, "img-src": [*directives["img-src"], origin]}}
    Area.objects.filter(pk=tree.g1.pk).update(centre_lat=CENTRE[0], centre_lng=CENTRE[1])
    fetched = []
    phone.on("request", lambda request: fetched.append(request.url))
    sign_in(phone, people.resident.username)
    phone.goto("/requests/new/repair/")
    phone.wait_for_selector("#map-picker .leaflet-tile-loaded")
    return phone, origin, asked, fetched


def test_tapping_the_map_places_the_request_without_a_grid(map_form, live_server, tree):
    phone, origin, asked, fetched = map_form
    assert fits_the_screen(phone)
    assert phone.locator("#map-picker").bounding_box()["height"] >= 240
    assert any(path.startswith("/13/") for path in asked)  # the map opens at zoom 13 on our tiles

    phone.fill("textarea[name=description]", "小区门口路灯不亮。")
    phone.check("input[name=attr_facility][value=door]")
    assert phone.input_value("select[name=grid]") == ""
    phone.click("#map-picker")  # its centre: the district centre, where G1 is
    phone.wait_for_selector("#map-picker .leaflet-marker-icon")
    lat, lng = phone.input_value("#id_lat"), phone.input_value("#id_lng")
    assert re.fullmatch(r"-?\d+\.\d{6}", lat) and re.fullmatch(r"-?\d+\.\d{6}", lng)
    assert abs(Decimal(lat) - CENTRE[0]) < Decimal("0.002") and abs(Decimal(lng) - CENTRE[1]) < Decimal("0.002")
    assert phone.locator("#map-picker-status").inner_text().strip()
    # The marker's image, named explicitly from {% static %}, really loads.
    phone.wait_for_function("() => document.querySelector('.leaflet-marker-icon').naturalWidth > 0")

    phone.click("button[type=submit]:has-text('提交诉求')")
    phone.wait_for_load_state()
    request = ServiceRequest.objects.get()
    assert request.grid == tree.g1
    assert (request.lat, request.lng) == (Decimal(lat), Decimal(lng))
    # Nothing came from anywhere but the portal and the tile server.
    assert fetched and all(url.startswith((live_server.url, origin)) for url in fetched)


def test_use_my_position_moves_the_marker(map_form):
    phone, *_ = map_form
    phone.context.grant_permissions(["geolocation"])
    phone.context.set_geolocation({"latitude": 30.8012, "longitude": 106.0811})
    assert phone.locator("#map-picker .leaflet-marker-icon").count() == 0
    phone.click("#use-position")
    phone.wait_for_selector("#map-picker .leaflet-marker-icon")
    assert (phone.input_value("#id_lat"), phone.input_value("#id_lng")) == ("30.801200", "106.081100")
    # The map flies to the shared position: once it settles, the marker's tip is in its middle.
    phone.wait_for_function(
        """() => {
            const box = document.getElementById("map-picker").getBoundingClientRect();
            const pin = document.querySelector("#map-picker .leaflet-marker-icon").getBoundingClientRect();
            return Math.abs(pin.left + pin.width / 2 - (box.left + box.width / 2)) < 3
                && Math.abs(pin.bottom - (box.top + box.height / 2)) < 3;
        }""",
        timeout=5000,
    )
