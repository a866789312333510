"""Minutes name the proposals a meeting discussed (issue 17, item 4): staff publishing an event's minutes
tick proposals of communities within the event's area; the event's page shows them and a proposal's
page lists the meetings that discussed it, only those the viewer may see. A proposal elsewhere or a
forged id changes nothing; outsiders get 404."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from participation.event_selectors import proposal_meetings
from participation.events import event_minutes_publish
from participation.models import Event
from participation.proposals import proposal_create
from participation.tests.event_helpers import event_town, make_event
from security.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def town(tree, residents, make_user):
    town = event_town(tree, residents, make_user)
    town.lift = proposal_create(actor=town.a, title="加装电梯", body="3号楼", category="facilities")
    town.lights = proposal_create(actor=town.c, title="楼道照明", body="晚上太暗", category="safety")
    town.elsewhere = proposal_create(actor=town.outsider, title="修路灯", body="南门", category="safety")
    return town


def _held(event):
    Event.objects.filter(pk=event.pk).update(
        starts_at=timezone.now() - timedelta(days=3), ends_at=timezone.now() - timedelta(days=3, hours=-2)
    )
    event.refresh_from_db()
    return event


@pytest.fixture
def meeting(tree, town):
    return _held(make_event(actor=town.organiser, area=tree.c1, title="居民议事会"))


def _minutes_url(event):
    return f"/events/manage/{event.public_id}/minutes/"


def test_staff_link_proposals_with_the_minutes_and_both_pages_show_it(client, login, town, meeting):
    login(town.organiser)
    form = client.get(_minutes_url(meeting)).context["form"]
    assert set(form.fields["proposals"].queryset) == {town.lift, town.lights}  # not C2's
    response = client.post(
        _minutes_url(meeting), {"minutes": "讨论加装电梯", "outcomes": "成立小组", "proposals": [town.lift.pk]}
    )
    assert response.status_code == 302
    assert list(meeting.proposals_discussed.all()) == [town.lift]
    audit = AuditEvent.objects.filter(action="event.minutes_publish").latest("id")
    assert audit.details["proposals"] == [str(town.lift.public_id)]
    # The event's page (a resident of the area) shows the proposal.
    login(town.b)
    page = client.get(f"/events/{meeting.public_id}/").content.decode()
    assert f"/proposals/{town.lift.public_id}/" in page
    # The proposal's page lists the meeting: residents link to its page, staff to theirs.
    assert [(e.pk, e.link) for e in proposal_meetings(user=town.b, proposal=town.lift)] == [
        (meeting.pk, f"/events/{meeting.public_id}/")
    ]
    assert [e.link for e in proposal_meetings(user=town.organiser, proposal=town.lift)] == [
        f"/events/manage/{meeting.public_id}/"
    ]
    # Publishing again replaces the list.
    login(town.organiser)
    client.post(_minutes_url(meeting), {"minutes": "讨论加装电梯和照明", "proposals": [town.lights.pk]})
    assert list(meeting.proposals_discussed.all()) == [town.lights]
    assert proposal_meetings(user=town.b, proposal=town.lift) == []


def test_a_proposal_outside_the_events_area_or_forged_changes_nothing(client, login, town, meeting, tree):
    login(town.organiser)
    for bad in ([town.elsewhere.pk], ["x"], [999999]):
        response = client.post(_minutes_url(meeting), {"minutes": "讨论", "proposals": bad})
        assert response.status_code == 400
        assert "proposals" in response.context["form"].errors
    meeting.refresh_from_db()
    assert meeting.minutes_published_at is None
    assert not meeting.proposals_discussed.exists()
    # The service refuses it too, with a message on the field; a grid's meeting names no community's proposal.
    with pytest.raises(ValidationError) as refused:
        event_minutes_publish(actor=town.organiser, event=meeting, minutes="讨论", proposals=[town.elsewhere])
    assert "proposals" in refused.value.message_dict
    grid_meeting = _held(make_event(actor=town.organiser, area=tree.g1))
    with pytest.raises(ValidationError):
        event_minutes_publish(actor=town.organiser, event=grid_meeting, minutes="讨论", proposals=[town.lift])
    meeting.refresh_from_db()
    assert meeting.minutes_published_at is None
    assert not Event.proposals_discussed.through.objects.exists()


def test_outsiders_neither_link_nor_see_the_meeting(client, login, town, meeting, make_user):
    event_minutes_publish(actor=town.organiser, event=meeting, minutes="讨论", proposals=[town.lift])
    # Staff of another community and a grid worker of another grid: 404 on the minutes page, nothing changes.
    for outsider in (town.staff_c2, town.worker_g1b):
        login(outsider)
        response = client.post(_minutes_url(meeting), {"minutes": "篡改", "proposals": [town.lights.pk]})
        assert response.status_code == 404
    # Residents: 403 on the staff page.
    login(town.a)
    assert client.post(_minutes_url(meeting), {"minutes": "篡改"}).status_code == 403
    meeting.refresh_from_db()
    assert meeting.minutes == "讨论"
    assert list(meeting.proposals_discussed.all()) == [town.lift]
    # Who sees the meeting on the proposal's page: not another community's residents or staff, an
    # unverified account, or anonymous visitors.
    for outsider in (town.outsider, town.staff_c2, make_user(), AnonymousUser()):
        assert proposal_meetings(user=outsider, proposal=town.lift) == []
    assert [e.pk for e in proposal_meetings(user=town.subdistrict, proposal=town.lift)] == [meeting.pk]


def test_the_proposal_page_partial_renders_what_the_viewer_may_see(town, meeting):
    event_minutes_publish(actor=town.organiser, event=meeting, minutes="讨论", proposals=[town.lift])
    template = Template("{% load participation_related %}{% proposal_related proposal %}")

    def render(user):
        request = RequestFactory().get("/")
        request.user = user
        return template.render(Context({"request": request, "proposal": town.lift}))

    assert f"/events/{meeting.public_id}/" in render(town.b)
    assert "proposal-meetings" not in render(town.outsider)


def test_listing_a_proposals_meetings_costs_the_same_for_many(tree, town):
    def queries() -> int:
        user = type(town.b).objects.get(pk=town.b.pk)  # roles not yet read
        with CaptureQueriesContext(connection) as captured:
            proposal_meetings(user=user, proposal=town.lift)
        return len(captured)

    first = _held(make_event(actor=town.organiser, area=tree.c1))
    event_minutes_publish(actor=town.organiser, event=first, minutes="讨论", proposals=[town.lift])
    one = queries()
    for index in range(5):
        event = _held(make_event(actor=town.organiser, area=tree.c1, title=f"第{index}次议事会"))
        event_minutes_publish(actor=town.organiser, event=event, minutes="讨论", proposals=[town.lift])
    assert len(proposal_meetings(user=town.b, proposal=town.lift)) == 6
    assert queries() == one <= 4


def test_the_proposals_page_lists_the_meeting_for_those_who_may_see_it(client, login, town, meeting):
    event_minutes_publish(actor=town.organiser, event=meeting, minutes="讨论", proposals=[town.lift])
    url = f"/proposals/{town.lift.public_id}/"
    login(town.b)
    assert f"/events/{meeting.public_id}/" in client.get(url).content.decode()
    login(town.organiser)
    assert f"/events/manage/{meeting.public_id}/" in client.get(url).content.decode()
    # Another community's resident reads the proposal but not the meeting.
    login(town.outsider)
    page = client.get(url)
    assert page.status_code == 200
    assert str(meeting.public_id) not in page.content.decode()
