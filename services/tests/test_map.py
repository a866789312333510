"""The request form's map picker: shown only when the district names a tile server, built from the
vendored Leaflet (never a CDN), and a malformed MAP_TILE_URL stops start-up naming it."""

import re

import pytest
from django.test import override_settings

from portal.tests.test_settings import manage

TILES = "https://tiles.example.cn/{z}/{x}/{y}.png"
FORM = "/requests/new/repair/"


@pytest.mark.django_db
@override_settings(MAP_TILE_URL=TILES, MAP_TILE_ATTRIBUTION="© 天地图")
def test_form_has_the_map_from_vendored_files_when_a_tile_server_is_set(client, login, people, catalogue):
    login(people.resident)
    html = client.get(FORM).content.decode()
    assert 'id="map-picker"' in html
    assert f'data-tile-url="{TILES}"' in html
    assert 'data-attribution="© 天地图"' in html
    for path in ("vendor/leaflet/leaflet.css", "vendor/leaflet/leaflet.js", "services/map_picker.js"):
        assert f"/static/{path}" in html
    assert "/static/vendor/leaflet/images/marker-icon.png" in html
    # Everything but the tiles comes from the portal itself.
    assert re.findall(r"https?://[^\s\"'<>]+", html) == [TILES]
    assert "unpkg" not in html.lower() and "cdn" not in html.lower()
    # The map adds to the other ways of saying where; it replaces none.
    assert 'name="grid"' in html and 'id="use-position"' in html


@pytest.mark.django_db
@override_settings(MAP_TILE_URL="", MAP_TILE_ATTRIBUTION="")
def test_form_has_no_map_and_no_leaflet_without_a_tile_server(client, login, people, catalogue):
    login(people.resident)
    html = client.get(FORM).content.decode()
    assert "map-picker" not in html
    assert "leaflet" not in html.lower()
    assert 'name="grid"' in html and 'id="use-position"' in html


@pytest.mark.django_db
@override_settings(MAP_TILE_URL=TILES)
def test_anonymous_visitor_is_sent_to_sign_in_not_shown_the_form(client, catalogue):
    response = client.get(FORM)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "value",
    [
        "tiles.example.cn/{z}/{x}/{y}.png",  # no scheme
        "ftp://tiles.example.cn/{z}/{x}/{y}.png",
        "https://tiles.example.cn/tiles.png",  # no placeholders
        "https://tiles.example.cn/{z}/{x}.png",  # {y} missing
    ],
)
def test_a_bad_map_tile_url_is_named_without_a_traceback(value):
    result = manage("check", MAP_TILE_URL=value)
    assert result.returncode == 2
    assert "MAP_TILE_URL" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_good_map_tile_url_passes_the_check():
    result = manage("check", MAP_TILE_URL=TILES, MAP_TILE_ATTRIBUTION="© 天地图")
    assert result.returncode == 0, result.stderr
