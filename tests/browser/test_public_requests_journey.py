"""The neighbourhood requests on a 360 px phone, for an anonymous visitor: with the district's tile
server the map draws one circle per grid; without one (the default) the page is the list alone and
still works, also on a day an urgent notice is out. Either way a request opens on its public page,
which shows nothing the resident did not agree to publish."""

from decimal import Decimal

import pytest

from directory.models import Area
from participation.tests.notice_helpers import publish, run_fan_out
from tests.browser.test_phone_journeys import fits_the_screen

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def neighbourhood(file_request, people, tree):
    """Two public requests in G1 (which has a centre) and one private one."""
    Area.objects.filter(pk=tree.g1.pk).update(centre_lat=Decimal("30.795600"), centre_lng=Decimal("106.092500"))
    lift = file_request(
        description="三号楼电梯停了", address="幸福路8号3栋", contact_name="李秀英", contact_phone="13800001111"
    )
    lamp = file_request(description="小区路灯不亮")
    private = file_request(description="家里的私事", is_public=False)
    return lift, lamp, private


def open_first_request(phone, request, private):
    listing = phone.locator("main").inner_text()
    assert request.public_id in listing and private.public_id not in listing
    phone.click(f"a[href='/requests/public/{request.public_id}/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    page = phone.locator("main").inner_text()
    assert "三号楼电梯停了" in page
    for private_detail in ("幸福路8号", "李秀英", "13800001111", request.requester.username):
        assert private_detail not in page


def test_with_a_tile_server_the_map_draws_the_grid_and_the_list_opens_a_request(
    phone,
    settings,
    tile_server,
    neighbourhood,
):
    origin, asked = tile_server
    settings.MAP_TILE_URL = origin + "/{z}/{x}/{y}.png"
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {**directives, "img-src": [*directives["img-src"], origin]}}
    lift, lamp, private = neighbourhood
    phone.goto("/requests/public/")
    phone.wait_for_selector("#public-map .leaflet-interactive")  # the grid's circle
    assert phone.locator("#public-map .leaflet-interactive").count() == 1
    assert asked, "the tiles came from the district's tile server"
    assert fits_the_screen(phone)
    open_first_request(phone, lift, private)


def test_without_a_tile_server_the_page_is_the_list_on_an_urgent_notice_day(
    phone, settings, neighbourhood, people, tree
):
    settings.MAP_TILE_URL = ""
    notice = publish(actor=people.community, area=tree.c1, urgent=True, title="今晚停水")
    run_fan_out(notice)
    lift, lamp, private = neighbourhood
    phone.goto("/")
    assert "今晚停水" in phone.locator("main").inner_text()
    phone.goto("/requests/public/")
    assert phone.locator("#public-map").count() == 0
    assert fits_the_screen(phone)
    phone.select_option("select[name=community]", str(tree.c1.pk))
    phone.click("form.filters button[type=submit]")
    phone.wait_for_load_state()
    open_first_request(phone, lift, private)
