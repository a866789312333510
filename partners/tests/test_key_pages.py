import re
from datetime import timedelta

import pytest
from django.utils import timezone

from security.api_keys import api_key_authenticate
from security.models import ApiKey

pytestmark = pytest.mark.django_db

KEYS = "/partners/keys/"


def in_days(days):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def create_form(orgs, **overrides):
    return {
        "organisation": orgs.partner.pk,
        "name": "派单系统",
        "scopes": ["workorders:read", "workorders:write"],
        "expires_on": in_days(90),
    } | overrides


def test_the_list_shows_the_organisations_keys_only(client, login, people, orgs, make_key):
    mine, _raw = make_key(people.partner, orgs.partner, ["workorders:read"], name="工单系统")
    theirs, _raw = make_key(people.partner_other, orgs.partner_other, name="别家系统")
    page = login(people.partner).get(KEYS)
    assert page.status_code == 200
    html = page.content.decode()
    assert "工单系统" in html and f"sq_{mine.prefix}_" in html
    assert "别家系统" not in html and theirs.prefix not in html
    assert page.context["form"]["expires_on"].value() == timezone.localdate() + timedelta(days=90)


def test_making_a_key_shows_it_once_and_it_works(client, login, people, orgs):
    login(people.partner)
    response = client.post(KEYS, create_form(orgs))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = response.context["raw_key"]
    key = ApiKey.objects.get()
    assert (key.organisation, key.created_by, key.scopes) == (
        orgs.partner,
        people.partner,
        ["workorders:read", "workorders:write"],
    )
    assert raw in response.content.decode()
    assert api_key_authenticate(raw) == key
    expires = timezone.localtime(key.expires_at)
    assert (expires.date(), expires.hour, expires.minute) == (timezone.localdate() + timedelta(days=90), 0, 0)
    listing = client.get(KEYS).content.decode()
    assert raw not in listing and key.prefix in listing
    assert client.get("/api/v1/work-orders/", HTTP_X_API_KEY=raw).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": " "}, "name"),
        ({"scopes": []}, "scopes"),
        ({"scopes": ["root"]}, "scopes"),
        ({"expires_on": in_days(0)}, "expires_on"),
        ({"expires_on": in_days(400)}, "expires_on"),
    ],
)
def test_a_bad_key_form_is_explained(client, login, people, orgs, overrides, field):
    login(people.partner)
    response = client.post(KEYS, create_form(orgs, **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not ApiKey.objects.exists()


def test_a_key_for_another_organisation_cannot_be_made(client, login, people, orgs):
    login(people.partner)
    response = client.post(KEYS, create_form(orgs, organisation=orgs.partner_other.pk))
    assert "organisation" in response.context["form"].errors
    assert not ApiKey.objects.exists()


def test_revoking(client, login, people, orgs, make_key):
    key, raw = make_key(people.partner, orgs.partner)
    login(people.partner)
    response = client.post(f"/partners/keys/{key.prefix}/revoke/")
    assert response.status_code == 302
    assert response["Location"] == KEYS
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert api_key_authenticate(raw) is None
    assert client.get(f"/partners/keys/{key.prefix}/revoke/").status_code == 405


def test_another_partners_operator_can_neither_see_nor_revoke(client, login, people, orgs, make_key):
    key, _raw = make_key(people.partner, orgs.partner)
    login(people.partner_other)
    assert key.prefix not in client.get(KEYS).content.decode()
    assert client.post(f"/partners/keys/{key.prefix}/revoke/").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


@pytest.mark.parametrize("who", ["resident", "worker", "community", "leader"])
def test_people_who_manage_no_organisation_get_403(client, login, people, orgs, make_key, who):
    key, _raw = make_key(people.partner, orgs.partner)
    login(getattr(people, who))
    assert client.get(KEYS).status_code == 403
    assert client.post(f"/partners/keys/{key.prefix}/revoke/").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, people, orgs, make_key):
    key, _raw = make_key(people.partner, orgs.partner)
    for response in (client.get(KEYS), client.post(f"/partners/keys/{key.prefix}/revoke/")):
        assert response.status_code == 302
        assert re.match(r"^/accounts/login/\?next=", response["Location"])


def test_the_key_list_costs_the_same_queries_for_many_keys(client, login, people, orgs, make_key):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_key(people.partner, orgs.partner)
    login(people.partner)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(KEYS).status_code == 200
        return len(captured)

    few = queries()
    for number in range(5):
        make_key(people.partner, orgs.partner, name=f"系统{number}")
    assert queries() == few


def test_the_organisation_page_links_to_the_keys(client, login, people):
    assert KEYS in login(people.partner).get("/organisation/").content.decode()
    client.logout()
    assert KEYS in login(people.dept).get("/organisation/").content.decode()


def test_each_kind_of_organisation_is_offered_its_own_scopes(client, login, people):
    partner_choices = {
        value for value, _label in login(people.partner).get(KEYS).context["form"]["scopes"].field.choices
    }
    client.logout()
    dept_choices = {value for value, _label in login(people.dept).get(KEYS).context["form"]["scopes"].field.choices}
    assert partner_choices == {"requests:submit", "workorders:read", "workorders:write", "webhooks:manage"}
    assert dept_choices == {"exchange:fetch", "exchange:import"}


def test_a_department_officer_makes_an_exchange_key_but_not_a_partner_one(client, login, people, orgs):
    login(people.dept)
    refused = client.post(KEYS, create_form(orgs, organisation=orgs.dept.pk, scopes=["workorders:read"]))
    assert "scopes" in refused.context["form"].errors
    assert not ApiKey.objects.exists()
    made = client.post(KEYS, create_form(orgs, organisation=orgs.dept.pk, scopes=["exchange:fetch"]))
    assert made.status_code == 200
    key = ApiKey.objects.get()
    assert (key.organisation, key.scopes) == (orgs.dept, ["exchange:fetch"])
    assert api_key_authenticate(made.context["raw_key"]) == key


def test_a_partner_operator_cannot_take_exchange_scopes(client, login, people, orgs):
    login(people.partner)
    response = client.post(KEYS, create_form(orgs, scopes=["exchange:fetch"]))
    assert "scopes" in response.context["form"].errors
    assert not ApiKey.objects.exists()


def test_departments_and_partners_do_not_see_each_others_keys(client, login, people, orgs, make_key):
    partner_key, _raw = make_key(people.partner, orgs.partner)
    dept_key, _raw = make_key(people.dept, orgs.dept)
    login(people.dept)
    html = client.get(KEYS).content.decode()
    assert dept_key.prefix in html and partner_key.prefix not in html
    assert client.post(f"/partners/keys/{partner_key.prefix}/revoke/").status_code == 404
