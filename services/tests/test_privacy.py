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
