"""The volunteering pages: residents find, sign up and see their hours; staff post, confirm and
report. Outsiders on every page and action; query budgets on the lists."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from participation.models import PointsEntry, VolunteerActivity, VolunteerSignup
from participation.tests.volunteering_support import (  # noqa: F401 - fixture
    held,
    make_activity,
    town_fixture,
    verified_resident,
)
from participation.volunteering import volunteer_hours_confirm, volunteer_sign_up
from security.models import AuditEvent

pytestmark = pytest.mark.django_db

LIST = "/volunteering/"
MINE = "/volunteering/mine/"
MANAGE = "/volunteering/manage/"
NEW = "/volunteering/manage/new/"
HOURS = "/volunteering/hours/"


def _page(activity):
    return f"/volunteering/{activity.public_id}/"


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_anonymous_goes_to_sign_in(client, town, tree):
    activity = make_activity(actor=town.staff, area=tree.c1)
    signup = volunteer_sign_up(user=town.a, activity=activity)
    for url in (LIST, MINE, MANAGE, NEW, HOURS, _page(activity)):
        assert client.get(url)["Location"].startswith("/accounts/login/")
    for url in (
        _page(activity) + "sign-up/",
        _page(activity) + "cancel-sign-up/",
        _page(activity) + "cancel/",
        f"/volunteering/signups/{signup.public_id}/hours/",
    ):
        assert client.post(url, {"hours": "1"})["Location"].startswith("/accounts/login/")
    assert activity.signups.count() == 1
    assert VolunteerActivity.objects.get().status == VolunteerActivity.Status.OPEN


def test_resident_finds_signs_up_and_gives_the_place_back(client, login, town, tree):
    mine = make_activity(actor=town.staff, area=tree.c1, title="社区义诊帮手")
    other = make_activity(actor=town.staff_c2, area=tree.c2, title="别处活动")
    login(town.a)
    page = client.get(LIST)
    assert list(page.context["page"]) == [mine]
    assert client.get(_page(mine)).status_code == 200
    response = client.post(_page(mine) + "sign-up/")
    assert response.status_code == 302
    assert mine.signups.get().user == town.a
    # Twice: a message, nothing more.
    response = client.post(_page(mine) + "sign-up/")
    assert _messages(response)
    assert mine.signups.count() == 1
    client.post(_page(mine) + "cancel-sign-up/")
    assert mine.signups.get().status == VolunteerSignup.Status.CANCELLED
    # Another community's activity is not there for this resident at all.
    assert client.get(_page(other)).status_code == 404
    assert client.post(_page(other) + "sign-up/").status_code == 404
    assert not other.signups.exists()


def test_unverified_accounts_are_pointed_to_verification_and_cannot_sign_up(client, login, town, tree):
    activity = make_activity(actor=town.staff, area=tree.c1)
    login(town.unverified)
    page = client.get(LIST)
    assert page.status_code == 200 and page.context["grid"] is None
    assert b"/residents/me/verification/" in page.content
    assert client.post(_page(activity) + "sign-up/").status_code == 404
    assert not activity.signups.exists()


def test_full_activity_gives_a_message_and_changes_nothing(client, login, town, tree):
    activity = make_activity(actor=town.staff, area=tree.c1, slots=1)
    volunteer_sign_up(user=town.b, activity=activity)
    login(town.a)
    response = client.post(_page(activity) + "sign-up/", follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]]
    assert activity.signups.count() == 1


def test_staff_post_an_activity_and_bad_input_changes_nothing(client, login, town, tree):
    login(town.staff)
    assert client.get(NEW).status_code == 200
    start = (timezone.localtime() + timedelta(days=3)).replace(second=0, microsecond=0)
    data = {
        "title": "敬老院陪伴",
        "area": tree.c1.pk,
        "place": "敬老院",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "slots": 4,
        "points_per_hour": 20,
        "description": "",
    }
    bad = client.post(NEW, data | {"ends_at": (start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")})
    assert bad.status_code == 400 and bad.context["form"].errors
    outside = client.post(NEW, data | {"area": tree.c2.pk})
    assert outside.status_code == 400 and "area" in outside.context["form"].errors
    assert not VolunteerActivity.objects.exists()
    response = client.post(NEW, data)
    assert response.status_code == 302
    activity = VolunteerActivity.objects.get()
    assert (activity.title, activity.area, activity.slots, activity.points_per_hour) == ("敬老院陪伴", tree.c1, 4, 20)


def test_staff_confirm_hours_on_the_activity_page(client, login, town, tree):
    activity = make_activity(actor=town.staff, area=tree.c1, hours=2, points_per_hour=10)
    signup = volunteer_sign_up(user=town.a, activity=activity)
    held(activity)
    login(town.staff)
    page = client.get(_page(activity))
    assert page.context["manages"] and page.context["signups"] == [signup]
    url = f"/volunteering/signups/{signup.public_id}/hours/"
    for bad in ("3", "-1", "0", "两小时", ""):
        response = client.post(url, {"hours": bad})
        assert response.status_code == 302 and _messages(response)
    assert not PointsEntry.objects.exists()
    client.post(url, {"hours": "1.5"})
    signup.refresh_from_db()
    assert signup.hours == 1.5 and PointsEntry.objects.get(user=town.a).amount == 15


def test_outsider_staff_cannot_see_confirm_or_cancel(client, login, town, tree):
    activity = make_activity(actor=town.staff, area=tree.c1)
    signup = volunteer_sign_up(user=town.a, activity=activity)
    held(activity)
    url = f"/volunteering/signups/{signup.public_id}/hours/"
    for outsider in (town.staff_c2, town.worker_g1b):
        login(outsider)
        assert client.get(_page(activity)).status_code == 404
        assert client.post(url, {"hours": "1"}).status_code == 404
        assert client.post(_page(activity) + "cancel/").status_code == 404
        assert activity not in client.get(MANAGE).context["page"]
    # A resident is not staff at all.
    login(town.a)
    assert client.post(url, {"hours": "1"}).status_code == 403
    assert client.get(MANAGE).status_code == 403
    assert client.get(HOURS).status_code == 403
    signup.refresh_from_db()
    assert signup.status == VolunteerSignup.Status.SIGNED_UP
    assert VolunteerActivity.objects.get().status == VolunteerActivity.Status.OPEN
    assert not AuditEvent.objects.filter(action__in=["volunteer.hours_confirm", "volunteer.activity_cancel"]).exists()


def test_staff_cancel_an_activity(client, login, town, tree):
    activity = make_activity(actor=town.staff, area=tree.c1)
    login(town.staff)
    client.post(_page(activity) + "cancel/")
    activity.refresh_from_db()
    assert activity.status == VolunteerActivity.Status.CANCELLED


def test_resident_sees_their_own_hours_only(client, login, town, tree):
    for person in (town.a, town.b):
        activity = make_activity(actor=town.staff, area=tree.c1)
        signup = volunteer_sign_up(user=person, activity=activity)
        held(activity)
        volunteer_hours_confirm(actor=town.staff, signup=signup, hours="2" if person == town.a else "1")
    login(town.a)
    page = client.get(MINE)
    assert [row["hours"] for row in page.context["years"]] == [2]
    assert [s.user_id for s in page.context["page"]] == [town.a.pk]


def test_hours_report_in_the_staff_area(client, login, town, tree):
    activity = make_activity(actor=town.staff, area=tree.c1)
    signup = volunteer_sign_up(user=town.a, activity=activity)
    held(activity)
    volunteer_hours_confirm(actor=town.staff, signup=signup, hours="2")
    login(town.staff)
    report = client.get(HOURS, {"year": activity.starts_at.year}).context["report"]
    assert [row["user_id"] for row in report["by_resident"]] == [town.a.pk]
    login(town.staff_c2)
    report = client.get(HOURS, {"year": activity.starts_at.year}).context["report"]
    assert report["by_resident"] == [] and report["by_community"] == []
    # A year that does not parse falls back to this year, never an error page.
    assert client.get(HOURS, {"year": "abc"}).status_code == 200


def _fill(town, tree, count):
    for _i in range(count):
        activity = make_activity(actor=town.staff, area=tree.c1, slots=3)
        person = verified_resident(grid=tree.g1, staff=town.staff)
        signup = volunteer_sign_up(user=person, activity=activity)
        held(activity)
        volunteer_hours_confirm(actor=town.staff, signup=signup, hours="1")
        make_activity(actor=town.staff, area=tree.c1, slots=3)


@pytest.mark.parametrize("url", [LIST, MINE, MANAGE, HOURS])
def test_lists_keep_their_query_count_as_rows_grow(client, login, town, tree, django_assert_max_num_queries, url):
    user = town.a if url in (LIST, MINE) else town.staff
    login(user)
    _fill(town, tree, 1)
    volunteer_sign_up(user=town.a, activity=make_activity(actor=town.staff, area=tree.c1))
    client.get(url)
    with django_assert_max_num_queries(1000) as few:
        client.get(url)
    _fill(town, tree, 4)
    for activity in VolunteerActivity.objects.filter(starts_at__gt=timezone.now())[:3]:
        if url == MINE:
            volunteer_sign_up(user=town.a, activity=activity)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_activity_page_query_count_does_not_grow_with_volunteers(
    client, login, town, tree, django_assert_max_num_queries
):
    activity = make_activity(actor=town.staff, area=tree.c1, slots=20)
    volunteer_sign_up(user=town.a, activity=activity)
    login(town.staff)
    client.get(_page(activity))
    with django_assert_max_num_queries(1000) as few:
        client.get(_page(activity))
    for _i in range(5):
        volunteer_sign_up(user=verified_resident(grid=tree.g1, staff=town.staff), activity=activity)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(_page(activity))


def test_navigation_links_for_residents_and_staff(client, login, town):
    login(town.a)
    links = [href for href, _label in client.get(LIST).context["nav_links"]]
    assert "/volunteering/" in links and "/points/" in links
    login(town.worker)
    links = [href for href, _label in client.get(MANAGE).context["nav_links"]]
    assert MANAGE in links and "/points/" not in links


def test_a_volunteer_still_opens_a_cancelled_activity_they_signed_up_for(client, login, town, tree):
    from participation.volunteering import volunteer_activity_cancel

    activity = make_activity(actor=town.staff, area=tree.c1)
    volunteer_sign_up(user=town.a, activity=activity)
    volunteer_activity_cancel(actor=town.staff, activity=activity)
    login(town.a)
    assert activity not in client.get(LIST).context["page"]
    assert client.get(_page(activity)).status_code == 200
    assert client.post(_page(activity) + "sign-up/").status_code == 302
    assert activity.signups.count() == 1
    login(town.outsider)
    assert client.get(_page(activity)).status_code == 404


def test_staff_correct_a_volunteers_points_and_outsiders_cannot(client, login, town, tree):
    activity = make_activity(actor=town.staff, area=tree.c1, hours=2, points_per_hour=10)
    signup = volunteer_sign_up(user=town.a, activity=activity)
    held(activity)
    volunteer_hours_confirm(actor=town.staff, signup=signup, hours="2")
    url = f"/volunteering/signups/{signup.public_id}/adjust/"
    assert client.post(url, {"amount": "-5", "reason": "x"})["Location"].startswith("/accounts/login/")
    login(town.staff_c2)
    assert client.post(url, {"amount": "-5", "reason": "多记了"}).status_code == 404
    login(town.a)
    assert client.post(url, {"amount": "50", "reason": "给自己加"}).status_code == 403
    login(town.staff)
    for bad in ({"amount": "0", "reason": "x"}, {"amount": "-5", "reason": ""}, {"amount": "-21", "reason": "x"}):
        response = client.post(url, bad)
        assert response.status_code == 302 and _messages(response)
    assert PointsEntry.objects.filter(user=town.a).count() == 1
    client.post(url, {"amount": "-5", "reason": "时长多记了半小时"})
    entry = PointsEntry.objects.filter(user=town.a).order_by("-sequence").first()
    assert (entry.kind, entry.amount, entry.balance_after, entry.created_by) == ("adjusted", -5, 15, town.staff)
