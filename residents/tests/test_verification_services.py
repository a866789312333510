import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from residents.models import Household, ResidencyVerification, ResidentProfile
from residents.selectors import verification_failed_tries_for_user, verifications_pending_for_user
from residents.services import (
    verification_approve,
    verification_approve_new_resident,
    verification_by_code,
    verification_end,
    verification_refuse,
    verification_request_in_person,
)
from security import personal_data
from security.audit_actions import ACTION_LABELS
from security.models import AuditEvent, Role, RoleAssignment
from tests.factories import valid_id_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def coded(residents):
    """r1's household has the number HH-1; r1's ID number in clear."""
    Household.objects.filter(pk=residents.r1.household_id).update(household_code="HH-1")
    return personal_data.decrypt(residents.r1.id_card_encrypted)


def _actions():
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def test_code_match_links_account_and_grants_resident_role_over_grid(tree, residents, coded, make_user):
    person = make_user()
    verification = verification_by_code(user=person, household_code=" HH-1 ", id_number=coded.lower())
    assert verification.status == ResidencyVerification.Status.APPROVED
    residents.r1.refresh_from_db()
    assert residents.r1.user == person
    assert RoleAssignment.objects.filter(user=person, role=Role.RESIDENT, area=tree.g1).exists()
    assert "verification.code_approve" in _actions()


def test_forged_household_code_is_refused_with_a_message_that_reveals_nothing(residents, coded, make_user):
    person = make_user()
    forged = verification_by_code(user=person, household_code="HH-999", id_number=coded)
    wrong_id = verification_by_code(user=person, household_code="HH-1", id_number=valid_id_card(777))
    assert forged.status == wrong_id.status == ResidencyVerification.Status.REFUSED
    assert forged.reason == wrong_id.reason and forged.reason
    residents.r1.refresh_from_db()
    assert residents.r1.user is None
    assert not RoleAssignment.objects.filter(user=person).exists()
    assert _actions()[-2:] == ["verification.code_refuse", "verification.code_refuse"]


def test_code_of_a_profile_already_linked_is_refused(residents, coded, make_user):
    verification_by_code(user=make_user(), household_code="HH-1", id_number=coded)
    second = verification_by_code(user=make_user(), household_code="HH-1", id_number=coded)
    assert second.status == ResidencyVerification.Status.REFUSED


def test_malformed_id_number_is_a_form_error_and_not_a_try(residents, coded, make_user):
    person = make_user()
    with pytest.raises(ValidationError):
        verification_by_code(user=person, household_code="HH-1", id_number="12345")
    assert not ResidencyVerification.objects.filter(user=person).exists()


def test_sixth_try_of_the_day_is_refused_without_checking(residents, coded, make_user):
    person = make_user()
    for _ in range(5):
        verification_by_code(user=person, household_code="HH-1", id_number=valid_id_card(777))
    with pytest.raises(ValidationError, match="5"):
        verification_by_code(user=person, household_code="HH-1", id_number=coded)
    residents.r1.refresh_from_db()
    assert residents.r1.user is None
    assert ResidencyVerification.objects.filter(user=person).count() == 5
    assert _actions()[-1] == "verification.code_limited"


def test_failed_tries_on_a_real_household_reach_its_grid_staff_only(tree, residents, coded, make_user):
    verification_by_code(user=make_user(), household_code="HH-1", id_number=valid_id_card(777))
    verification_by_code(user=make_user(), household_code="nope", id_number=valid_id_card(778))
    assert verification_failed_tries_for_user(user=make_user(Role.GRID_WORKER, tree.g1)).count() == 1
    assert verification_failed_tries_for_user(user=make_user(Role.COMMUNITY_STAFF, tree.c1)).count() == 1
    assert verification_failed_tries_for_user(user=make_user(Role.GRID_WORKER, tree.g1b)).count() == 0
    assert verification_failed_tries_for_user(user=make_user(Role.COMMUNITY_STAFF, tree.c2)).count() == 0


def test_in_person_request_approve_by_staff_links_account(tree, residents, make_user):
    person, staff = make_user(), make_user(Role.COMMUNITY_STAFF, tree.c1)
    verification = verification_request_in_person(user=person, community=tree.c1, note="我周二来")
    assert list(verifications_pending_for_user(user=make_user(Role.GRID_WORKER, tree.g1))) == [verification]
    verification_approve(actor=staff, verification=verification, profile=residents.r1)
    verification.refresh_from_db()
    residents.r1.refresh_from_db()
    assert verification.status == ResidencyVerification.Status.APPROVED and verification.decided_by == staff
    assert residents.r1.user == person
    assert RoleAssignment.objects.filter(user=person, role=Role.RESIDENT, area=tree.g1).exists()
    assert _actions()[-1] == "verification.approve" and "verification.request" in _actions()


