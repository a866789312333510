"""A failed household-number verification on a real household reaches the grid workers and
community staff over its grid, once, without the ID number or who tried."""

import json

import pytest
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from notifications.models import OutboxMessage
from notifications.services import verification_failures_deliver
from notifications.tasks import verification_failures_deliver_task
from residents.models import Household, ResidencyVerification
from residents.services import verification_by_code
from security import personal_data
from security.models import Role
from tests.factories import valid_id_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def coded(residents):
    """r1's household (in G1) has the number HH-1; r1's ID number in clear."""
    Household.objects.filter(pk=residents.r1.household_id).update(household_code="HH-1")
    return personal_data.decrypt(residents.r1.id_card_encrypted)


@pytest.fixture
def staff(tree, make_user):
    inactive = make_user(Role.GRID_WORKER, tree.g1)
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    return {
        "worker_g1": make_user(Role.GRID_WORKER, tree.g1),
        "community_c1": make_user(Role.COMMUNITY_STAFF, tree.c1),
        "worker_g1b": make_user(Role.GRID_WORKER, tree.g1b),
        "community_c2": make_user(Role.COMMUNITY_STAFF, tree.c2),
        "leader": make_user(Role.DISTRICT_LEADER, tree.d),
        "resident_g1": make_user(Role.RESIDENT, tree.g1),
        "inactive": inactive,
    }


def _told_users():
    return set(OutboxMessage.objects.filter(kind="verification_failure").values_list("recipient_id", flat=True))


def test_failures_reach_the_staff_over_the_households_grid_only(
    tree, residents, coded, staff, make_user, django_capture_on_commit_callbacks
):
    guesser = make_user(username="guesser-x")
    wrong = valid_id_card(777)
    verification_by_code(user=guesser, household_code="HH-1", id_number=wrong)
    verification_by_code(user=guesser, household_code="HH-1", id_number=valid_id_card(778))
    verification_by_code(user=make_user(), household_code="no-such", id_number=wrong)  # no household: no one to tell
    with django_capture_on_commit_callbacks():
        assert verification_failures_deliver() == 2
    assert _told_users() == {staff["worker_g1"].pk, staff["community_c1"].pk}
    message = OutboxMessage.objects.filter(kind="verification_failure", recipient=staff["worker_g1"]).first()
    assert message.link == "/residents/verifications/"
    # One message for the household's two tries, naming the grid, never the number, the address or who tried.
    events = {m.key.rsplit(":", 1)[0] for m in OutboxMessage.objects.filter(recipient=staff["worker_g1"])}
    assert len(events) == 1
    text = message.title + message.body
    assert tree.g1.name_zh in text and "2" in message.body
    for secret in (wrong, wrong[-4:], personal_data.mask_id_card(wrong), "guesser-x", residents.r1.household.address):
        assert secret not in text
    with translation.override("zh-hans"):
        assert message.title == gettext("Failed residency verification in %(grid)s") % {"grid": tree.g1.name_zh}


def test_each_failure_is_told_once(residents, coded, staff, make_user, django_capture_on_commit_callbacks):
    verification_by_code(user=make_user(), household_code="HH-1", id_number=valid_id_card(777))
    with django_capture_on_commit_callbacks():
        verification_failures_deliver()
    count = OutboxMessage.objects.count()
    with django_capture_on_commit_callbacks():
        assert verification_failures_deliver() == 0
    assert OutboxMessage.objects.count() == count
    assert not ResidencyVerification.objects.filter(told_at__isnull=True, household__isnull=False).exists()


def test_a_success_and_an_in_person_request_tell_no_one(
    tree, residents, coded, staff, make_user, django_capture_on_commit_callbacks
):
    from residents.services import verification_request_in_person

    verification_by_code(user=make_user(), household_code="HH-1", id_number=coded)
    verification_request_in_person(user=make_user(), community=tree.c1)
    with django_capture_on_commit_callbacks():
        assert verification_failures_deliver() == 0
    assert not _told_users()


def test_claim_and_messages_roll_back_together(residents, coded, staff, make_user):
    verification_by_code(user=make_user(), household_code="HH-1", id_number=valid_id_card(777))

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        verification_failures_deliver()
        raise Boom
    assert ResidencyVerification.objects.filter(told_at__isnull=True, household__isnull=False).count() == 1
    assert not _told_users()


def test_the_beat_task_delivers_and_its_result_survives_json(
    residents, coded, staff, make_user, django_capture_on_commit_callbacks
):
    verification_by_code(user=make_user(), household_code="HH-1", id_number=valid_id_card(777))
    with django_capture_on_commit_callbacks():
        result = verification_failures_deliver_task.apply().get()
    assert json.loads(json.dumps(result)) == 1


def test_the_beat_schedule_runs_it(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "notifications.tasks.verification_failures_deliver_task" in tasks


def test_the_persons_export_says_when_the_grid_was_told(residents, coded, staff, make_user):
    from residents.data_sections import export_verifications

    guesser = make_user()
    verification_by_code(user=guesser, household_code="HH-1", id_number=valid_id_card(777))
    assert export_verifications(guesser)[0]["grid_staff_told_at"] is None
    verification_failures_deliver()
    assert export_verifications(guesser)[0]["grid_staff_told_at"] is not None
