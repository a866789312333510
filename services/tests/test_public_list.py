"""The public request list and page (issue 16, item 5): anyone may browse what residents agreed to
publish, and nothing they did not."""

import pytest

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
