import pytest

from portal.views import LANDING_BY_ROLE
from security.models import Role

pytestmark = pytest.mark.django_db


def _user_for(role, tree, orgs, make_user):
    area = {
        Role.RESIDENT: tree.g1,
        Role.GRID_WORKER: tree.g1,
        Role.COMMUNITY_STAFF: tree.c1,
        Role.SUBDISTRICT_OFFICER: tree.s1,
        Role.PARTNER_OPERATOR: tree.s1,
    }.get(role, tree.d)
    organisation = {Role.DEPARTMENT_OFFICER: orgs.dept, Role.PARTNER_OPERATOR: orgs.partner}.get(role)
    user = make_user(role, area, organisation)
    if role == Role.ADMIN:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


@pytest.mark.parametrize("role", Role.values)
def test_each_role_lands_on_its_own_page(client, tree, orgs, make_user, login, role):
    login(_user_for(role, tree, orgs, make_user))
    response = client.get("/start/", follow=True)
    assert response.status_code == 200
    from django.urls import reverse

    assert response.redirect_chain[-1][0] == reverse(LANDING_BY_ROLE[role])


def test_home_is_public_and_chinese(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "顺庆智慧社区" in page


def test_home_in_english_on_request(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in page
    assert "Shunqing Smart Community" in page


def test_language_switch_sticks(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert '<html lang="en">' in client.get("/").content.decode()


def test_organisation_home_shows_only_own_organisation(client, tree, orgs, make_user, login):
    login(make_user(Role.PARTNER_OPERATOR, tree.s1, orgs.partner))
    page = client.get("/organisation/").content.decode()
    assert orgs.partner.name_zh in page
    assert orgs.partner_other.name_zh not in page


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.DISTRICT_LEADER])
def test_organisation_home_refuses_other_roles(client, tree, orgs, make_user, login, role):
    login(_user_for(role, tree, orgs, make_user))
    assert client.get("/organisation/").status_code == 403


def test_pages_need_sign_in(client):
    for url in ("/start/", "/dashboards/", "/organisation/", "/residents/me/"):
        assert client.get(url)["Location"].startswith("/accounts/login/"), url
