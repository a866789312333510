"""Social organisations run events and volunteer activities (issue 17, item 7): an active operator of a
social organisation creates and manages them for areas within their role's area, shown as organised
by the organisation, and confirms the hours of their own activities (points in the same ledger). They
cannot touch anyone else's; enterprise partners' operators, holding the same role, still cannot
organise; area staff keep managing everything in their area."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from directory.models import Organisation
from participation.event_data_rights import export_event_signups
from participation.events import event_signup
from participation.models import Event, PointsEntry, VolunteerActivity, VolunteerSignup
from participation.organisers import is_organiser, may_manage
from participation.tests.event_helpers import make_event
from participation.tests.volunteering_support import held, make_activity, verified_resident
from participation.volunteering import volunteer_sign_up
from participation.volunteering_data_rights import export_volunteering
from security.models import Role
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def social(tree, orgs, make_user):
    home = OrganisationFactory(code="so-sunset", kind=Organisation.Kind.SOCIAL_ORGANISATION, area=tree.s1)
    other = OrganisationFactory(code="so-other", kind=Organisation.Kind.SOCIAL_ORGANISATION, area=tree.s2)
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    staff_c2 = make_user(Role.COMMUNITY_STAFF, tree.c2)
    return SimpleNamespace(
        home=home,
        other=other,
        # Granted at community C1: they organise for C1 and its grids only.
        operator=make_user(Role.PARTNER_OPERATOR, tree.c1, home),
        other_operator=make_user(Role.PARTNER_OPERATOR, tree.s2, other),
        enterprise=make_user(Role.PARTNER_OPERATOR, tree.s1, orgs.partner),
        staff=staff,
        staff_c2=staff_c2,
        subdistrict=make_user(Role.SUBDISTRICT_OFFICER, tree.s1),
        resident=verified_resident(grid=tree.g1, staff=staff),
        outsider=verified_resident(grid=tree.g2, staff=staff_c2),
    )


def _event_form(area, **overrides):
    start = timezone.localtime(timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    return {
        "kind": "activity",
        "title": "老年人健康讲座",
        "description": "",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "place": "社区活动室",
        "capacity": "30",
        "area": str(area.pk),
        "organiser": "",
    } | overrides


def _activity_form(area, **overrides):
    start = timezone.localtime(timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    return {
        "title": "陪伴独居老人",
        "area": str(area.pk),
        "place": "3号楼",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "slots": "5",
        "points_per_hour": "10",
        "description": "",
    } | overrides


def test_the_operator_posts_an_event_as_their_organisation(client, login, social, tree):
    login(social.operator)
    form = client.get("/events/manage/new/").context["form"]
    assert set(form.areas) == {tree.c1.pk, tree.g1.pk, tree.g1b.pk}
    assert set(form.organisers) == {social.home.pk}
    response = client.post("/events/manage/new/", _event_form(tree.c1))
    event = Event.objects.get()
    assert response.status_code == 302
    assert event.organiser == social.home
    assert event.created_by == social.operator
    assert [e.pk for e in client.get("/events/manage/").context["page"]] == [event.pk]
    assert client.get(f"/events/manage/{event.public_id}/").status_code == 200
    edited = client.post(f"/events/manage/{event.public_id}/edit/", _event_form(tree.g1, organiser=""))
    assert edited.status_code == 302
    event.refresh_from_db()
    assert (event.area, event.organiser) == (tree.g1, social.home)  # still theirs
    # Residents see who organises it; the area's staff manage it too.
    login(social.resident)
    assert social.home.name in client.get(f"/events/{event.public_id}/").content.decode()
    login(social.staff)
    assert client.get(f"/events/manage/{event.public_id}/").status_code == 200


def test_the_operator_runs_a_volunteer_activity_and_confirms_hours_into_the_ledger(client, login, social, tree):
    login(social.operator)
    assert client.post("/volunteering/manage/new/", _activity_form(tree.c1)).status_code == 302
    activity = VolunteerActivity.objects.get()
    assert activity.organiser == social.home
    signup = volunteer_sign_up(user=social.resident, activity=activity)
    held(activity)
    page = client.get(f"/volunteering/{activity.public_id}/")
    assert page.context["manages"] and not page.context["can_adjust"]
    response = client.post(f"/volunteering/signups/{signup.public_id}/hours/", {"hours": "2"})
    assert response.status_code == 302
    signup.refresh_from_db()
    assert signup.status == VolunteerSignup.Status.CONFIRMED
    entry = PointsEntry.objects.get(user=social.resident)
    assert (entry.amount, entry.kind, entry.signup_id) == (20, PointsEntry.Kind.EARNED, signup.pk)
    # Correcting a person's points and the area's hours report stay with the area's staff.
    assert (
        client.post(f"/volunteering/signups/{signup.public_id}/adjust/", {"amount": 5, "reason": "x"}).status_code
        == 403
    )
    assert client.get("/volunteering/hours/").status_code == 403
    assert PointsEntry.objects.filter(user=social.resident).count() == 1


def test_the_staff_navigation_shows_them_the_pages(client, login, social):
    login(social.operator)
    links = [href for href, _label in client.get("/events/manage/").context["nav_links"]]
    assert "/events/manage/" in links and "/volunteering/manage/" in links
    login(social.enterprise)
    links = [href for href, _label in client.get("/").context["nav_links"]]
    assert "/events/manage/" not in links and "/volunteering/manage/" not in links


def test_an_enterprise_partners_operator_still_cannot_organise(client, login, social, tree):
    assert not is_organiser(social.enterprise)
    login(social.enterprise)
    for url in ("/events/manage/", "/events/manage/new/", "/volunteering/manage/", "/volunteering/manage/new/"):
        assert client.get(url).status_code == 403
    assert client.post("/events/manage/new/", _event_form(tree.c1)).status_code == 403
    assert client.post("/volunteering/manage/new/", _activity_form(tree.c1)).status_code == 403
    with pytest.raises(PermissionDenied):
        make_event(actor=social.enterprise, area=tree.c1)
    with pytest.raises(ValidationError):
        make_activity(actor=social.enterprise, area=tree.c1)
    assert not Event.objects.exists() and not VolunteerActivity.objects.exists()


def test_outside_their_roles_area_they_are_refused(client, login, social, tree):
    # Granted at C1: the subdistrict above and another community are out of reach.
    login(social.operator)
    for area in (tree.s1, tree.c2):
        assert client.post("/events/manage/new/", _event_form(area)).status_code == 400
        assert client.post("/volunteering/manage/new/", _activity_form(area)).status_code == 400
        with pytest.raises(PermissionDenied):
            make_event(actor=social.operator, area=area)
        with pytest.raises(ValidationError):
            make_activity(actor=social.operator, area=area)
    # Nor do they post as another organisation.
    with pytest.raises(ValidationError):
        make_event(actor=social.operator, area=tree.c1, organiser=social.other)
    assert not Event.objects.exists() and not VolunteerActivity.objects.exists()


def test_another_organisations_or_the_areas_own_activities_are_404(client, login, social, tree):
    theirs = make_activity(actor=social.operator, area=tree.c1)
    staffs = make_activity(actor=social.staff, area=tree.c1, title="社区自己的活动")
    their_event = make_event(actor=social.operator, area=tree.c1)
    staff_event = make_event(actor=social.staff, area=tree.c1)
    signup = volunteer_sign_up(user=social.resident, activity=theirs)
    held(theirs)
    # The other organisation's operator reaches nothing of theirs.
    login(social.other_operator)
    assert client.get(f"/volunteering/{theirs.public_id}/").status_code == 404
    assert client.post(f"/volunteering/{theirs.public_id}/cancel/").status_code == 404
    assert client.post(f"/volunteering/signups/{signup.public_id}/hours/", {"hours": "2"}).status_code == 404
    for name in ("", "edit/", "cancel/", "minutes/"):
        assert client.get(f"/events/manage/{their_event.public_id}/{name}").status_code == 404
    assert list(client.get("/events/manage/").context["page"]) == []
    assert list(client.get("/volunteering/manage/").context["page"]) == []
    # The operator does not manage the area staff's own activity or event.
    login(social.operator)
    assert client.get(f"/events/manage/{staff_event.public_id}/").status_code == 404
    assert client.post(f"/volunteering/{staffs.public_id}/cancel/").status_code == 404
    assert not may_manage(social.operator, area=tree.c1, organiser_id=None)
    signup.refresh_from_db()
    staffs.refresh_from_db()
    assert signup.status == VolunteerSignup.Status.SIGNED_UP
    assert staffs.status == VolunteerActivity.Status.OPEN
    # Another community's staff: 404 too.
    login(social.staff_c2)
    assert client.get(f"/events/manage/{their_event.public_id}/").status_code == 404
    assert client.post(f"/volunteering/{theirs.public_id}/cancel/").status_code == 404


def test_an_inactive_organisation_organises_nothing(client, login, social, tree):
    activity = make_activity(actor=social.operator, area=tree.c1)
    Organisation.objects.filter(pk=social.home.pk).update(is_active=False)
    login(social.operator)
    assert client.get("/volunteering/manage/").status_code == 403
    assert client.post(f"/volunteering/{activity.public_id}/cancel/").status_code == 403


def test_their_lists_cost_the_same_whatever_the_rows(client, login, social, tree):
    make_activity(actor=social.operator, area=tree.c1)
    make_event(actor=social.operator, area=tree.c1)

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries.captured_queries)

    login(social.operator)
    few = (count("/events/manage/"), count("/volunteering/manage/"))
    for index in range(4):
        make_activity(actor=social.operator, area=tree.g1, title=f"活动{index}")
        make_event(actor=social.operator, area=tree.g1b, title=f"讲座{index}")
    assert (count("/events/manage/"), count("/volunteering/manage/")) == few


def test_a_persons_export_names_the_organisation_that_saw_their_sign_up(social, tree):
    # Data rights: the organisation's operators see who signed up, so the person's export says who.
    activity = make_activity(actor=social.operator, area=tree.c1)
    volunteer_sign_up(user=social.resident, activity=activity)
    event = make_event(actor=social.operator, area=tree.c1)
    event_signup(user=social.resident, event=event)
    own = make_activity(actor=social.staff, area=tree.c1, title="社区自己的活动")
    volunteer_sign_up(user=social.resident, activity=own)
    rows = {row["activity"]: row["organiser"] for row in export_volunteering(social.resident)["volunteer_signups"]}
    assert rows == {activity.title: social.home.name, own.title: None}
    assert [row["organiser"] for row in export_event_signups(social.resident)] == [social.home.name]


def test_area_staff_may_credit_an_organisation_of_their_area_with_an_activity(client, login, social, tree):
    login(social.staff)
    # C1 staff: the S1-based organisation is not of their area (a forged choice is a form error).
    response = client.post("/volunteering/manage/new/", _activity_form(tree.c1, organiser=social.home.pk))
    assert response.status_code == 400
    assert not VolunteerActivity.objects.exists()
    officer = make_activity(actor=social.subdistrict, area=tree.c1, organiser=social.home)
    assert officer.organiser == social.home
    with pytest.raises(ValidationError):
        make_activity(actor=social.staff, area=tree.c1, organiser=social.other)
