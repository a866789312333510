"""The household-registration import and the register kept by the grid's staff: the birth year and
month read from the ID-card number, and fields staff edited after the previous import left alone,
with the conflicts listed for the staff to settle."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from exchange.tests.test_imports import csv_bytes, imported, person, provider, push  # noqa: F401
from residents.models import RegisterConflict, ResidentProfile
from residents.services import register_conflict_settle, resident_update
from security import personal_data
from security.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_an_import_records_the_birth_year_and_month_of_new_residents(imported):  # noqa: F811
    imported(csv_bytes([person(1), person(2)]))
    assert set(ResidentProfile.objects.values_list("birth_year", "birth_month")) == {(1980, 1)}


@pytest.fixture
def staff(people):
    return people.worker


def _profile(n):
    return ResidentProfile.objects.get(id_card_hash=personal_data.lookup_hash("id_card", person(n)[4]))


def test_a_later_import_leaves_fields_staff_edited_and_lists_the_conflicts(imported, staff):  # noqa: F811
    imported(csv_bytes([person(1, phone="13900000001"), person(2)]))
    profile = _profile(1)
    resident_update(actor=staff, profile=profile, phone="13911112222", lives_alone=True, full_name="居民一")
    # The department still sends the old phone and name, and now says "lives alone" too.
    result = imported(csv_bytes([person(1, phone="13900000001", alone="1"), person(2, name="居民二")]))
    assert result.updated_count == 1  # 居民二; 居民1 is written only to note the import has seen it
    profile.refresh_from_db()
    assert (profile.full_name, profile.phone_masked, profile.lives_alone) == ("居民一", "139****2222", True)
    conflicts = RegisterConflict.objects.filter(profile=profile, status="open")
    assert set(conflicts.values_list("field", flat=True)) == {"full_name", "phone"}
    phone_conflict = conflicts.get(field="phone")
    assert "13900000001" not in phone_conflict.import_value_encrypted
    assert personal_data.decrypt(phone_conflict.import_value_encrypted) == "13900000001"
    assert profile.staff_edited == {}
    # The staff's edits were before this import: the next one applies as usual.
    imported(csv_bytes([person(1, phone="13900000001", name="居民1"), person(2, name="居民二")]))
    profile.refresh_from_db()
    assert (profile.full_name, profile.phone_masked, profile.lives_alone) == ("居民1", "139****0001", False)


def test_settling_keeps_or_takes_the_value_audited(imported, staff, people):  # noqa: F811
    imported(csv_bytes([person(1, phone="13900000001")]))
    profile = _profile(1)
    resident_update(actor=staff, profile=profile, phone="13911112222", full_name="居民一")
    imported(csv_bytes([person(1, phone="13900000001")]))
    name_conflict = RegisterConflict.objects.get(field="full_name")
    phone_conflict = RegisterConflict.objects.get(field="phone")
    with pytest.raises(PermissionDenied):
        register_conflict_settle(actor=people.worker_g2, conflict=phone_conflict, take_import=True)
    register_conflict_settle(actor=staff, conflict=phone_conflict, take_import=True)
    register_conflict_settle(actor=people.community, conflict=name_conflict, take_import=False)
    profile.refresh_from_db()
    assert (profile.full_name, profile.phone_masked) == ("居民一", "139****0001")
    assert set(profile.staff_edited) == {"full_name"}  # kept: an edit of now; taken: follows imports again
    settled = RegisterConflict.objects.filter(status__in=["kept", "taken"])
    assert settled.count() == 2 and set(settled.values_list("import_value_encrypted", flat=True)) == {""}
    actions = dict(
        AuditEvent.objects.filter(action__startswith="register.conflict").values_list("action", "details__field")
    )
    assert actions == {"register.conflict_take": "phone", "register.conflict_keep": "full_name"}
    with pytest.raises(ValidationError, match="already"):
        register_conflict_settle(actor=staff, conflict=phone_conflict, take_import=False)
    # Kept after that import: the next import that differs asks again.
    imported(csv_bytes([person(1, phone="13900000001")]))
    assert RegisterConflict.objects.filter(field="full_name", status="open").exists()


def test_the_conflict_list_is_for_the_grids_staff_and_costs_the_same_queries(
    client,
    login,
    imported,  # noqa: F811
    staff,
    people,
    django_assert_max_num_queries,
):
    imported(csv_bytes([person(n) for n in range(1, 8)]))
    for n in range(1, 8):
        resident_update(actor=staff, profile=_profile(n), lives_alone=True)
    imported(csv_bytes([person(1)]))
    login(staff)
    with django_assert_max_num_queries(30) as few:
        page = client.get("/residents/conflicts/")
    assert page.status_code == 200 and len(page.context["rows"]) == 1
    imported(csv_bytes([person(n) for n in range(1, 8)]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/residents/conflicts/")
    assert len(page.context["rows"]) == 7
    conflict = RegisterConflict.objects.first()
    client.logout()
    for who, status in (("worker_g2", 404), ("community_c2", 404), ("resident", 403), ("partner", 403)):
        login(getattr(people, who))
        assert client.post(f"/residents/conflicts/{conflict.public_id}/", {"decision": "take"}).status_code == status
        listed = client.get("/residents/conflicts/")
        assert listed.status_code == 403 or listed.context["rows"] == []
        client.logout()
    conflict.refresh_from_db()
    assert conflict.status == "open"
    login(staff)
    assert client.post(f"/residents/conflicts/{conflict.public_id}/", {"decision": "maybe"}).status_code == 302
    conflict.refresh_from_db()
    assert conflict.status == "open"
    client.post(f"/residents/conflicts/{conflict.public_id}/", {"decision": "take"})
    conflict.refresh_from_db()
    assert conflict.status == "taken"


def test_a_household_address_staff_corrected_is_kept_and_asked_about(imported, staff, people, client, login):  # noqa: F811
    from residents.models import Household
    from residents.services import household_update

    imported(csv_bytes([person(1, household="H9", address="人民路1号")]))
    household = Household.objects.get(household_code="H9")
    household_update(actor=staff, household=household, address="人民路1号附1号")
    # The department still sends the old address: the register keeps the staff's and asks.
    imported(csv_bytes([person(1, household="H9", address="人民路1号")]))
    household.refresh_from_db()
    assert household.address == "人民路1号附1号" and household.address_edited_at is None
    conflict = RegisterConflict.objects.get(field="address", status="open")
    assert (conflict.household_id, conflict.profile_id) == (household.pk, None)
    assert personal_data.decrypt(conflict.import_value_encrypted) == "人民路1号"
    login(staff)
    listed = client.get("/residents/conflicts/")
    assert [row[1:] for row in listed.context["rows"]] == [("人民路1号", "人民路1号附1号")]
    client.logout()
    login(people.worker_g2)
    assert client.post(f"/residents/conflicts/{conflict.public_id}/", {"decision": "take"}).status_code == 404
    household.refresh_from_db()
    assert household.address == "人民路1号附1号"
    register_conflict_settle(actor=staff, conflict=conflict, take_import=True)
    household.refresh_from_db()
    assert (household.address, household.address_edited_at) == ("人民路1号", None)
    event = AuditEvent.objects.get(action="register.conflict_take")
    assert event.details["field"] == "address" and event.object_id == str(household.pk)
    # Taken: the address follows imports again.
    imported(csv_bytes([person(1, household="H9", address="人民路2号")]))
    household.refresh_from_db()
    assert household.address == "人民路2号"
    assert not RegisterConflict.objects.filter(status="open").exists()


def test_keeping_the_staff_address_asks_again_at_the_next_import_that_differs(imported, staff):  # noqa: F811
    from residents.models import Household
    from residents.services import household_update

    imported(csv_bytes([person(1, household="H9", address="人民路1号")]))
    household = Household.objects.get(household_code="H9")
    household_update(actor=staff, household=household, address="人民路1号附1号")
    imported(csv_bytes([person(1, household="H9", address="人民路1号")]))
    register_conflict_settle(actor=staff, conflict=RegisterConflict.objects.get(field="address"), take_import=False)
    imported(csv_bytes([person(1, household="H9", address="人民路1号")]))
    household.refresh_from_db()
    assert household.address == "人民路1号附1号"
    assert RegisterConflict.objects.filter(field="address", status="open").count() == 1
