"""Volunteer activities, sign-ups and confirmed hours: who may do what, the limits, the audit."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import timezone, translation

from participation.models import PointsAccount, PointsEntry, VolunteerActivity, VolunteerSignup
from participation.tests.volunteering_support import held, make_activity, town_fixture, verified_resident  # noqa: F401
from participation.volunteering import (
    volunteer_activity_cancel,
    volunteer_hours_confirm,
    volunteer_sign_up,
    volunteer_sign_up_cancel,
)
from participation.volunteering_selectors import volunteer_hours_own_by_year, volunteer_hours_report
from security.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def test_staff_post_for_their_subtree_only(town, tree):
    activity = make_activity(actor=town.worker, area=tree.g1)
    assert activity.status == VolunteerActivity.Status.OPEN
    assert AuditEvent.objects.filter(action="volunteer.activity_create", object_id=str(activity.pk)).exists()
    make_activity(actor=town.subdistrict, area=tree.s1)
    for actor, area in ((town.worker, tree.c1), (town.staff_c2, tree.c1), (town.a, tree.g1), (town.staff, tree.s1)):
        with pytest.raises(ValidationError):
            make_activity(actor=actor, area=area)
    assert VolunteerActivity.objects.count() == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"place": ""}, "place"),
        ({"slots": 0}, "slots"),
        ({"slots": 1001}, "slots"),
        ({"points_per_hour": -1}, "points_per_hour"),
        ({"hours": 25}, "ends_at"),
    ],
)
def test_bad_activities_change_nothing(town, tree, overrides, field):
    with pytest.raises(ValidationError) as caught:
        make_activity(actor=town.staff, area=tree.c1, **overrides)
    assert field in caught.value.message_dict
    assert not VolunteerActivity.objects.exists()


def test_end_before_start_is_refused(town, tree):
    now = timezone.now()
    with pytest.raises(ValidationError, match="end after it starts"):
        make_activity(
            actor=town.staff, area=tree.c1, starts_at=now + timedelta(hours=3), ends_at=now + timedelta(hours=2)
        )


def test_verified_residents_of_the_area_sign_up_once(town, tree):
    activity = make_activity(actor=town.staff, area=tree.c1)
    signup = volunteer_sign_up(user=town.a, activity=activity)
    assert signup.grid == tree.g1
    assert AuditEvent.objects.filter(action="volunteer.sign_up", actor=town.a).exists()
    volunteer_sign_up(user=town.c, activity=activity)  # G1b lies in C1 too
    with pytest.raises(ValidationError, match="already signed up"):
        volunteer_sign_up(user=town.a, activity=activity)
    with pytest.raises(ValidationError, match="another area"):
        volunteer_sign_up(user=town.outsider, activity=activity)
    with pytest.raises(ValidationError, match="verified residents"):
        volunteer_sign_up(user=town.unverified, activity=activity)
    with pytest.raises(ValidationError, match="verified residents"):
        volunteer_sign_up(user=town.staff, activity=activity)
    assert activity.signups.count() == 2


def test_a_grid_activity_is_for_that_grid(town, tree):
    activity = make_activity(actor=town.worker, area=tree.g1)
    with pytest.raises(ValidationError, match="another area"):
        volunteer_sign_up(user=town.c, activity=activity)


def test_full_cancelled_and_started_activities_refuse_sign_ups(town, tree):
    full = make_activity(actor=town.staff, area=tree.c1, slots=1)
    volunteer_sign_up(user=town.a, activity=full)
    with pytest.raises(ValidationError, match="full"):
        volunteer_sign_up(user=town.b, activity=full)
    cancelled = make_activity(actor=town.staff, area=tree.c1)
    volunteer_activity_cancel(actor=town.staff, activity=cancelled)
    with pytest.raises(ValidationError, match="cancelled"):
        volunteer_sign_up(user=town.a, activity=cancelled)
    started = held(make_activity(actor=town.staff, area=tree.c1))
    with pytest.raises(ValidationError, match="already started"):
        volunteer_sign_up(user=town.a, activity=started)
    assert VolunteerSignup.objects.count() == 1


def test_giving_a_place_back_frees_it_and_allows_signing_up_again(town, tree):
    activity = make_activity(actor=town.staff, area=tree.c1, slots=1)
    signup = volunteer_sign_up(user=town.a, activity=activity)
    with pytest.raises(ValidationError, match="not your sign-up"):
        volunteer_sign_up_cancel(user=town.b, signup=signup)
    volunteer_sign_up_cancel(user=town.a, signup=signup)
    assert AuditEvent.objects.filter(action="volunteer.sign_up_cancel").exists()
    volunteer_sign_up(user=town.b, activity=activity)
    volunteer_sign_up_cancel(user=town.b, signup=activity.signups.get(user=town.b))
    volunteer_sign_up(user=town.a, activity=activity)
    assert activity.signups.filter(status=VolunteerSignup.Status.SIGNED_UP).count() == 1


def test_confirming_hours_earns_points_in_the_same_step(town, tree):
    activity = make_activity(actor=town.staff, area=tree.c1, points_per_hour=15, hours=3)
    signup = volunteer_sign_up(user=town.a, activity=activity)
    held(activity)
    signup = volunteer_hours_confirm(actor=town.staff, signup=signup, hours="2.5")
    assert signup.status == VolunteerSignup.Status.CONFIRMED
    assert signup.hours == Decimal("2.5")
    assert signup.confirmed_by == town.staff
    entry = PointsEntry.objects.get(user=town.a)
    assert (entry.kind, entry.amount, entry.balance_after, entry.signup_id) == ("earned", 38, 38, signup.pk)
    assert PointsAccount.objects.get(user=town.a).balance == 38
    event = AuditEvent.objects.get(action="volunteer.hours_confirm")
    assert event.details["hours"] == "2.5" and event.details["points"] == 38
    with pytest.raises(ValidationError, match="already confirmed"):
        volunteer_hours_confirm(actor=town.staff, signup=signup, hours="1")
    assert PointsEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("0", "more than 0"),
        ("-1", "more than 0"),
        ("2.1", "At most 2.0"),
        ("abc", "as a number"),
        ("NaN", "as a number"),
    ],
)
def test_bad_hours_change_nothing(town, tree, hours, message):
    activity = make_activity(actor=town.staff, area=tree.c1, hours=2)
    signup = volunteer_sign_up(user=town.a, activity=activity)
    held(activity)
    with pytest.raises(ValidationError, match=message):
        volunteer_hours_confirm(actor=town.staff, signup=signup, hours=hours)
    signup.refresh_from_db()
    assert signup.status == VolunteerSignup.Status.SIGNED_UP and signup.hours is None
    assert not PointsEntry.objects.exists()
    assert not AuditEvent.objects.filter(action="volunteer.hours_confirm").exists()


def test_only_staff_over_the_activity_confirm_and_only_after_it_started(town, tree):
    activity = make_activity(actor=town.staff, area=tree.c1)
    signup = volunteer_sign_up(user=town.a, activity=activity)
    with pytest.raises(ValidationError, match="after the activity has started"):
        volunteer_hours_confirm(actor=town.staff, signup=signup, hours="1")
    held(activity)
    for outsider in (town.staff_c2, town.worker, town.worker_g1b, town.a, town.outsider):
        with pytest.raises(ValidationError, match="outside your area"):
            volunteer_hours_confirm(actor=outsider, signup=signup, hours="1")
    assert not PointsEntry.objects.exists()
    volunteer_hours_confirm(actor=town.subdistrict, signup=signup, hours="1")
    assert PointsEntry.objects.get().amount == 10


def test_cancelled_sign_ups_and_activities_earn_nothing(town, tree):
    activity = make_activity(actor=town.staff, area=tree.c1)
    signup = volunteer_sign_up(user=town.a, activity=activity)
    volunteer_sign_up_cancel(user=town.a, signup=signup)
    held(activity)
    with pytest.raises(ValidationError, match="cancelled their sign-up"):
        volunteer_hours_confirm(actor=town.staff, signup=signup, hours="1")
    with pytest.raises(ValidationError, match="outside your area"):
        volunteer_activity_cancel(actor=town.staff_c2, activity=activity)


def test_an_activity_with_confirmed_hours_cannot_be_cancelled(town, tree):
    activity = make_activity(actor=town.staff, area=tree.c1)
    signup = volunteer_sign_up(user=town.a, activity=activity)
    held(activity)
    volunteer_hours_confirm(actor=town.staff, signup=signup, hours="1")
    with pytest.raises(ValidationError, match="cannot be cancelled"):
        volunteer_activity_cancel(actor=town.staff, activity=activity)


def test_hours_per_year_for_the_resident_and_per_community_for_staff(town, tree):
    for person, hours in ((town.a, "2"), (town.b, "1.5"), (town.c, "1")):
        activity = make_activity(actor=town.staff, area=tree.c1)
        signup = volunteer_sign_up(user=person, activity=activity)
        held(activity)
        volunteer_hours_confirm(actor=town.staff, signup=signup, hours=hours)
    far = make_activity(actor=town.staff_c2, area=tree.c2)
    signup = volunteer_sign_up(user=town.outsider, activity=far)
    held(far)
    volunteer_hours_confirm(actor=town.staff_c2, signup=signup, hours="2")
    year = held(far).starts_at.year
    assert volunteer_hours_own_by_year(user=town.a) == [{"year": year, "hours": Decimal("2.0"), "activities": 1}]
    report = volunteer_hours_report(user=town.staff, year=year)
    assert [(row["grid__parent_id"], row["hours"], row["volunteers"]) for row in report["by_community"]] == [
        (tree.c1.pk, Decimal("4.5"), 3)
    ]
    assert [row["user_id"] for row in report["by_resident"]] == [town.a.pk, town.b.pk, town.c.pk]
    # A grid worker sees their grid only; the district sees both communities.
    assert [row["user_id"] for row in volunteer_hours_report(user=town.worker, year=year)["by_resident"]] == [
        town.a.pk,
        town.b.pk,
    ]
    assert volunteer_hours_report(user=town.a, year=year)["by_community"] == []
    assert volunteer_hours_report(user=town.staff, year=year - 1)["by_community"] == []


@pytest.mark.django_db(transaction=True)
def test_parallel_sign_ups_never_exceed_the_places(tree, residents, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    people = [verified_resident(grid=tree.g1, staff=staff) for _i in range(8)]
    activity = make_activity(actor=staff, area=tree.c1, slots=3)
    barrier = threading.Barrier(len(people))
    outcomes = []

    def sign_up(person):
        translation.activate("en")  # a thread starts in the portal's language; the messages below are English
        try:
            barrier.wait()
            volunteer_sign_up(user=person, activity=activity)
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign_up, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 3
    assert outcomes.count("This activity is full.") == 5
    assert activity.signups.count() == 3


def test_volunteers_are_told_of_a_cancellation_and_of_their_confirmed_hours(
    town, tree, django_capture_on_commit_callbacks
):
    from notifications.models import OutboxMessage

    cancelled = make_activity(actor=town.staff, area=tree.c1)
    volunteer_sign_up(user=town.a, activity=cancelled)
    gone = volunteer_sign_up(user=town.b, activity=cancelled)
    volunteer_sign_up_cancel(user=town.b, signup=gone)
    volunteer_activity_cancel(actor=town.staff, activity=cancelled)
    told = OutboxMessage.objects.filter(key__startswith=f"volunteer:{cancelled.pk}:")
    assert set(told.values_list("recipient_id", flat=True)) == {town.a.pk}
    assert AuditEvent.objects.get(action="volunteer.activity_cancel").details == {"told": 1}

    held_activity = make_activity(actor=town.staff, area=tree.c1, points_per_hour=10)
    signup = volunteer_sign_up(user=town.a, activity=held_activity)
    held(held_activity)
    volunteer_hours_confirm(actor=town.staff, signup=signup, hours="1.5")
    message = OutboxMessage.objects.filter(key__startswith=f"volunteer:{held_activity.pk}:").first()
    assert message.recipient_id == town.a.pk and "15" in message.body
