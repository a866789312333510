"""The register kept by the grid's staff: moving in and out, births and deaths, the record's edits,
the birth year and month read from the ID-card number, and who may do any of it."""

import importlib
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from participation.notice_reach import _living_alone_elderly
from residents.models import CorrectionRequest, Household, ResidentProfile
from residents.selectors import resident_counts_by_grid
from residents.services import (
    account_delete,
    correction_apply,
    correction_request_file,
    elderly_by_birth,
    household_move_in,
    personal_data_export,
    resident_move_out,
    resident_record_death,
    resident_register,
    resident_update,
    verification_approve,
    verification_approve_new_resident,
    verification_request_in_person,
)
from security import personal_data
from security.models import AuditEvent, Role, RoleAssignment
from tests.factories import PASSWORD, HouseholdFactory, ResidentFactory, UserFactory, valid_id_card

pytestmark = pytest.mark.django_db


def _state():
    return (
        Household.objects.count(),
        list(ResidentProfile.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


# --- birth year and month, and "elderly" -----------------------------------------------------------
def test_registration_reads_the_birth_year_and_month_from_the_id_number(tree):
    household = HouseholdFactory(grid=tree.g1)
    old = resident_register(
        actor=None, household=household, full_name="甲", id_card_number=valid_id_card(1, birth="19400315")
    )
    young = resident_register(
        actor=None, household=household, full_name="乙", id_card_number=valid_id_card(2, birth="19900720")
    )
    assert (old.birth_year, old.birth_month, old.is_elderly) == (1940, 3, True)
    assert (young.birth_year, young.birth_month, young.is_elderly) == (1990, 7, False)
    # Said outright, the flag is as given (as an import's column is).
    said = resident_register(
        actor=None,
        household=household,
        full_name="丙",
        id_card_number=valid_id_card(3, birth="19400315"),
        is_elderly=False,
    )
    assert (said.birth_year, said.is_elderly) == (1940, False)


def test_elderly_counts_whole_months_from_the_sixtieth_birthday():
    today = date(2026, 6, 15)
    assert elderly_by_birth(1966, 6, today=today)
    assert not elderly_by_birth(1966, 7, today=today)
    assert elderly_by_birth(1965, 12, today=today)


def test_a_newborn_without_an_id_number_is_registered_with_the_year_and_month_typed(tree, make_user):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    household = HouseholdFactory(grid=tree.g1)
    today = timezone.localdate()
    baby = resident_register(
        actor=worker, household=household, full_name="小宝", birth_year=today.year, birth_month=today.month
    )
    assert (baby.birth_year, baby.birth_month, baby.is_elderly, baby.id_card_hash) == (
        today.year,
        today.month,
        False,
        None,
    )


@pytest.mark.parametrize(("year", "month"), [(2999, 1), (1990, 13), (1990, None), ("x", 1)])
def test_an_impossible_birth_is_refused_and_nothing_is_registered(tree, year, month):
    household = HouseholdFactory(grid=tree.g1)
    before = _state()
    with pytest.raises(ValidationError, match="birth"):
        resident_register(actor=None, household=household, full_name="小宝", birth_year=year, birth_month=month)
    assert _state() == before


def test_the_migration_fills_the_birth_of_residents_registered_before_it(tree):
    profile = ResidentFactory(
        household=HouseholdFactory(grid=tree.g1), id_card_number=valid_id_card(7, birth="19520930")
    )
    ResidentProfile.objects.filter(pk=profile.pk).update(birth_year=None, birth_month=None)
    without_id = ResidentFactory(household=HouseholdFactory(grid=tree.g1), id_card_number="")
    migration = importlib.import_module("residents.migrations.0007_register_kept_by_grid")
    migration.birth_from_id_cards(apps, None)
    profile.refresh_from_db()
    without_id.refresh_from_db()
    assert (profile.birth_year, profile.birth_month) == (1952, 9)
    assert without_id.birth_year is None


# --- moving in ------------------------------------------------------------------------------------
def test_a_household_that_moved_in_is_registered_with_its_first_resident_or_not_at_all(tree, make_user):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    before = _state()
    with pytest.raises(ValidationError, match="check digit"):
        household_move_in(
            actor=worker, grid=tree.g1, address="新村1号", full_name="王", id_card_number="511302195001010010"
        )
    assert _state() == before
    profile = household_move_in(
        actor=worker, grid=tree.g1, address="新村1号", full_name="王", id_card_number=valid_id_card(9)
    )
    assert profile.household.address == "新村1号" and profile.registered_by == worker
    actions = set(AuditEvent.objects.filter(actor=worker).values_list("action", flat=True))
    assert {"household.create", "resident.register"} <= actions


def test_a_worker_cannot_register_a_household_in_another_grid(tree, make_user):
    worker = make_user(Role.GRID_WORKER, tree.g1b)
    with pytest.raises(PermissionDenied):
        household_move_in(actor=worker, grid=tree.g1, address="新村1号", full_name="王")
    assert not Household.objects.exists()


# --- edits ----------------------------------------------------------------------------------------
def test_an_edit_seals_numbers_names_the_fields_in_the_audit_and_marks_them_as_staff_edited(tree, make_user):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    profile = ResidentFactory(household=HouseholdFactory(grid=tree.g1))
    new_id = valid_id_card(44, birth="19450601")
    changed = resident_update(
        actor=worker, profile=profile, id_card_number=new_id, phone="139 1111 2222", lives_alone=True
    )
    assert changed == ["id_card", "birth", "phone", "lives_alone"]
    profile.refresh_from_db()
    assert personal_data.decrypt(profile.id_card_encrypted) == new_id
    assert profile.id_card_hash == personal_data.lookup_hash("id_card", new_id)
    assert profile.phone_masked == "139****2222"
    assert (profile.birth_year, profile.birth_month, profile.lives_alone) == (1945, 6, True)
    assert set(profile.staff_edited) == {"id_card", "birth", "phone", "lives_alone"}
    event = AuditEvent.objects.get(action="resident.update")
    assert (event.actor, event.object_id, event.details) == (worker, str(profile.pk), {"fields": changed})
    assert new_id not in str(event.details) and "13911112222" not in str(event.details)
    # Saying the same again changes nothing and records nothing.
    assert resident_update(actor=worker, profile=profile, id_card_number=new_id, lives_alone=True) == []
    assert AuditEvent.objects.filter(action="resident.update").count() == 1


def test_an_edit_with_a_bad_or_taken_number_changes_nothing(tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    profile = ResidentFactory(household=HouseholdFactory(grid=tree.g1))
    other = ResidentFactory(household=HouseholdFactory(grid=tree.g1b))
    before = _state()
    taken = personal_data.decrypt(other.id_card_encrypted)
    for arguments, message in (
        ({"id_card_number": taken, "lives_alone": True}, "already registered"),
        ({"phone": "12345", "full_name": "新名"}, "11 digits"),
        ({"full_name": " "}, "needs a name"),
    ):
        with pytest.raises(ValidationError, match=message):
            resident_update(actor=staff, profile=profile, **arguments)
    assert _state() == before


@pytest.mark.parametrize("who", ["worker_g1b", "community_c2", "resident", "subdistrict", "partner"])
def test_only_the_grid_and_its_community_edit_the_record(people, residents, who):
    before = _state()
    with pytest.raises(PermissionDenied):
        resident_update(actor=getattr(people, who), profile=residents.r1, lives_alone=True)
    with pytest.raises(PermissionDenied):
        resident_move_out(actor=getattr(people, who), profile=residents.r1, on=timezone.localdate())
    assert _state() == before


# --- moving out and deaths ------------------------------------------------------------------------
def test_moved_out_and_deceased_residents_leave_the_lists_of_people_living_here(tree, people):
    household = HouseholdFactory(grid=tree.g1)
    alone = {"household": household, "is_elderly": True, "lives_alone": True}
    stays, leaves, dies = (ResidentFactory(**alone) for _ in range(3))
    assert set(_living_alone_elderly()) == {stays, leaves, dies}
    today = timezone.localdate()
    resident_move_out(actor=people.worker, profile=leaves, on=today)
    resident_record_death(actor=people.community, profile=dies, on=today - timedelta(days=2))
    assert set(_living_alone_elderly()) == {stays}
    assert set(ResidentProfile.objects.living()) == {stays}
    assert resident_counts_by_grid(user=people.community)[tree.g1.path]["elderly_alone"] == 1
    dies.refresh_from_db()
    assert dies.died_on == today - timedelta(days=2)
    events = AuditEvent.objects.filter(action__in=["resident.move_out", "resident.death"])
    assert {(e.action, e.object_id) for e in events} == {
        ("resident.move_out", str(leaves.pk)),
        ("resident.death", str(dies.pk)),
    }
    # The entries stay in the register.
    assert ResidentProfile.objects.filter(pk__in=[leaves.pk, dies.pk]).count() == 2


def test_a_date_in_the_future_or_a_second_record_is_refused(tree, people, residents):
    before = _state()
    with pytest.raises(ValidationError, match="future"):
        resident_move_out(actor=people.worker, profile=residents.r1, on=timezone.localdate() + timedelta(days=1))
    with pytest.raises(ValidationError, match="born"):
        resident_record_death(actor=people.worker, profile=residents.r1, on=date(1949, 1, 1))
    assert _state() == before
    resident_record_death(actor=people.worker, profile=residents.r1, on=timezone.localdate())
    with pytest.raises(ValidationError, match="already"):
        resident_record_death(actor=people.worker, profile=residents.r1, on=timezone.localdate())
    with pytest.raises(ValidationError, match="already"):
        resident_move_out(actor=people.worker, profile=residents.r1, on=timezone.localdate())


def test_moving_out_unlinks_a_verified_account_and_its_resident_role(tree, people, residents):
    person = UserFactory()
    verification = verification_request_in_person(user=person, community=tree.c1)
    verification_approve(actor=people.community, verification=verification, profile=residents.r1)
    assert RoleAssignment.objects.filter(user=person, role=Role.RESIDENT).exists()
    resident_move_out(actor=people.worker, profile=residents.r1, on=timezone.localdate())
    residents.r1.refresh_from_db()
    assert residents.r1.user is None and residents.r1.moved_out_on == timezone.localdate()
    assert not RoleAssignment.objects.filter(user=person, role=Role.RESIDENT).exists()


# --- corrections land with the grid and go through the same edit ----------------------------------
@pytest.fixture
def verified_r1(tree, people, residents):
    person = UserFactory()
    verification = verification_request_in_person(user=person, community=tree.c1)
    verification_approve(actor=people.community, verification=verification, profile=residents.r1)
    return person


def test_a_correction_is_queued_for_the_grid_and_applied_through_the_edit(
    client, login, people, residents, verified_r1
):
    correction = correction_request_file(user=verified_r1, field="lives_alone", explanation="我一个人住")
    for who, sees in (("worker", True), ("community", True), ("worker_g1b", False), ("community_c2", False)):
        page = login(getattr(people, who)).get("/residents/corrections/").content.decode()
        assert (residents.r1.full_name in page) is sees, who
        client.logout()
    correction_apply(actor=people.worker, correction=correction)
    residents.r1.refresh_from_db()
    assert residents.r1.lives_alone is True and "lives_alone" in residents.r1.staff_edited
    event = AuditEvent.objects.get(action="resident.update")
    assert event.details == {"fields": ["lives_alone"], "correction": str(correction.public_id)}
    assert CorrectionRequest.objects.get().status == "applied"


def test_a_corrected_address_changes_the_household_audited(people, residents, verified_r1):
    correction = correction_request_file(
        user=verified_r1, field="address", explanation="门牌错了", proposed_value="人民路 9 号"
    )
    correction_apply(actor=people.community, correction=correction)
    residents.r1.household.refresh_from_db()
    assert residents.r1.household.address == "人民路 9 号"
    assert AuditEvent.objects.filter(action="household.update", object_id=str(residents.r1.household.pk)).exists()


def test_the_export_shows_the_register_record_with_birth_and_dates_and_deletion_keeps_the_entry(
    people, residents, verified_r1
):
    record = personal_data_export(user=verified_r1, fmt="json")["resident_profile"]
    assert (record["birth_year"], record["birth_month"], record["moved_out_on"], record["died_on"]) == (
        1950,
        1,
        None,
        None,
    )
    account_delete(user=verified_r1, password=PASSWORD)
    residents.r1.refresh_from_db()
    assert residents.r1.user is None and residents.r1.birth_year == 1950


def test_the_verification_desk_records_the_birth_of_a_person_it_registers(tree, people):
    person = UserFactory()
    verification = verification_request_in_person(user=person, community=tree.c1)
    household = HouseholdFactory(grid=tree.g1)
    verification_approve_new_resident(
        actor=people.community,
        verification=verification,
        household=household,
        full_name="赵",
        id_card_number=valid_id_card(88, birth="19641130"),
    )
    profile = ResidentProfile.objects.get(user=person)
    assert (profile.birth_year, profile.birth_month, profile.is_elderly) == (
        1964,
        11,
        elderly_by_birth(1964, 11),
    )


def test_the_resident_sees_staff_changes_of_their_record_on_who_used_my_data(
    client, login, people, residents, verified_r1
):
    resident_update(actor=people.worker, profile=residents.r1, lives_alone=True)
    uses = login(verified_r1).get("/residents/me/data-uses/").context["uses"]
    assert [use.kind for use in uses if use.kind == "change"] == ["change"]