def test_one_open_request_per_account(tree, make_user):
    person = make_user()
    verification_request_in_person(user=person, community=tree.c1)
    with pytest.raises(ValidationError):
        verification_request_in_person(user=person, community=tree.c2)
    assert ResidencyVerification.objects.filter(user=person).count() == 1


def test_outsider_staff_cannot_see_or_decide(tree, residents, make_user):
    verification = verification_request_in_person(user=make_user(), community=tree.c1)
    outsider = make_user(Role.COMMUNITY_STAFF, tree.c2)
    assert not verifications_pending_for_user(user=outsider).exists()
    with pytest.raises(PermissionDenied):
        verification_approve(actor=outsider, verification=verification, profile=residents.r2)
    with pytest.raises(PermissionDenied):
        verification_refuse(actor=outsider, verification=verification, reason="不认识")
    verification.refresh_from_db()
    assert verification.status == ResidencyVerification.Status.PENDING


def test_staff_cannot_approve_with_a_profile_outside_the_community(tree, residents, make_user):
    verification = verification_request_in_person(user=make_user(), community=tree.c1)
    with pytest.raises(ValidationError):
        verification_approve(
            actor=make_user(Role.COMMUNITY_STAFF, tree.c1), verification=verification, profile=residents.r2
        )
    residents.r2.refresh_from_db()
    assert residents.r2.user is None


