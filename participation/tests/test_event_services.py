"""Meetings and events: the services, called as the pages and the beat task call them."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from notifications.models import OutboxMessage
from participation import events as steps
from participation.event_data_rights import erase_event_signups, export_event_signups
from participation.models import Event, EventSignup, EventSignupStatus, EventStatus
from participation.tests.event_helpers import event_town, make_event
from security.audit_actions import ACTION_LABELS
from security.models import AuditEvent

pytestmark = pytest.mark.django_db

S = EventSignupStatus


@pytest.fixture
def town(tree, residents, make_user):
    return event_town(tree, residents, make_user)


def _messages(kind, user=None):
    rows = OutboxMessage.objects.filter(kind=kind, channel="in_app")
    return rows.filter(recipient=user) if user is not None else rows


def _actions():
    return list(AuditEvent.objects.filter(action__startswith="event.").values_list("action", flat=True))


# --- creating and changing ----------------------------------------------------------------------
def test_staff_create_for_their_subtree_audited(tree, town):
    event = make_event(actor=town.organiser, area=tree.c1)
    assert event.status == EventStatus.SCHEDULED
    assert AuditEvent.objects.get(action="event.create").area_id == tree.c1.pk
    # A grid worker for their grid, a subdistrict officer for a community below them.
    make_event(actor=town.worker_g1b, area=tree.g1b)
    make_event(actor=town.subdistrict, area=tree.c1)


@pytest.mark.parametrize("who", ["staff_c2", "worker_g1b", "a"])
def test_outsiders_cannot_create_in_the_area(tree, town, who):
    with pytest.raises(PermissionDenied):
        make_event(actor=getattr(town, who), area=tree.c1)
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"capacity": 0}, "capacity"),
        ({"capacity": None}, "capacity"),
        ({"title": "  "}, "title"),
        ({"place": ""}, "place"),
        ({"kind": "party"}, "kind"),
        ({"starts_in": timedelta(hours=-1)}, "starts_at"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_made(tree, town, overrides, field):
    with pytest.raises(ValidationError) as caught:
        make_event(actor=town.organiser, area=tree.c1, **overrides)
    assert field in caught.value.message_dict
    assert not Event.objects.exists()
    assert not _actions()


def test_end_before_start_is_refused(tree, town):
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        make_event(actor=town.organiser, area=tree.c1, starts_at=start, ends_at=start - timedelta(minutes=1))
    assert "ends_at" in caught.value.message_dict
    assert not Event.objects.exists()


def _update(event, actor, **changes):
    arguments = {
        "area": event.area,
        "kind": event.kind,
        "title": event.title,
        "description": event.description,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "place": event.place,
        "capacity": event.capacity,
        "organiser": event.organiser,
    } | changes
    return steps.event_update(actor=actor, event=event, **arguments)


def test_capacity_below_the_places_taken_is_refused(tree, town):
    event = make_event(actor=town.organiser, area=tree.c1, capacity=3)
    steps.event_signup(user=town.a, event=event)
    steps.event_signup(user=town.b, event=event)
    with pytest.raises(ValidationError) as caught:
        _update(event, town.organiser, capacity=1)
    assert "capacity" in caught.value.message_dict
    event.refresh_from_db()
    assert event.capacity == 3
    assert "event.update" not in _actions()


def test_more_places_move_the_waiting_up_and_a_new_time_tells_everyone(tree, town):
    event = make_event(actor=town.organiser, area=tree.c1, capacity=1)
    steps.event_signup(user=town.a, event=event)
    waiting = steps.event_signup(user=town.b, event=event)
    assert waiting.status == S.WAITING
    _update(event, town.organiser, capacity=2, starts_at=event.starts_at + timedelta(hours=1))
    waiting.refresh_from_db()
    assert waiting.status == S.CONFIRMED
    assert _messages("event.promoted", town.b).count() == 1
    assert {m.recipient_id for m in _messages("event.changed")} == {town.a.pk, town.b.pk}
    assert AuditEvent.objects.get(action="event.update").details["promoted"] == [str(waiting.public_id)]


def test_outsider_staff_cannot_change_cancel_check_in_or_publish(tree, town):
    event = make_event(actor=town.organiser, area=tree.c1, starts_in=timedelta(hours=1))
    for outsider in (town.staff_c2, town.worker_g1b):
        with pytest.raises(PermissionDenied):
            _update(event, outsider, title="改了")
        with pytest.raises(PermissionDenied):
            steps.event_cancel(actor=outsider, event=event, reason="不办了")
        with pytest.raises(PermissionDenied):
            steps.event_check_in(actor=outsider, event=event, code="0000")
        with pytest.raises(PermissionDenied):
            steps.event_minutes_publish(actor=outsider, event=event, minutes="纪要")
    event.refresh_from_db()
    assert event.title != "改了" and event.status == EventStatus.SCHEDULED


# --- signing up -----------------------------------------------------------------------------------
def test_sign_up_until_full_then_waiting_list_in_order(tree, town):
    event = make_event(actor=town.organiser, area=tree.c1, capacity=1)
    first = steps.event_signup(user=town.a, event=event)
    second = steps.event_signup(user=town.b, event=event)
    third = steps.event_signup(user=town.c, event=event)
    assert (first.status, second.status, third.status) == (S.CONFIRMED, S.WAITING, S.WAITING)
    from participation.event_selectors import waiting_position

    assert (waiting_position(second), waiting_position(third)) == (1, 2)
    assert len(first.code) == steps.CODE_DIGITS and first.code.isdigit()
    assert len({first.code, second.code, third.code}) == 3
    assert _actions().count("event.signup") == 3


def test_cancelling_a_place_moves_the_first_waiting_up_and_tells_them(tree, town):
    event = make_event(actor=town.organiser, area=tree.c1, capacity=1)
    steps.event_signup(user=town.a, event=event)
    second = steps.event_signup(user=town.b, event=event)
    third = steps.event_signup(user=town.c, event=event)
    steps.event_signup_cancel(user=town.a, event=event)
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == S.CONFIRMED and third.status == S.WAITING
    assert _messages("event.promoted", town.b).count() == 1
    assert not _messages("event.promoted", town.c).exists()
    cancel = AuditEvent.objects.get(action="event.signup_cancel")
    assert cancel.details["promoted"] == [str(second.public_id)]
    # Leaving the waiting list frees no place and moves nobody.
    steps.event_signup_cancel(user=town.c, event=event)
    assert EventSignup.objects.filter(event=event, status=S.CONFIRMED).count() == 1


def test_signing_up_again_after_cancelling_keeps_the_code_and_queues_fairly(tree, town):
    event = make_event(actor=town.organiser, area=tree.c1, capacity=1)
    first = steps.event_signup(user=town.a, event=event)
    steps.event_signup(user=town.b, event=event)
    steps.event_signup_cancel(user=town.a, event=event)  # b moves up
    again = steps.event_signup(user=town.a, event=event)
    assert again.pk == first.pk and again.code == first.code
    assert again.status == S.WAITING


@pytest.mark.parametrize("case", ["twice", "waiting_twice", "cancelled", "started", "other_area", "unverified"])
def test_refused_sign_ups_change_nothing(tree, town, make_user, case):
    event = make_event(actor=town.organiser, area=tree.c1, capacity=1)
    user = town.a
    if case == "twice":
        steps.event_signup(user=town.a, event=event)
    elif case == "waiting_twice":
        steps.event_signup(user=town.b, event=event)
        steps.event_signup(user=town.a, event=event)
    elif case == "cancelled":
        steps.event_cancel(actor=town.organiser, event=event, reason="下雨")
    elif case == "started":
        Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - timedelta(minutes=5))
    elif case == "other_area":
        user = town.outsider
    elif case == "unverified":
        user = make_user()
    before = list(EventSignup.objects.values_list("pk", "status", "updated_at"))
    audit_count = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        steps.event_signup(user=user, event=event)
    assert caught.value.messages[0]
    assert list(EventSignup.objects.values_list("pk", "status", "updated_at")) == before
    assert AuditEvent.objects.count() == audit_count


def test_an_event_for_the_subdistrict_takes_residents_of_every_community_below(tree, town):
    event = make_event(actor=town.subdistrict, area=tree.s1)
    assert steps.event_signup(user=town.c, event=event).status == S.CONFIRMED
    with pytest.raises(ValidationError):
        steps.event_signup(user=town.outsider, event=event)


# --- cancelling an event --------------------------------------------------------------------------
def test_staff_cancel_tells_everyone_signed_up_or_waiting_with_the_reason(tree, town):
    event = make_event(actor=town.organiser, area=tree.c1, capacity=1)
    steps.event_signup(user=town.a, event=event)
    steps.event_signup(user=town.b, event=event)
    steps.event_signup(user=town.c, event=event)
    steps.event_signup_cancel(user=town.c, event=event)
    steps.event_cancel(actor=town.organiser, event=event, reason="暴雨预警")
    told = _messages("event.cancelled")
    assert {m.recipient_id for m in told} == {town.a.pk, town.b.pk}
    assert all("暴雨预警" in m.body for m in told)
    assert AuditEvent.objects.get(action="event.cancel").details["told"] == 2
    with pytest.raises(ValidationError):
        steps.event_cancel(actor=town.organiser, event=event, reason="again")


def test_cancel_needs_a_reason(tree, town):
    event = make_event(actor=town.organiser, area=tree.c1)
    with pytest.raises(ValidationError) as caught:
        steps.event_cancel(actor=town.organiser, event=event, reason="  ")
    assert "reason" in caught.value.message_dict
    event.refresh_from_db()
    assert event.status == EventStatus.SCHEDULED


# --- on the day -----------------------------------------------------------------------------------
def test_check_in_with_the_code_counts_attendance_once(tree, town):
    event = make_event(actor=town.organiser, area=tree.c1, capacity=1, starts_in=timedelta(hours=1))
    signup = steps.event_signup(user=town.a, event=event)
    waiting = steps.event_signup(user=town.b, event=event)
    checked = steps.event_check_in(actor=town.organiser, event=event, code=f" {signup.code} ")
    assert checked.status == S.ATTENDED and checked.checked_in_by == town.organiser
    assert AuditEvent.objects.get(action="event.check_in").details["signup"] == str(signup.public_id)
    for code, message in ((signup.code, "Already checked in"), (waiting.code, "waiting list"), ("99999", "No sign-up")):
        with pytest.raises(ValidationError) as caught:
            steps.event_check_in(actor=town.organiser, event=event, code=code)
        assert message in caught.value.message_dict["code"][0]
    assert _actions().count("event.check_in") == 1
    from participation.event_selectors import events_for_staff

    assert events_for_staff(user=town.organiser).get(pk=event.pk).attended_count == 1


def test_check_in_is_closed_days_before(tree, town):
    event = make_event(actor=town.organiser, area=tree.c1, starts_in=timedelta(days=3))
    signup = steps.event_signup(user=town.a, event=event)
    with pytest.raises(ValidationError):
        steps.event_check_in(actor=town.organiser, event=event, code=signup.code)
    signup.refresh_from_db()
    assert signup.status == S.CONFIRMED


def test_minutes_only_after_the_event_started(tree, town):
    event = make_event(actor=town.organiser, area=tree.c1)
    with pytest.raises(ValidationError):
        steps.event_minutes_publish(actor=town.organiser, event=event, minutes="纪要")
    Event.objects.filter(pk=event.pk).update(
        starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(hours=1)
    )
    with pytest.raises(ValidationError) as caught:
        steps.event_minutes_publish(actor=town.organiser, event=event, minutes=" ")
    assert "minutes" in caught.value.message_dict
    steps.event_minutes_publish(actor=town.organiser, event=event, minutes="同意加装电梯", outcomes="成立工作小组")
    event.refresh_from_db()
    assert event.minutes == "同意加装电梯" and event.minutes_published_at is not None
    assert "event.minutes_publish" in _actions()


# --- the day before -------------------------------------------------------------------------------
def test_reminders_go_once_to_places_of_events_within_a_day(tree, town):
    soon = make_event(actor=town.organiser, area=tree.c1, capacity=1, starts_in=timedelta(hours=20))
    later = make_event(actor=town.organiser, area=tree.c1, starts_in=timedelta(days=3))
    placed = steps.event_signup(user=town.a, event=soon)
    steps.event_signup(user=town.b, event=soon)  # waiting: no reminder
    steps.event_signup(user=town.a, event=later)
    assert steps.event_reminders_send() == 1
    assert steps.event_reminders_send() == 0
    reminders = _messages("event.reminder")
    assert [m.recipient_id for m in reminders] == [town.a.pk]
    assert placed.code in reminders.get().body
    assert AuditEvent.objects.get(action="event.remind").details["reminded"] == 1


def test_reminder_task_takes_json_arguments_and_runs():
    from participation.tasks import event_reminders_send_task

    assert json.loads(json.dumps([])) == []  # the task takes no arguments
    assert event_reminders_send_task.apply().get() == 0


# --- data rights ----------------------------------------------------------------------------------
def test_export_lists_sign_ups_and_deletion_passes_the_place_on(tree, town):
    event = make_event(actor=town.organiser, area=tree.c1, capacity=1)
    signup = steps.event_signup(user=town.a, event=event)
    waiting = steps.event_signup(user=town.b, event=event)
    exported = export_event_signups(town.a)
    assert exported[0]["event"] == event.title and exported[0]["check_in_code"] == signup.code
    assert export_event_signups(town.outsider) == []
    from django.db import transaction

    with transaction.atomic():
        erased = erase_event_signups(town.a)
    assert erased == {"signups": 1, "places_passed_on": 1}
    assert not EventSignup.objects.filter(user=town.a).exists()
    waiting.refresh_from_db()
    assert waiting.status == S.CONFIRMED


def test_every_event_action_has_a_label():
    for code in (
        "event.create",
        "event.update",
        "event.cancel",
        "event.signup",
        "event.signup_cancel",
        "event.check_in",
        "event.minutes_publish",
        "event.remind",
    ):
        assert code in ACTION_LABELS


def test_account_deletion_through_the_residents_service_deletes_sign_ups(tree, town):
    from residents.data_rights import sections
    from residents.services import account_delete
    from tests.factories import PASSWORD

    assert "event_signups" in [section.name for section in sections()]
    event = make_event(actor=town.organiser, area=tree.c1, capacity=1)
    steps.event_signup(user=town.a, event=event)
    waiting = steps.event_signup(user=town.b, event=event)
    account_delete(user=town.a, password=PASSWORD)
    assert not EventSignup.objects.filter(user=town.a).exists()
    waiting.refresh_from_db()
    assert waiting.status == S.CONFIRMED
    erased = AuditEvent.objects.get(action="account.delete").details["erased"]["event_signups"]
    assert erased == {"signups": 1, "places_passed_on": 1}
