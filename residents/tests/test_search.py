"""Searching residents by ID-card or mobile number keeps the number out of every URL (issue 15): the
search form posts, a number search answers from the POST with links that do not carry it, and a
number that arrives in an address anyway is refused unsearched. Names may stay in the address."""

import re

import pytest

from security import personal_data
from security.models import AuditEvent, Role
from tests.factories import HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db
LIST = "/residents/"


@pytest.fixture
def staff(client, tree, residents, make_user, login):
    user = make_user(Role.COMMUNITY_STAFF, tree.c1)
    login(user)
    return user


def _links_and_forms(page: str) -> list[str]:
    return re.findall(r'(?:href|action|value)="([^"]*)"', page)


def test_the_search_form_posts(client, staff):
    page = client.get(LIST).content.decode()
    assert re.search(r'<form class="search" method="post"', page)


def test_an_id_card_number_is_searched_by_post_and_not_echoed_into_links(client, staff, residents):
    number = personal_data.decrypt(residents.r1.id_card_encrypted)
    # Enough residents for several pages: the pages' links must not carry the number either.
    for _ in range(60):
        ResidentFactory(household=HouseholdFactory(grid=residents.r1.household.grid))
    response = client.post(LIST, {"q": number})
    assert response.status_code == 200
    page = response.content.decode()
    assert residents.r1.full_name in page and residents.r1b.full_name not in page
    assert not any(number in link for link in _links_and_forms(page))
    assert number not in page
    assert AuditEvent.objects.filter(action="resident.lookup", actor=staff, details={"by": "id_card"}).count() == 1


def test_a_mobile_number_is_searched_by_post_too(client, staff, residents):
    number = personal_data.decrypt(residents.r1.phone_encrypted)
    page = client.post(LIST, {"q": number}).content.decode()
    assert residents.r1.full_name in page and residents.r1b.full_name not in page
    assert number not in page


def test_a_number_in_the_address_is_refused_and_not_searched(client, staff, residents):
    number = personal_data.decrypt(residents.r1.id_card_encrypted)
    response = client.get(LIST, {"q": number}, HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response["Location"]) == (302, LIST)
    page = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "never from the address" in page
    assert residents.r1b.full_name in page  # the unfiltered list, not the search's result
    assert number not in page
    assert not AuditEvent.objects.filter(action="resident.lookup").exists()


def test_a_name_search_goes_to_the_address_and_pages_with_it(client, staff, residents):
    response = client.post(LIST, {"q": residents.r1.full_name})
    assert response.status_code == 302
    assert response["Location"].startswith(f"{LIST}?q=")
    page = client.get(response["Location"]).content.decode()
    assert residents.r1.full_name in page and residents.r1b.full_name not in page


def test_outsiders_cannot_search(client, tree, residents, make_user, login):
    number = personal_data.decrypt(residents.r1.id_card_encrypted)
    login(make_user(Role.GRID_WORKER, tree.g2))
    page = client.post(LIST, {"q": number}).content.decode()
    assert residents.r1.full_name not in page
    client.logout()
    assert client.post(LIST, {"q": number})["Location"].startswith("/accounts/login/")
