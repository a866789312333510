"""403, 404 and 500 are the portal's own pages: its menu, plain words and a way back (issue 20)."""

import pytest
from django.test import override_settings
from django.utils import translation
from django.utils.translation import gettext

from security.models import Role

pytestmark = pytest.mark.django_db


def _in(language: str, msgid: str) -> str:
    with translation.override(language):
        return gettext(msgid)


def test_a_resident_on_a_staff_page_gets_the_portals_403_in_chinese(client, tree, make_user, login):
    login(make_user(Role.RESIDENT, tree.g1))
    response = client.get("/requests/workbench/")
    assert response.status_code == 403
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "403 Forbidden" not in page
    assert _in("zh-hans", "You may not open this page") in page
    # The menu of the signed-in resident, and the ways back.
    assert 'href="/requests/mine/"' in page and "我的诉求" in page
    assert 'href="/">返回首页</a>' in page
    assert 'href="/start/"' in page


def test_the_403_page_in_english(client, tree, make_user, login):
    login(make_user(Role.RESIDENT, tree.g1))
    response = client.get("/requests/workbench/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "You may not open this page" in page
    assert 'href="/">Back to the home page</a>' in page
    assert "My requests" in page


def test_anonymous_404_offers_sign_in(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    assert 'href="/accounts/login/?next=/no-such-page/"' in page


@override_settings(DEBUG=True)
@pytest.mark.parametrize("path", ["/no-such-page/", "/requests/SQ0000000000/"])
def test_in_debug_mode_a_404_is_the_portals_page_not_the_url_list(client, tree, make_user, login, path):
    """An unknown address (no pattern matches) and a missing record (the view raises Http404)."""
    login(make_user(Role.RESIDENT, tree.g1))
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and "My requests" in page
    assert "URLconf" not in page and "open311/v2/" not in page and "DEBUG = True" not in page


@override_settings(DEBUG=True)
def test_in_debug_mode_a_missing_slash_still_redirects(client):
    response = client.get("/requests/mine")
    assert response.status_code == 301
    assert response["Location"] == "/requests/mine/"


@override_settings(DEBUG=True)
def test_in_debug_mode_admin_staff_still_get_djangos_technical_page(client, tree, make_user, login):
    admin = make_user(Role.ADMIN, tree.d)
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    login(admin)
    page = client.get("/no-such-page/").content.decode()
    assert "URLconf" in page


def test_the_500_page_renders_without_a_request(settings):
    from django.template import loader

    page = loader.get_template("500.html").render()
    assert "Something went wrong" in page or _in("zh-hans", "Something went wrong") in page
    assert 'href="/"' in page
