import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from residents.selectors import resident_get_for_user, resident_search
from security import personal_data
from security.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def _id_of(profile):
    return personal_data.decrypt(profile.id_card_encrypted)


def _phone_of(profile):
    return personal_data.decrypt(profile.phone_encrypted)


def test_search_by_id_number_uses_the_keyed_hash_and_is_audited(tree, residents, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    found = list(resident_search(user=staff, query=_id_of(residents.r1b)))
    assert found == [residents.r1b]
    event = AuditEvent.objects.filter(action="resident.lookup").latest("id")
    assert event.actor == staff and event.details == {"by": "id_card"}


def test_search_by_phone(tree, residents, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    phone = _phone_of(residents.r1)
    assert list(resident_search(user=staff, query=f"{phone[:3]} {phone[3:7]} {phone[7:]}")) == [residents.r1]


def test_search_by_name(tree, residents, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    assert list(resident_search(user=staff, query=residents.r1.full_name)) == [residents.r1]


def test_an_outsider_cannot_find_a_resident_by_number(tree, residents, make_user):
    outsider = make_user(Role.COMMUNITY_STAFF, tree.c2)
    assert list(resident_search(user=outsider, query=_id_of(residents.r1))) == []
    assert list(resident_search(user=outsider, query=residents.r1.full_name)) == []


def test_a_malformed_number_gets_a_clear_message(tree, residents, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    with pytest.raises(ValidationError, match="full 18-character"):
        resident_search(user=staff, query="12345")


def test_get_for_user_hides_missing_and_forbidden_alike(tree, residents, make_user):
    outsider = make_user(Role.GRID_WORKER, tree.g2)
    with pytest.raises(Http404):
        resident_get_for_user(user=outsider, public_id=residents.r1.public_id)
    with pytest.raises(Http404):
        resident_get_for_user(user=outsider, public_id="00000000-0000-0000-0000-000000000000")
    assert resident_get_for_user(user=outsider, public_id=residents.r2.public_id) == residents.r2
