"""Requests are private unless the resident says otherwise, and a "me too" opens only the public view."""

import re

import pytest

from services.models import ServiceRequest

pytestmark = pytest.mark.django_db


def _form(tree, key, **extra):
    return {"description": "楼道灯坏了", "attr_facility": "lift", "grid": tree.g1.pk, "submission_key": key} | extra


def _public_box(page) -> str:
    return re.search(r'<input[^>]*name="is_public"[^>]*>', page.content.decode()).group(0)


@pytest.mark.parametrize("who", ["resident", "worker"])  # a resident's form and staff filing for a resident
def test_the_neighbours_box_starts_unticked(client, login, people, catalogue, who):
    login(getattr(people, who))
    box = _public_box(client.get("/requests/new/repair/"))
    assert 'type="checkbox"' in box
    assert "checked" not in box


def test_a_form_sent_without_the_box_files_a_private_request(client, login, people, catalogue, tree):
    login(people.resident)
    client.post("/requests/new/repair/", _form(tree, "p1"))
    assert ServiceRequest.objects.get().is_public is False


def test_a_form_sent_with_the_box_files_a_public_request(client, login, people, catalogue, tree):
    login(people.resident)
    client.post("/requests/new/repair/", _form(tree, "p2", is_public="on"))
    assert ServiceRequest.objects.get().is_public is True


def test_staff_filing_for_a_resident_is_private_unless_ticked(client, login, people, catalogue, tree):
    login(people.worker)
    on_behalf = {"channel": "phone", "contact_name": "王大爷"}
    client.post("/requests/new/repair/", _form(tree, "p3", **on_behalf))
    client.post("/requests/new/repair/", _form(tree, "p4", is_public="on", **on_behalf))
    assert list(ServiceRequest.objects.order_by("pk").values_list("is_public", flat=True)) == [False, True]


# --- a "me too" opens the public view only ----------------------------------------------------
ADDRESS = "滨江路88号3栋2单元501"
CONTACT = "王秀英"


@pytest.fixture
def public_request(file_request, people):
    """A public request of the resident in G1, with an address, a contact, an answer and a photo."""
    from services.tests.test_photos import photo_file

    return file_request(
        address=ADDRESS,
        contact_name=CONTACT,
        contact_phone="13900001111",
        answers={"facility": "lift", "floors": "17"},
        photos=[photo_file()],
    )


@pytest.fixture
def newcomer(client):
    """A brand-new account that signed itself up: no role, no household."""
    from security.models import User

    password = "a-long-pass-phrase-2026"
    client.post(
        "/accounts/signup/",
        {"username": "xinlai", "email": "xinlai@example.test", "password1": password, "password2": password},
    )
    user = User.objects.get(username="xinlai")
    assert not user.role_assignments.exists()
    return user


def _photo_url(request) -> str:
    return f"/requests/{request.public_id}/photos/{request.photos.get().public_id}/"


def _assert_public_view_only(client, request):
    page = client.get(f"/requests/{request.public_id}/")
    assert page.status_code == 200
    assert [t.name for t in page.templates][0] == "services/request_public.html"
    html = page.content.decode()
    assert "电梯坏了" in html and request.grid.name in html  # the description and the grid are public
    for private in (ADDRESS, CONTACT, "1390000", "/photos/", "哪里坏了", "几层"):
        assert private not in html
    assert client.get(_photo_url(request)).status_code == 404
    # No step opens the full request either (a comment would show the supporter the timeline).
    assert client.post(f"/requests/{request.public_id}/comment/", {"text": "x"}).status_code == 404


def test_another_resident_who_says_me_too_sees_the_public_view_only(client, login, people, public_request):
    login(people.other_resident)
    client.post(f"/requests/{public_request.public_id}/support/")
    assert public_request.supports.filter(user=people.other_resident).exists()
    _assert_public_view_only(client, public_request)


def test_a_newly_signed_up_account_that_says_me_too_sees_the_public_view_only(client, newcomer, public_request):
    response = client.post(f"/requests/{public_request.public_id}/support/")
    assert response["Location"] == f"/requests/{public_request.public_id}/"
    assert public_request.supports.filter(user=newcomer).exists()
    _assert_public_view_only(client, public_request)


def test_the_public_view_shows_status_changes_but_not_internal_notes_or_who(client, login, people, public_request):
    from services import services as steps

    steps.request_support(request=public_request, actor=people.other_resident)
    steps.request_accept(request=public_request, actor=people.worker, note="明天上午来修")
    steps.request_comment(request=public_request, actor=people.worker, message="住户家有老人", internal=True)
    login(people.other_resident)
    html = client.get(f"/requests/{public_request.public_id}/").content.decode()
    assert "明天上午来修" in html
    assert "住户家有老人" not in html
    assert people.worker.username not in html


def test_without_a_me_too_another_resident_still_gets_404(client, login, newcomer, public_request):
    assert client.get(f"/requests/{public_request.public_id}/").status_code == 404


def test_the_owner_and_staff_in_scope_still_see_everything(client, login, people, public_request):
    from services import services as steps

    steps.request_support(request=public_request, actor=people.other_resident)
    for who in ("resident", "worker", "community"):
        login(getattr(people, who))
        page = client.get(f"/requests/{public_request.public_id}/")
        assert [t.name for t in page.templates][0] == "services/request_detail.html"
        assert ADDRESS in page.content.decode()
        assert client.get(_photo_url(public_request)).status_code == 200
    assert CONTACT in page.content.decode()  # staff see the contact


def test_anonymous_is_sent_to_sign_in(client, public_request):
    for url in (f"/requests/{public_request.public_id}/", _photo_url(public_request)):
        assert client.get(url)["Location"].startswith("/accounts/login/")
