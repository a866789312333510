"""The public request list and page (issue 16, item 5): anyone may browse what residents agreed to
publish, and nothing they did not."""

import pytest
from django.test import override_settings

from services.models import RequestStatus

pytestmark = pytest.mark.django_db

ADDRESS = "滨江路88号3栋2单元501"
CONTACT = "王秀英"
PHONE = "13900001111"


@pytest.fixture
def published(file_request):
    return file_request(
        description="路灯不亮",
        address=ADDRESS,
        contact_name=CONTACT,
        contact_phone=PHONE,
        answers={"facility": "lift", "floors": "17"},
    )


@pytest.fixture
def private(file_request):
    return file_request(description="家里漏水的私事", is_public=False)


def test_anonymous_sees_public_requests_and_never_private_ones(client, published, private):
    page = client.get("/requests/public/")
    assert page.status_code == 200
    html = page.content.decode()
    assert published.public_id in html and "路灯不亮" in html
    assert private.public_id not in html and "家里漏水的私事" not in html


def test_a_public_request_has_a_public_page_and_a_private_one_404s_like_a_missing_one(client, published, private):
    page = client.get(f"/requests/public/{published.public_id}/")
    assert page.status_code == 200
    assert "路灯不亮" in page.content.decode()
    assert client.get(f"/requests/public/{private.public_id}/").status_code == 404
    assert client.get("/requests/public/SQNOSUCHONE1/").status_code == 404


@pytest.mark.parametrize("url", ["/requests/public/", "/requests/public/{id}/"])
def test_no_private_field_appears(client, published, url):
    html = client.get(url.format(id=published.public_id)).content.decode()
    assert published.grid.name in html  # the grid is public
    for private_text in (ADDRESS, CONTACT, PHONE, "1390000", "/photos/"):
        assert private_text not in html


def test_filters_narrow_by_community_service_and_status(client, file_request, tree, people, catalogue):
    here = file_request(description="一号社区的事")
    there = file_request(description="二号社区的事", grid=tree.g2)
    html = client.get("/requests/public/", {"community": tree.c1.pk}).content.decode()
    assert here.public_id in html and there.public_id not in html
    html = client.get("/requests/public/", {"service": catalogue.repair.code}).content.decode()
    assert here.public_id in html and there.public_id in html
    html = client.get("/requests/public/", {"status": RequestStatus.CLOSED}).content.decode()
    assert here.public_id not in html and there.public_id not in html


@pytest.mark.parametrize(
    "query", [{"community": "999999"}, {"community": "abc"}, {"service": "no-such"}, {"status": "bogus"}]
)
def test_bad_filters_get_a_clear_message_not_a_500(client, published, query):
    page = client.get("/requests/public/", query)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="error"' in html
    assert published.public_id not in html


def test_a_grid_is_no_community_filter(client, published, tree):
    page = client.get("/requests/public/", {"community": tree.g1.pk})
    assert page.status_code == 200 and published.public_id not in page.content.decode()


def test_the_home_page_links_to_the_list(client):
    assert 'href="/requests/public/"' in client.get("/").content.decode()


def test_newest_first(client, file_request):
    older = file_request(description="先")
    newer = file_request(description="后")
    html = client.get("/requests/public/").content.decode()
    assert html.index(newer.public_id) < html.index(older.public_id)


def test_query_budget_is_constant_with_rows(client, file_request, django_assert_max_num_queries):
    file_request()
    with django_assert_max_num_queries(20) as one:
        client.get("/requests/public/")
    for _ in range(15):
        file_request()
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get("/requests/public/").status_code == 200


def test_the_supporter_view_uses_the_same_public_record(client, login, people, published):
    from services.services import request_support

    login(people.other_resident)
    request_support(actor=people.other_resident, request=published)
    page = client.get(f"/requests/{published.public_id}/")
    assert page.status_code == 200
    assert "路灯不亮" in page.content.decode() and ADDRESS not in page.content.decode()


# --- the map, only with a tile server ------------------------------------------------------------
TILES = "https://tiles.example.cn/{z}/{x}/{y}.png"


@pytest.fixture
def centred_grids(tree):
    from decimal import Decimal

    tree.g1.centre_lat, tree.g1.centre_lng = Decimal("30.800000"), Decimal("106.100000")
    tree.g1.save()
    return tree


@override_settings(MAP_TILE_URL=TILES)
def test_with_a_tile_server_the_map_places_requests_at_their_grid_centre_only(client, centred_grids, file_request):
    from decimal import Decimal

    file_request(lat=Decimal("30.812345"), lng=Decimal("106.112345"))
    file_request(lat=Decimal("30.812345"), lng=Decimal("106.112345"))
    file_request(grid=centred_grids.g2)  # a grid without a centre stays off the map, on the list
    file_request(is_public=False)
    page = client.get("/requests/public/")
    html = page.content.decode()
    assert 'id="public-map"' in html and "vendor/leaflet/leaflet.js" in html
    assert page.context["points"] == [{"name": centred_grids.g1.name, "lat": 30.8, "lng": 106.1, "count": 2}]
    assert "30.812345" not in html and "106.112345" not in html


@override_settings(MAP_TILE_URL="")
def test_without_a_tile_server_the_page_is_the_list_alone(client, centred_grids, published):
    html = client.get("/requests/public/").content.decode()
    assert 'id="public-map"' not in html and "leaflet" not in html
    assert published.public_id in html


@override_settings(MAP_TILE_URL=TILES)
def test_query_budget_is_constant_with_rows_and_the_map(
    client, centred_grids, file_request, django_assert_max_num_queries
):
    file_request()
    with django_assert_max_num_queries(20) as one:
        client.get("/requests/public/")
    for index in range(15):
        file_request(grid=centred_grids.g1 if index % 2 else centred_grids.g1b)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get("/requests/public/").status_code == 200
