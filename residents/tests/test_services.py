import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from residents.models import ResidentProfile
from residents.services import resident_identity_reveal, resident_register
from security import personal_data
from security.models import AuditEvent, Role
from tests.factories import HouseholdFactory, valid_id_card

pytestmark = pytest.mark.django_db


def test_register_stores_ciphertext_hash_and_mask(tree, make_user):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    household = HouseholdFactory(grid=tree.g1)
    id_card = valid_id_card(11)
    profile = resident_register(
        actor=worker, household=household, full_name="王秀英", id_card_number=id_card, phone="138 0000 1111"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_card_encrypted, phone_encrypted FROM residents_residentprofile WHERE id = %s", [profile.pk]
        )
        stored_id, stored_phone = cursor.fetchone()
    assert id_card not in stored_id and "13800001111" not in stored_phone
    assert personal_data.decrypt(stored_id) == id_card
    assert profile.id_card_masked == personal_data.mask_id_card(id_card)
    assert profile.phone_masked == "138****1111"
    assert profile.id_card_hash == personal_data.lookup_hash("id_card", id_card)
    event = AuditEvent.objects.get(action="resident.register", object_id=str(profile.pk))
    assert event.actor == worker
    assert id_card not in str(event.details)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"id_card_number": "511302195001010010"}, "check digit"),
        ({"phone": "12345"}, "11 digits"),
        ({"full_name": " "}, "needs a name"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(tree, kwargs, message):
    household = HouseholdFactory(grid=tree.g1)
    before = (ResidentProfile.objects.count(), AuditEvent.objects.count())
    arguments = {"actor": None, "household": household, "full_name": "王秀英", "id_card_number": valid_id_card(3)}
    with pytest.raises(ValidationError, match=message):
        resident_register(**(arguments | kwargs))
    assert (ResidentProfile.objects.count(), AuditEvent.objects.count()) == before


def test_an_id_number_is_registered_once(tree):
    id_card = valid_id_card(5)
    resident_register(actor=None, household=HouseholdFactory(grid=tree.g1), full_name="甲", id_card_number=id_card)
    with pytest.raises(ValidationError, match="already registered"):
        resident_register(actor=None, household=HouseholdFactory(grid=tree.g2), full_name="乙", id_card_number=id_card)


def test_a_worker_registers_only_in_their_own_grid(tree, make_user):
    worker = make_user(Role.GRID_WORKER, tree.g2)
    household = HouseholdFactory(grid=tree.g1)
    with pytest.raises(PermissionDenied):
        resident_register(actor=worker, household=household, full_name="王秀英")
    assert not ResidentProfile.objects.filter(household=household).exists()


@pytest.mark.parametrize(("role", "area_name"), [(Role.GRID_WORKER, "g1"), (Role.COMMUNITY_STAFF, "c1")])
def test_frontline_staff_reveal_and_are_audited(tree, residents, make_user, role, area_name):
    staff = make_user(role, getattr(tree, area_name))
    revealed = resident_identity_reveal(actor=staff, profile=residents.r1, purpose="handle_request")
    assert revealed.id_card_number == personal_data.decrypt(residents.r1.id_card_encrypted)
    assert revealed.phone.startswith("138")
    event = AuditEvent.objects.filter(action="resident.reveal").latest("id")
    assert (event.actor, event.object_id) == (staff, str(residents.r1.pk))
    assert event.details == {"purpose": "handle_request"}


@pytest.mark.parametrize(
    ("role", "area_name"),
    [
        (Role.GRID_WORKER, "g2"),  # another grid
        (Role.COMMUNITY_STAFF, "c2"),  # another community
        (Role.SUBDISTRICT_OFFICER, "s1"),  # in scope, but oversight does not need full numbers
        (Role.DISTRICT_LEADER, "d"),
        (Role.AUDITOR, "d"),
    ],
)
def test_others_cannot_reveal(tree, residents, make_user, role, area_name):
    user = make_user(role, getattr(tree, area_name))
    before = AuditEvent.objects.filter(action="resident.reveal").count()
    with pytest.raises(PermissionDenied):
        resident_identity_reveal(actor=user, profile=residents.r1, purpose="handle_request")
    assert AuditEvent.objects.filter(action="resident.reveal").count() == before


def test_a_resident_may_reveal_their_own_data(tree, residents, make_user):
    resident = make_user(Role.RESIDENT, tree.g1)
    ResidentProfile.objects.filter(pk=residents.r1.pk).update(user=resident)
    residents.r1.refresh_from_db()
    assert resident_identity_reveal(actor=resident, profile=residents.r1).phone
    with pytest.raises(PermissionDenied):
        resident_identity_reveal(actor=resident, profile=residents.r2)
