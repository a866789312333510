"""Read-only display links to the command-centre screen: an oversight official makes one for their
area, a wall display opens it with no session and sees that area only, a revoke counts from the
next request, and everything about a link is audited."""

from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from dashboards import display_links
from dashboards.models import DisplayLink
from dashboards.services import summaries_rebuild
from dashboards.tests.generate import generate, world
from security.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(tree, orgs, catalogue, people, make_user, residents):
    w = world(tree=tree, orgs=orgs, catalogue=catalogue, people=people, make_user=make_user)
    now = timezone.now()
    generate(w, n=24, now=now, max_days_ago=25)
    summaries_rebuild(now=now)
    return w


def make_link(client, official, area, name="大厅屏幕", **extra):
    client.force_login(official)
    response = client.post("/dashboards/display-links/", {"name": name, "area": area.pk, **extra})
    assert response.status_code == 302, response.content.decode()[:1500]
    client.logout()
    link = DisplayLink.objects.get(name=name)
    return link, f"/dashboards/display/{display_links.display_link_token(link)}/"


def test_an_official_makes_a_link_and_a_wall_display_shows_their_area_only(client, people, tree, data):
    link, url = make_link(client, people.subdistrict, tree.s1, valid_days="30")
    assert link.area == tree.s1 and link.created_by == people.subdistrict
    assert abs(link.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    created = AuditEvent.objects.get(action="dashboards.display_link_create")
    assert created.actor == people.subdistrict and created.details["area"] == "S1"

    response = client.get(url, {"period": "90d"})
    assert response.status_code == 200
    assert response.context["page"].scope.paths == (tree.s1.path,)
    grids = {spot.grid for spot in response.context["worst"]}
    assert grids and grids <= {tree.g1, tree.g1b}
    # An area outside the link's scope is not reachable through its filters.
    outside = client.get(url, {"period": "90d", "area": tree.g2.pk})
    assert tree.g2 not in {spot.grid for spot in outside.context["worst"]}
    # No session came with it, and the page links nowhere.
    assert "_auth_user_id" not in client.session
    assert "/dashboards/?" not in response.content.decode()
    assert client.get("/dashboards/").status_code == 302
    assert client.get("/dashboards/screen/").status_code == 302


def test_the_first_use_of_each_day_is_audited_once(client, people, tree, data):
    link, url = make_link(client, people.leader, tree.d)
    for _ in range(3):
        assert client.get(url).status_code == 200
    uses = AuditEvent.objects.filter(action="dashboards.display_link_use")
    assert uses.count() == 1
    assert uses.get().object_id == str(link.pk) and uses.get().ip_address == "127.0.0.1"
    DisplayLink.objects.filter(pk=link.pk).update(last_used_on=timezone.localdate() - timedelta(days=1))
    client.get(url)
    assert uses.count() == 2


def test_a_revoked_link_stops_on_the_next_request(client, people, tree, data):
    link, url = make_link(client, people.subdistrict, tree.s1)
    assert client.get(url).status_code == 200
    client.force_login(people.subdistrict)
    assert client.post(f"/dashboards/display-links/{link.public_id}/revoke/").status_code == 302
    client.logout()
    response = client.get(url)
    assert response.status_code == 403
    assert response.context["reason"] == "revoked"
    revoked = AuditEvent.objects.get(action="dashboards.display_link_revoke")
    assert revoked.actor == people.subdistrict and revoked.object_id == str(link.pk)


def test_an_expired_link_is_refused(client, people, tree, data):
    link, url = make_link(client, people.subdistrict, tree.s1, valid_days="1")
    DisplayLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(url)
    assert response.status_code == 403
    assert response.context["reason"] == "expired"


def test_forged_and_altered_tokens_get_a_clear_404(client, people, tree, data):
    link, url = make_link(client, people.subdistrict, tree.s1)
    token = display_links.display_link_token(link)
    forged = signing.dumps(str(link.public_id), salt="another-salt")
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged, "x", "x:y:z"):
        response = client.get(f"/dashboards/display/{bad}/")
        assert response.status_code == 404
        assert response.context["reason"] == "invalid"
    assert not AuditEvent.objects.filter(action="dashboards.display_link_use").exists()


def test_another_areas_official_cannot_see_or_revoke_the_link(client, people, tree, make_user, data):
    from security.models import Role

    link, _ = make_link(client, people.subdistrict, tree.s1)
    other = make_user(Role.SUBDISTRICT_OFFICER, tree.s2)
    client.force_login(other)
    listing = client.get("/dashboards/display-links/")
    assert listing.status_code == 200
    assert link.name not in listing.content.decode()
    assert client.post(f"/dashboards/display-links/{link.public_id}/revoke/").status_code == 404
    # Nor make one for an area outside their own.
    refused = client.post("/dashboards/display-links/", {"name": "别人的", "area": tree.s1.pk})
    assert refused.status_code == 200 and not DisplayLink.objects.filter(name="别人的").exists()
    link.refresh_from_db()
    assert link.revoked_at is None
    # The district leader above both sees it.
    client.force_login(people.leader)
    assert link.name in client.get("/dashboards/display-links/").content.decode()


def test_only_oversight_officials_manage_links(client, people, tree, data):
    link, _ = make_link(client, people.subdistrict, tree.s1)
    for user in (people.worker, people.community, people.dept, people.resident):
        client.force_login(user)
        assert client.get("/dashboards/display-links/").status_code == 403
        assert client.post(f"/dashboards/display-links/{link.public_id}/revoke/").status_code == 403
    client.logout()
    assert client.get("/dashboards/display-links/").status_code == 302
    assert client.post(f"/dashboards/display-links/{link.public_id}/revoke/").status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is None


def test_bad_input_changes_nothing(client, people, tree, data):
    client.force_login(people.subdistrict)
    for payload in (
        {"name": "", "area": tree.s1.pk},
        {"name": "x", "area": "abc"},
        {"name": "x", "area": tree.g1.pk},
        {"name": "x", "area": tree.s1.pk, "valid_days": "0"},
        {"name": "x", "area": tree.s1.pk, "valid_days": "99999"},
    ):
        assert client.post("/dashboards/display-links/", payload).status_code == 200, payload
    assert not DisplayLink.objects.exists()


def test_the_list_of_links_costs_the_same_for_one_link_or_many(client, people, tree, django_assert_max_num_queries):
    display_links.display_link_create(actor=people.leader, name="一号屏", area=tree.d)
    client.force_login(people.leader)
    client.get("/dashboards/display-links/")  # the session's first write is not the list's cost
    with django_assert_max_num_queries(20) as counted:
        assert client.get("/dashboards/display-links/").status_code == 200
    for number in range(6):
        link = display_links.display_link_create(actor=people.leader, name=f"屏{number}", area=tree.s1)
        display_links.display_link_revoke(actor=people.leader, link=link)
    with django_assert_max_num_queries(len(counted.captured_queries)):
        assert client.get("/dashboards/display-links/").status_code == 200