def test_refuse_needs_a_reason_and_tells_it(tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    verification = verification_request_in_person(user=make_user(), community=tree.c1)
    with pytest.raises(ValidationError):
        verification_refuse(actor=staff, verification=verification, reason="  ")
    verification_refuse(actor=staff, verification=verification, reason="身份证与本人不符")
    verification.refresh_from_db()
    assert verification.status == ResidencyVerification.Status.REFUSED and verification.reason == "身份证与本人不符"
    assert _actions()[-1] == "verification.refuse"


def test_approve_a_person_not_yet_in_the_register_validates_and_encrypts(tree, residents, make_user):
    person, staff = make_user(), make_user(Role.COMMUNITY_STAFF, tree.c1)
    verification = verification_request_in_person(user=person, community=tree.c1)
    household = residents.r1.household
    with pytest.raises(ValidationError):
        verification_approve_new_resident(
            actor=staff, verification=verification, household=household, full_name="新居民", id_card_number="123"
        )
    assert not ResidentProfile.objects.filter(full_name="新居民").exists()
    number = valid_id_card(555)
    verification_approve_new_resident(
        actor=staff, verification=verification, household=household, full_name="新居民", id_card_number=number
    )
    profile = ResidentProfile.objects.get(full_name="新居民")
    assert profile.user == person and profile.id_card_encrypted and number not in profile.id_card_encrypted
    assert profile.id_card_hash == personal_data.lookup_hash("id_card", number)


def test_end_unlinks_and_revokes_resident_role(tree, residents, coded, make_user):
    person = make_user()
    verification = verification_by_code(user=person, household_code="HH-1", id_number=coded)
    with pytest.raises(PermissionDenied):
        verification_end(actor=make_user(Role.GRID_WORKER, tree.g2), profile=residents.r1)
    verification_end(actor=make_user(Role.GRID_WORKER, tree.g1), profile=residents.r1)
    residents.r1.refresh_from_db()
    verification.refresh_from_db()
    assert residents.r1.user is None and verification.status == ResidencyVerification.Status.ENDED
    assert not RoleAssignment.objects.filter(user=person, role=Role.RESIDENT).exists()
    assert _actions()[-1] == "verification.end"


def test_every_verification_action_has_a_label():
    for code in ("request", "code_approve", "code_refuse", "code_limited", "approve", "refuse", "end"):
        assert f"verification.{code}" in ACTION_LABELS


def test_export_holds_own_verifications_and_deletion_keeps_only_the_warning(tree, residents, coded, make_user):
    from residents.data_sections import export_verifications
    from residents.services import account_delete
    from tests.factories import PASSWORD

    person, other = make_user(), make_user()
    verification_by_code(user=person, household_code="HH-1", id_number=valid_id_card(777))
    verification_request_in_person(user=person, community=tree.c1, note="我的留言")
    verification_request_in_person(user=other, community=tree.c1, note="别人的留言")
    exported = export_verifications(person)
    assert len(exported) == 2 and "别人的留言" not in str(exported)
    account_delete(user=person, password=PASSWORD)
    left = ResidencyVerification.objects.filter(user=person)
    assert [(v.method, v.note) for v in left] == [(ResidencyVerification.Method.CODE, "")]
    assert ResidencyVerification.objects.filter(user=other).count() == 1


def test_approve_with_a_brand_new_household_registers_both_atomically(tree, residents, make_user):
    from residents.services import verification_approve_new_household

    person, staff = make_user(), make_user(Role.COMMUNITY_STAFF, tree.c1)
    verification = verification_request_in_person(user=person, community=tree.c1)
    number = valid_id_card(556)
    verification_approve_new_household(
        actor=staff,
        verification=verification,
        address="顺庆路 8 号 2 单元 301",
        grid=tree.g1b,
        household_code="HH-NEW-1",
        full_name="新住户",
        id_card_number=number,
        phone="13800001111",
    )
    household = Household.objects.get(household_code="HH-NEW-1")
    profile = ResidentProfile.objects.get(full_name="新住户")
    assert household.grid == tree.g1b and household.address == "顺庆路 8 号 2 单元 301"
    assert profile.household == household and profile.user == person
    assert profile.id_card_hash == personal_data.lookup_hash("id_card", number)
    assert number not in profile.id_card_encrypted
    assert profile.phone_masked and "13800001111" not in profile.phone_encrypted
    assert RoleAssignment.objects.filter(user=person, role=Role.RESIDENT, area=tree.g1b).exists()
    assert {"household.create", "resident.register", "verification.approve"} <= set(_actions())


@pytest.mark.parametrize(
    "change",
    [
        {"grid": "g2"},  # a grid of another community
        {"grid": "c1"},  # not a grid at all
        {"household_code": "HH-DUP"},  # a number another household has
        {"household_code": "HH 2"},  # spaces
        {"address": "  "},
        {"full_name": ""},
        {"id_card_number": "123"},
        {"id_card_number": "dup"},  # registered to someone else
    ],
)
def test_bad_input_for_a_new_household_creates_nothing(tree, residents, make_user, change):
    from residents.services import verification_approve_new_household

    Household.objects.filter(pk=residents.r2.household_id).update(household_code="HH-DUP")
    person, staff = make_user(), make_user(Role.COMMUNITY_STAFF, tree.c1)
    verification = verification_request_in_person(user=person, community=tree.c1)
    arguments = {
        "address": "新地址 1 号",
        "grid": tree.g1,
        "household_code": "",
        "full_name": "新住户",
        "id_card_number": valid_id_card(557),
    } | change
    if isinstance(arguments["grid"], str):
        arguments["grid"] = getattr(tree, arguments["grid"])
    if arguments["id_card_number"] == "dup":
        arguments["id_card_number"] = personal_data.decrypt(residents.r1.id_card_encrypted)
    before = (Household.objects.count(), ResidentProfile.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError):
        verification_approve_new_household(actor=staff, verification=verification, **arguments)
    assert (Household.objects.count(), ResidentProfile.objects.count(), AuditEvent.objects.count()) == before
    verification.refresh_from_db()
    assert verification.status == ResidencyVerification.Status.PENDING


def test_new_household_outside_the_approvers_area_or_community_is_refused(tree, make_user):
    from residents.services import verification_approve_new_household

    verification = verification_request_in_person(user=make_user(), community=tree.c1)
    arguments = {"address": "某路 1 号", "full_name": "新住户", "id_card_number": valid_id_card(558)}
    # A grid worker of G1 may not register in G1b, though it is in the same community.
    with pytest.raises(ValidationError):
        verification_approve_new_household(
            actor=make_user(Role.GRID_WORKER, tree.g1), verification=verification, grid=tree.g1b, **arguments
        )
    # Another community's staff may not decide at all.
    with pytest.raises(PermissionDenied):
        verification_approve_new_household(
            actor=make_user(Role.COMMUNITY_STAFF, tree.c2), verification=verification, grid=tree.g2, **arguments
        )
    assert not Household.objects.filter(address="某路 1 号").exists()
    verification.refresh_from_db()
    assert verification.status == ResidencyVerification.Status.PENDING
