"""The 关注的区域 page: only signed-in people, only their own follows, bad input changes nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.area_alerts import area_follow
from notifications.models import AreaAlertSetting, AreaSubscription
from security.models import AuditEvent
from tests.factories import AreaFactory

pytestmark = pytest.mark.django_db
PAGE = "/notifications/areas/"
FOLLOW = "/notifications/areas/follow/"
UNFOLLOW = "/notifications/areas/unfollow/"


def follows(user) -> list[int]:
    return sorted(AreaSubscription.objects.filter(user=user).values_list("area_id", flat=True))


@pytest.mark.parametrize("method,url", [("get", PAGE), ("post", PAGE), ("post", FOLLOW), ("post", UNFOLLOW)])
def test_anonymous_visitors_are_sent_to_sign_in(client, tree, method, url):
    response = getattr(client, method)(url, {"area": tree.c1.pk})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not AreaSubscription.objects.exists() and not AreaAlertSetting.objects.exists()


def test_a_resident_follows_and_unfollows_a_community(client, tree, people, login, catalogue):
    login(people.resident)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert tree.g1.name in page.content.decode()  # their own grid, followed by default

    response = client.post(FOLLOW, {"area": tree.c2.pk})
    assert response.status_code == 302 and response["Location"] == PAGE
    assert follows(people.resident) == [tree.c2.pk]
    assert tree.c2.name in client.get(PAGE).content.decode()

    response = client.post(PAGE, {"mode": "at_once", "follows_own_grid": "on", "service_codes": ["repair"]})
    assert response.status_code == 302
    setting = AreaAlertSetting.objects.get(user=people.resident)
    assert (setting.mode, setting.follows_own_grid, setting.service_codes) == ("at_once", True, ["repair"])

    assert client.post(UNFOLLOW, {"area": tree.c2.pk}).status_code == 302
    assert follows(people.resident) == []
    assert list(
        AuditEvent.objects.filter(actor=people.resident, action__startswith="area_alert.")
        .values_list("action", flat=True)
        .order_by("id")
    ) == ["area_alert.follow", "area_alert.settings_update", "area_alert.unfollow"]


def test_anyone_signed_in_may_follow_any_community(client, tree, make_user, login):
    newcomer = make_user()  # not verified, no role
    login(newcomer)
    assert client.post(FOLLOW, {"area": tree.c1.pk}).status_code == 302
    assert client.post(FOLLOW, {"area": tree.g2.pk}).status_code == 302
    assert follows(newcomer) == sorted([tree.c1.pk, tree.g2.pk])


@pytest.mark.parametrize("area", ["district", "subdistrict", "forged", "text", "empty"])
def test_bad_areas_get_a_message_and_change_nothing(client, tree, people, login, area):
    value = {"district": tree.d.pk, "subdistrict": tree.s1.pk, "forged": 987654, "text": "abc", "empty": ""}[area]
    login(people.resident)
    response = client.post(FOLLOW, {"area": value})
    assert response.status_code == 200
    assert response.context["follow_form"].errors
    assert follows(people.resident) == []
    assert not AuditEvent.objects.filter(action="area_alert.follow").exists()


def test_unknown_category_or_mode_gets_a_message_and_changes_nothing(client, tree, people, login, catalogue):
    login(people.resident)
    client.post(PAGE, {"mode": "at_once", "follows_own_grid": "on", "service_codes": ["repair"]})
    for data in (
        {"mode": "at_once", "service_codes": ["no-such-service"]},
        {"mode": "hourly", "service_codes": ["repair"]},
        {"service_codes": ["repair"]},
    ):
        response = client.post(PAGE, data)
        assert response.status_code == 200
        assert response.context["setting_form"].errors
    setting = AreaAlertSetting.objects.get(user=people.resident)
    assert (setting.mode, setting.follows_own_grid, setting.service_codes) == ("at_once", True, ["repair"])


def test_a_user_can_neither_see_nor_change_anothers_follows(client, tree, people, login):
    area_follow(user=people.other_resident, area_id=tree.c1.pk)
    login(people.resident)
    page = client.get(PAGE)
    assert page.context["subscriptions"] == []
    response = client.post(UNFOLLOW, {"area": tree.c1.pk}, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]]  # told they do not follow it
    assert follows(people.other_resident) == [tree.c1.pk]
    # Staff over the area see no one's follows either: the page is the user's own.
    login(people.community)
    assert client.get(PAGE).context["subscriptions"] == []
    assert follows(people.other_resident) == [tree.c1.pk]


def test_unfollowing_a_forged_id_changes_nothing(client, tree, people, login):
    area_follow(user=people.resident, area_id=tree.c1.pk)
    login(people.resident)
    for value in ("987654", "abc", ""):
        assert client.post(UNFOLLOW, {"area": value}).status_code == 302
    assert follows(people.resident) == [tree.c1.pk]


def test_the_page_needs_the_same_queries_however_many_areas_are_followed(client, tree, people, login, catalogue):
    login(people.resident)
    area_follow(user=people.resident, area_id=tree.c2.pk)
    client.get(PAGE)  # warm up: session, content types
    with CaptureQueriesContext(connection) as few:
        assert client.get(PAGE).status_code == 200
    for n in range(6):
        community = AreaFactory(code=f"CX{n}", kind="community", parent=tree.s2)
        AreaFactory(code=f"GX{n}", kind="grid", parent=community)
        area_follow(user=people.resident, area_id=community.pk)
    with CaptureQueriesContext(connection) as many:
        assert client.get(PAGE).status_code == 200
    assert len(many) == len(few)


def test_the_page_is_linked_from_preferences_and_my_profile(client, people, login):
    login(people.resident)
    assert PAGE in client.get("/notifications/preferences/").content.decode()
    assert PAGE in client.get("/residents/me/").content.decode()
