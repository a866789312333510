"""Elderly visits' services: recording a visit (bad input changes nothing), filing a need as a
service request once, setting the intervals, who reaches which residents (a handover moves the
roster), the resident's export and "who used my data", and every audit event."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from residents.data_rights import sections
from residents.selectors import data_uses_of_user
from residents.services import account_delete
from security import personal_data
from security.models import AuditEvent, Role
from services.models import Channel, ServiceRequest
from tests.factories import PASSWORD, HouseholdFactory, ResidentFactory, valid_id_card
from workforce import visits
from workforce.models_visits import Visit, VisitRules
from workforce.services import worker_handover
from workforce.visit_selectors import visit_rules_in_force

pytestmark = pytest.mark.django_db


@pytest.fixture
def elders(tree):
    """An 86-year-old living alone in G1, a 76-year-old in G1b, one in G2, and a young man in G1."""
    return type(
        "Elders",
        (),
        {
            "g1": ResidentFactory(
                household=HouseholdFactory(grid=tree.g1),
                lives_alone=True,
                id_card_number=valid_id_card(1, birth="19400301"),
            ),
            "g1b": ResidentFactory(household=HouseholdFactory(grid=tree.g1b)),
            "g2": ResidentFactory(household=HouseholdFactory(grid=tree.g2)),
            "young": ResidentFactory(
                household=HouseholdFactory(grid=tree.g1), id_card_number=valid_id_card(2, birth="19950101")
            ),
        },
    )


def _record(actor, resident, **fields):
    arguments = {
        "visited_on": timezone.localdate(),
        "mode": Visit.Mode.IN_PERSON,
        "condition": Visit.Condition.FAIR,
        "needs": "腿脚不便，需要上门送餐",
    } | fields
    return visits.visit_record(actor=actor, resident=resident, **arguments)


# --- who reaches whom ------------------------------------------------------------------------------
def test_a_grid_workers_roster_is_their_grids_elderly_and_a_handover_moves_it(crew, elders):
    def roster_of(user):
        return {resident.pk for resident in visits.worker_roster(user)}

    assert roster_of(crew.w1) == {elders.g1.pk}
    assert roster_of(crew.w1b) == {elders.g1b.pk}
    assert roster_of(crew.w2) == {elders.g2.pk}
    assert roster_of(crew.staff1) == {elders.g1.pk, elders.g1b.pk}  # community staff: the community
    assert roster_of(crew.resident) == set() and roster_of(crew.partner) == set() and roster_of(crew.sub1) == set()

    worker_handover(actor=crew.head1, leaver=crew.p1, successor=crew.p1b)
    for user in (crew.w1, crew.w1b):
        user.refresh_from_db()
        user.__dict__.pop("_security_role_assignments", None)
    assert roster_of(crew.w1) == set()
    assert roster_of(crew.w1b) == {elders.g1.pk, elders.g1b.pk}
    event = AuditEvent.objects.get(action="workforce.handover")
    assert event.details["moved"] == {"workforce.visits": {"roster": 1}}


def test_managers_oversee_the_residents_under_their_areas_and_no_one_else_does(crew, elders):
    def overseen(user):
        return set(visits.residents_overseen_by(user).values_list("pk", flat=True))

    assert overseen(crew.head1) == {elders.g1.pk, elders.g1b.pk, elders.young.pk}
    assert overseen(crew.sub1) == overseen(crew.head1)
    assert overseen(crew.civil) == {elders.g1.pk, elders.g1b.pk, elders.g2.pk, elders.young.pk}
    for outsider in (crew.staff1, crew.w1, crew.resident, crew.partner):
        assert overseen(outsider) == set()


# --- recording ---------------------------------------------------------------------------------------
def test_a_worker_records_a_visit_with_the_needs_encrypted_and_audited(crew, elders):
    visit = _record(crew.w1, elders.g1)
    stored = Visit.objects.get(pk=visit.pk)
    assert "送餐" not in stored.needs_encrypted
    assert personal_data.decrypt(stored.needs_encrypted) == "腿脚不便，需要上门送餐"
    event = AuditEvent.objects.get(action="workforce.visit_record")
    assert (event.actor_id, event.object_id, event.area_id) == (
        crew.w1.pk,
        str(elders.g1.pk),
        elders.g1.household.grid_id,
    )
    assert "送餐" not in str(event.details)  # the needs never reach the audit log
    assert [r.pk for r in visits.worker_roster(crew.w1)] == [elders.g1.pk]
    assert visits.overdue_count_for_worker(crew.w1) == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"visited_on": None}, "visited_on"),
        ({"visited_on": timezone.localdate() + timedelta(days=1)}, "visited_on"),
        ({"visited_on": timezone.localdate().replace(year=timezone.localdate().year - 1, day=1)}, "visited_on"),
        ({"mode": "telepathy"}, "mode"),
        ({"condition": ""}, "condition"),
        ({"needs": "多" * 1001}, "needs"),
    ],
)
def test_a_bad_visit_says_which_field_and_records_nothing(crew, elders, fields, field):
    with pytest.raises(ValidationError) as error:
        _record(crew.w1, elders.g1, **fields)
    assert field in error.value.message_dict
    assert not Visit.objects.exists() and not AuditEvent.objects.filter(action="workforce.visit_record").exists()


def test_no_visit_to_someone_who_moved_out_and_none_by_outsiders(crew, elders):
    elders.g1.moved_out_on = timezone.localdate()
    elders.g1.save()
    with pytest.raises(ValidationError, match="no longer lives here"):
        _record(crew.w1, elders.g1)
    for outsider in (crew.w1b, crew.w2, crew.head2, crew.sub1, crew.civil, crew.resident, crew.partner):
        with pytest.raises(PermissionDenied):
            _record(outsider, elders.g1b if outsider is not crew.w1b else elders.g2)
    assert not Visit.objects.exists()
    _record(crew.staff1, elders.g1b)  # community staff stand in for the grid worker
    assert Visit.objects.count() == 1


def test_reading_the_history_is_audited_and_only_workers_over_the_grid_see_the_needs(crew, elders):
    _record(crew.w1, elders.g1)
    full = visits.visit_history_read(actor=crew.w1, resident=elders.g1, full=True)
    assert [item.needs for item in full] == ["腿脚不便，需要上门送餐"]
    overseen = visits.visit_history_read(actor=crew.sub1, resident=elders.g1, full=False)
    assert [item.needs for item in overseen] == [None]
    reads = AuditEvent.objects.filter(action="workforce.visit_read").order_by("pk")
    assert [(e.actor_id, e.details["needs_shown"]) for e in reads] == [(crew.w1.pk, True), (crew.sub1.pk, False)]


# --- filing a need -------------------------------------------------------------------------------
def test_a_need_becomes_one_request_for_the_resident_in_their_grid(crew, elders, catalogue):
    visit = _record(crew.w1, elders.g1, mode=Visit.Mode.PHONE)
    filed = visits.visit_request_file(
        actor=crew.w1,
        visit=visit,
        service=catalogue.repair,
        description="上门送餐",
        answers={"facility": "door"},
        submission_key="k1",
    )
    assert (filed.grid, filed.requester, filed.contact_name, filed.channel, filed.is_public, filed.filed_by) == (
        elders.g1.household.grid,
        None,
        elders.g1.full_name,
        Channel.PHONE,
        False,
        crew.w1,
    )
    visit.refresh_from_db()
    assert visit.request == filed
    again = visits.visit_request_file(
        actor=crew.w1, visit=visit, service=catalogue.repair, description="再来", answers={"facility": "door"}
    )
    assert again == filed and ServiceRequest.objects.count() == 1
    assert AuditEvent.objects.filter(action="workforce.visit_request").count() == 1
    assert AuditEvent.objects.filter(action="request.file").count() == 1
    last = AuditEvent.objects.order_by("-pk").first()
    assert last.action == "workforce.visit_request" and last.details["request"] == filed.public_id


def test_a_resident_with_an_account_is_the_requester(crew, elders, catalogue, make_user, tree):
    user = make_user(Role.RESIDENT, tree.g1)
    elders.g1.user = user
    elders.g1.save()
    visit = _record(crew.w1, elders.g1)
    filed = visits.visit_request_file(
        actor=crew.w1, visit=visit, service=catalogue.repair, description="x", answers={"facility": "lift"}
    )
    assert (filed.requester, filed.contact_name, filed.channel) == (user, "", Channel.WALK_IN)


def test_a_bad_filing_files_nothing_and_outsiders_may_not(crew, elders, catalogue):
    visit = _record(crew.w1, elders.g1)
    with pytest.raises(ValidationError) as error:
        visits.visit_request_file(actor=crew.w1, visit=visit, service=catalogue.repair, description="  ")
    assert {"description", "facility"} <= set(error.value.message_dict)
    with pytest.raises(PermissionDenied):
        visits.visit_request_file(
            actor=crew.w2, visit=visit, service=catalogue.repair, description="x", answers={"facility": "lift"}
        )
    quiet = _record(crew.w1, elders.g1, needs="")
    with pytest.raises(ValidationError, match="no need"):
        visits.visit_request_file(
            actor=crew.w1, visit=quiet, service=catalogue.repair, description="x", answers={"facility": "lift"}
        )
    assert not ServiceRequest.objects.exists()
    assert not Visit.objects.filter(request__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="workforce.visit_request").exists()


# --- the intervals ---------------------------------------------------------------------------------
def test_civil_affairs_sets_the_intervals_as_a_new_version_audited(crew):
    rules = visits.visit_rules_set(actor=crew.civil, old_age=75, days_alone_old=5, days_alone=10, days_other=20)
    assert visit_rules_in_force() == rules and rules.created_by == crew.civil
    event = AuditEvent.objects.get(action="workforce.visit_rules_set")
    assert event.details["before"]["days_other"] == 30 and event.details["days_other"] == 20
    for outsider in (crew.head1, crew.sub1, crew.w1):
        with pytest.raises(PermissionDenied):
            visits.visit_rules_set(actor=outsider, old_age=75, days_alone_old=5, days_alone=10, days_other=20)
    for bad in ({"old_age": 59}, {"days_alone": 0}, {"days_other": 366}, {"days_alone_old": None}):
        with pytest.raises(ValidationError) as error:
            visits.visit_rules_set(
                actor=crew.civil, **({"old_age": 75, "days_alone_old": 5, "days_alone": 10, "days_other": 20} | bad)
            )
        assert set(bad) == set(error.value.message_dict)
    assert VisitRules.objects.count() == 1


# --- data rights -----------------------------------------------------------------------------------
def test_the_residents_export_lists_their_visits_with_the_visitors_role_not_name(crew, elders, make_user, tree):
    user = make_user(Role.RESIDENT, tree.g1)
    elders.g1.user = user
    elders.g1.save()
    _record(crew.w1, elders.g1)
    section = next(s for s in sections() if s.name == "visits")
    [row] = section.export(user)
    assert (row["visited_on"], row["needs"], row["mode"]) == (
        timezone.localdate(),
        "腿脚不便，需要上门送餐",
        str(Visit.Mode.IN_PERSON.label),
    )
    assert row["visitor"] == f"{Role.GRID_WORKER.label} · {tree.g1.name}"  # the role, never the name
    assert section.export(crew.w2) == []
    uses = data_uses_of_user(user=user)
    assert any(use.kind == "visit" for use in uses)


def test_deleting_the_account_keeps_the_visits_with_the_register(crew, elders, make_user, tree):
    user = make_user(Role.RESIDENT, tree.g1, mfa=False)
    elders.g1.user = user
    elders.g1.save()
    _record(crew.w1, elders.g1)
    account_delete(user=user, password=PASSWORD)
    assert Visit.objects.filter(resident=elders.g1).count() == 1
