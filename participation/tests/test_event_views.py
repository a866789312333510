"""Meetings and events pages: residents sign up and see their code, staff organise and check in;
outsiders (anonymous, another community's residents and staff, an unverified account) get nothing."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from participation import events as steps
from participation.models import Event, EventSignup, EventSignupStatus, EventStatus
from participation.tests.event_helpers import event_town, make_event, verified_resident
from security.models import AuditEvent

pytestmark = pytest.mark.django_db

S = EventSignupStatus


@pytest.fixture
def town(tree, residents, make_user):
    return event_town(tree, residents, make_user)


@pytest.fixture
def event(tree, town):
    return make_event(actor=town.organiser, area=tree.c1, capacity=1, starts_in=timedelta(hours=2))


def _resident_urls(event):
    return {
        "list": "/events/",
        "detail": f"/events/{event.public_id}/",
        "signup": f"/events/{event.public_id}/signup/",
        "cancel_signup": f"/events/{event.public_id}/cancel-signup/",
    }


def _staff_urls(event):
    base = f"/events/manage/{event.public_id}/"
    return {
        "list": "/events/manage/",
        "new": "/events/manage/new/",
        "detail": base,
        "edit": f"{base}edit/",
        "cancel": f"{base}cancel/",
        "minutes": f"{base}minutes/",
    }


def _form(tree, **overrides):
    start = timezone.localtime(timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    return {
        "kind": "activity",
        "title": "重阳节包饺子",
        "description": "欢迎老人参加",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "place": "社区食堂",
        "capacity": "20",
        "area": str(tree.c1.pk),
        "organiser": "",
    } | overrides


# --- outsiders ------------------------------------------------------------------------------------
def test_anonymous_is_sent_to_sign_in_everywhere(client, event):
    for url in [*_resident_urls(event).values(), *_staff_urls(event).values()]:
        response = client.post(url) if url.endswith(("signup/",)) else client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    assert not EventSignup.objects.exists()


def test_another_communitys_resident_neither_sees_nor_signs_up(client, login, town, event):
    login(town.outsider)
    assert event.title not in client.get("/events/").content.decode()
    urls = _resident_urls(event)
    assert client.get(urls["detail"]).status_code == 404
    assert client.post(urls["signup"]).status_code == 404
    assert client.post(urls["cancel_signup"]).status_code == 404
    assert not EventSignup.objects.exists()


def test_an_unverified_account_is_pointed_to_verification_and_cannot_sign_up(client, login, make_user, event):
    login(make_user())
    page = client.get("/events/")
    assert page.status_code == 200 and "/residents/me/verification/" in page.content.decode()
    assert client.post(_resident_urls(event)["signup"]).status_code == 404
    assert not EventSignup.objects.exists()


def test_residents_cannot_reach_the_staff_pages(client, login, town, event):
    login(town.a)
    for url in _staff_urls(event).values():
        assert client.get(url).status_code == 403, url
    assert client.post(_staff_urls(event)["detail"], {"code": "1234"}).status_code == 403


def test_staff_outside_the_area_get_404_and_change_nothing(client, login, tree, town, event):
    signup = steps.event_signup(user=town.a, event=event)
    urls = _staff_urls(event)
    for outsider in (town.staff_c2, town.worker_g1b):
        login(outsider)
        assert event.title not in client.get(urls["list"]).content.decode()
        for name in ("detail", "edit", "cancel", "minutes"):
            assert client.get(urls[name]).status_code == 404, name
        assert client.post(urls["detail"], {"code": signup.code}).status_code == 404
        assert client.post(urls["cancel"], {"reason": "不办了"}).status_code == 404
        assert client.post(urls["edit"], {"title": "改了"}).status_code == 404
    signup.refresh_from_db()
    event.refresh_from_db()
    assert signup.status == S.CONFIRMED and event.status == EventStatus.SCHEDULED
    # Creating for an area not theirs: the area is not among the choices.
    login(town.staff_c2)
    response = client.post(urls["new"], _form(tree))
    assert response.status_code == 400
    assert Event.objects.count() == 1


# --- residents ------------------------------------------------------------------------------------
def test_sign_up_shows_the_code_then_waiting_list_then_moving_up(client, login, town, event):
    login(town.a)
    assert event.title in client.get("/events/").content.decode()
    client.post(_resident_urls(event)["signup"])
    signup = EventSignup.objects.get(user=town.a)
    page = client.get(_resident_urls(event)["detail"]).content.decode()
    assert f'id="check-in-code">{signup.code}<' in page
    # Twice: a message, nothing changes.
    response = client.post(_resident_urls(event)["signup"], follow=True)
    assert len(response.context["messages"]) == 1
    assert EventSignup.objects.filter(user=town.a).count() == 1

    login(town.b)
    client.post(_resident_urls(event)["signup"])
    waiting = EventSignup.objects.get(user=town.b)
    assert waiting.status == S.WAITING
    page = client.get(_resident_urls(event)["detail"])
    assert page.context["position"] == 1 and waiting.code not in page.content.decode()

    login(town.a)
    client.post(_resident_urls(event)["cancel_signup"])
    waiting.refresh_from_db()
    assert waiting.status == S.CONFIRMED
    login(town.b)
    assert f'id="check-in-code">{waiting.code}<' in client.get(_resident_urls(event)["detail"]).content.decode()


def test_signing_up_to_a_cancelled_or_past_event_changes_nothing(client, login, town, event):
    steps.event_cancel(actor=town.organiser, event=event, reason="暴雨")
    login(town.a)
    response = client.post(_resident_urls(event)["signup"], follow=True)
    assert response.status_code == 200 and len(response.context["messages"]) == 1
    Event.objects.filter(pk=event.pk).update(
        status=EventStatus.SCHEDULED, starts_at=timezone.now() - timedelta(hours=1)
    )
    client.post(_resident_urls(event)["signup"])
    assert not EventSignup.objects.exists()


# --- staff ----------------------------------------------------------------------------------------
def test_staff_create_with_bad_input_get_messages_and_nothing_is_made(client, login, tree, town):
    login(town.organiser)
    form = _form(tree)
    bad = _form(tree, ends_at=form["starts_at"], capacity="0", title="")
    response = client.post("/events/manage/new/", bad)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"ends_at", "capacity", "title"} <= set(errors)
    assert not Event.objects.exists()
    response = client.post("/events/manage/new/", form)
    created = Event.objects.get()
    assert response["Location"] == f"/events/manage/{created.public_id}/"
    assert created.capacity == 20 and created.area == tree.c1
    assert AuditEvent.objects.filter(action="event.create").count() == 1


def test_staff_edit_refuses_capacity_below_places_taken(client, login, tree, town, event):
    steps.event_signup(user=town.a, event=event)
    event.refresh_from_db()
    login(town.organiser)
    start = timezone.localtime(event.starts_at)
    data = _form(
        tree,
        starts_at=start.strftime("%Y-%m-%dT%H:%M"),
        ends_at=(start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        capacity="0",
    )
    response = client.post(_staff_urls(event)["edit"], data)
    assert response.status_code == 400
    event.refresh_from_db()
    assert event.capacity == 1


def test_staff_check_in_by_code_and_by_picking(client, login, town, tree, event):
    first = steps.event_signup(user=town.a, event=event)
    Event.objects.filter(pk=event.pk).update(capacity=2)
    second = steps.event_signup(user=town.c, event=event)
    login(town.organiser)
    url = _staff_urls(event)["detail"]
    page = client.get(url)
    assert page.status_code == 200 and page.context["check_in_open"]
    wrong = client.post(url, {"code": "0000" if first.code != "0000" else "1111"})
    assert wrong.status_code == 400 and wrong.context["form"].errors["code"]
    assert client.post(url, {"code": first.code})["Location"] == url
    assert client.post(url, {"code": second.code})["Location"] == url  # the list's button posts the code
    assert set(EventSignup.objects.values_list("status", flat=True)) == {S.ATTENDED}
    assert AuditEvent.objects.filter(action="event.check_in").count() == 2
    # A subdistrict officer over the community may check in too.
    login(town.subdistrict)
    assert client.get(url).status_code == 200


def test_staff_cancel_and_minutes_pages(client, login, town, tree):
    login(town.organiser)
    event = make_event(actor=town.organiser, area=tree.c1)
    steps.event_signup(user=town.a, event=event)
    urls = _staff_urls(event)
    assert client.post(urls["cancel"], {"reason": ""}).status_code == 400
    assert client.post(urls["cancel"], {"reason": "场地维修"}).status_code == 302
    event.refresh_from_db()
    assert event.status == EventStatus.CANCELLED
    login(town.a)
    assert "场地维修" in client.get(_resident_urls(event)["detail"]).content.decode()

    login(town.organiser)
    past = make_event(actor=town.organiser, area=tree.c1, title="上月议事会")
    Event.objects.filter(pk=past.pk).update(
        starts_at=timezone.now() - timedelta(days=3), ends_at=timezone.now() - timedelta(days=3, hours=-2)
    )
    assert client.post(_staff_urls(past)["minutes"], {"minutes": ""}).status_code == 400
    client.post(_staff_urls(past)["minutes"], {"minutes": "议定：加装电梯", "outcomes": "成立小组"})
    login(town.c)
    listing = client.get("/events/")
    assert past in list(listing.context["past"])
    assert "议定：加装电梯" in client.get(_resident_urls(past)["detail"]).content.decode()


# --- query budgets ----------------------------------------------------------------------------------
def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def test_the_lists_and_the_attendee_list_cost_the_same_whatever_the_rows(client, login, tree, town):
    event = make_event(actor=town.organiser, area=tree.c1, capacity=50, starts_in=timedelta(hours=2))
    steps.event_signup(user=town.a, event=event)
    login(town.a)
    resident_few = _count(client, "/events/")
    login(town.organiser)
    staff_few = _count(client, "/events/manage/")
    attendees_few = _count(client, f"/events/manage/{event.public_id}/")

    for n in range(4):
        make_event(actor=town.organiser, area=tree.c1, title=f"活动{n}")
    for _n in range(4):
        steps.event_signup(user=verified_resident(grid=tree.g1, staff=town.organiser), event=event)
    login(town.a)
    assert _count(client, "/events/") == resident_few
    login(town.organiser)
    assert _count(client, "/events/manage/") == staff_few
    assert _count(client, f"/events/manage/{event.public_id}/") == attendees_few
