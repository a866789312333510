"""Probes over every page the portal serves, so a page added later cannot forget its guard."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from security.models import Role
from tests.factories import authenticated_recently

pytestmark = pytest.mark.django_db

# Pages anyone may open: they show no resident's, worker's or organisation's data. The public
# requests show only what residents agreed to publish (services/tests/test_public_list.py).
PUBLIC = {"portal:home", "healthz", "set_language", "services:public_list", "services:public_detail"}
# The notices page lists the notices for everyone in the area, like the board on the community's
# wall; a notice's own page and attachment answer 404 to anyone who may not read it
# (participation/tests/test_notice_views.py).
PUBLIC |= {"participation:notice_list"}
# How the district is doing and what it builds with public money, for anyone: counts with small cells
# blanked and nothing finer than a community (dashboards/tests/test_open_data.py), and each construction
# project's budget, spending and status without documents or names (programme/tests/test_projects_public.py).
PUBLIC |= {
    "open_data:district",
    "open_data:community",
    "open_data:catalogue",
    "open_data:dataset_csv",
    "open_data:ckan_package_list",
    "open_data:ckan_package_show",
    "open_data:dcat",
    "programme:public_projects",
    "programme:public_project",
}
THIRD_PARTY_NAMESPACES = {"admin"}  # Django's admin has its own staff guard, probed separately


def _named_routes(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_routes(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


OUR_APPS = {
    "portal",
    "security",
    "residents",
    "directory",
    "notifications",
    "services",
    "exchange",
    "dashboards",
    "participation",
    "programme",
}
# A value of the right shape for each URL converter, naming nothing that exists.
PROBE_VALUES = {"UUIDConverter": lambda: uuid.uuid4(), "IntConverter": lambda: 999999}


def _our_routes():
    for name, pattern in _named_routes():
        module = getattr(pattern.callback, "__module__", "")
        if module.split(".")[0] in OUR_APPS:
            yield name, pattern


def _url(name, pattern):
    from django.urls import reverse

    kwargs = {
        key: PROBE_VALUES.get(type(converter).__name__, lambda: "probe")()
        for key, converter in pattern.pattern.converters.items()
    }
    return reverse(name, kwargs=kwargs)


ROUTES = dict(_our_routes())


@pytest.mark.parametrize("name", sorted(set(ROUTES) - PUBLIC))
def test_anonymous_visitors_are_turned_away(client, name):
    response = client.get(_url(name, ROUTES[name]))
    # 401: a script's JSON endpoint (the session's time left) answers rather than redirects.
    assert response.status_code in (302, 401, 403, 404, 405), name
    if response.status_code == 302:
        # The admin's own pages (those it runs through our ModelAdmins) go to the admin's sign-in.
        assert response["Location"].startswith(("/accounts/login/", "/admin/login/")), name


def test_the_probe_sees_the_pages():
    assert {"residents:staff_list", "security:audit_log", "dashboards:overview", "services:workbench"} <= set(ROUTES)


@pytest.mark.parametrize("role", [Role.DISTRICT_LEADER, Role.AUDITOR, Role.GRID_WORKER])
def test_admin_is_for_staff_accounts_only(client, tree, make_user, login, role):
    area = tree.g1 if role == Role.GRID_WORKER else tree.d
    login(make_user(role, area))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.fixture
def admin_user(client, tree, make_user):
    """A signed-in administrator with access to Django's admin."""
    user = make_user(Role.ADMIN, tree.d)
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(user)
    authenticated_recently(client, user)  # granting a role asks for a recent sign-in
    return user


def test_security_headers(client):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_audit_log_is_read_only_in_the_admin(client, admin_user):
    from security.audit import audit_record

    event = audit_record(actor=None, action="test.admin")
    assert client.get("/admin/security/auditevent/").status_code == 200
    assert client.get("/admin/security/auditevent/add/").status_code == 403
    change_page = client.get(f"/admin/security/auditevent/{event.pk}/change/")
    assert change_page.status_code == 200
    assert 'name="_save"' not in change_page.content.decode()
    assert client.post(f"/admin/security/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    from security.models import AuditEvent

    assert AuditEvent.objects.get(pk=event.pk).action == "test.admin"


def test_granting_a_role_in_the_admin_goes_through_the_audited_service(client, tree, make_user, admin_user):
    from security.models import AuditEvent, RoleAssignment

    worker = make_user()
    response = client.post(
        "/admin/security/roleassignment/add/", {"user": worker.pk, "role": Role.GRID_WORKER, "area": tree.g1.pk}
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=worker, role=Role.GRID_WORKER, area=tree.g1).exists()
    event = AuditEvent.objects.filter(action="role.grant", object_id=str(worker.pk)).get()
    assert event.actor == admin_user


def test_a_bad_grant_in_the_admin_is_explained_and_changes_nothing(client, tree, make_user, admin_user):
    from security.models import RoleAssignment

    worker = make_user()
    response = client.post(
        "/admin/security/roleassignment/add/",
        {"user": worker.pk, "role": Role.GRID_WORKER, "area": tree.c1.pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "is granted over a Grid, not a Community" in response.content.decode()
    assert not RoleAssignment.objects.filter(user=worker).exists()
