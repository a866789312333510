import pytest

from residents.models import ResidentProfile
from security import personal_data
from security.models import AuditEvent, Role
from tests.factories import HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db
LIST = "/residents/"


def test_staff_list_shows_residents_in_scope_masked(client, tree, residents, make_user, login):
    login(make_user(Role.COMMUNITY_STAFF, tree.c1))
    page = client.get(LIST).content.decode()
    assert residents.r1.full_name in page and residents.r1b.full_name in page
    assert residents.r2.full_name not in page
    assert residents.r1.id_card_masked in page
    assert personal_data.decrypt(residents.r1.id_card_encrypted) not in page


def test_staff_list_outsider_sees_only_their_own_area(client, tree, residents, make_user, login):
    login(make_user(Role.GRID_WORKER, tree.g2))
    page = client.get(LIST).content.decode()
    assert residents.r2.full_name in page
    assert residents.r1.full_name not in page


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.PARTNER_OPERATOR])
def test_staff_list_refuses_non_staff(client, tree, orgs, residents, make_user, login, role):
    organisation = orgs.partner if role == Role.PARTNER_OPERATOR else None
    login(make_user(role, tree.g1 if role == Role.RESIDENT else tree.s1, organisation))
    assert client.get(LIST).status_code == 403


def test_staff_list_sends_anonymous_to_sign_in(client):
    assert client.get(LIST)["Location"].startswith("/accounts/login/")


def test_staff_list_reports_a_bad_search(client, tree, residents, make_user, login):
    login(make_user(Role.COMMUNITY_STAFF, tree.c1))
    response = client.post(LIST, {"q": "12345"})
    assert response.status_code == 200
    assert "请输入姓名、完整的 18 位身份证号或完整的 11 位手机号。" in response.content.decode()


def test_staff_list_query_count_is_flat(client, tree, residents, make_user, login, django_assert_max_num_queries):
    login(make_user(Role.COMMUNITY_STAFF, tree.c1))
    with django_assert_max_num_queries(12) as few:
        client.get(LIST)
    for _ in range(20):
        ResidentFactory(household=HouseholdFactory(grid=tree.g1b))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(LIST)


def test_detail_is_masked_and_out_of_scope_is_404(client, tree, residents, make_user, login):
    login(make_user(Role.GRID_WORKER, tree.g1))
    page = client.get(f"/residents/{residents.r1.public_id}/").content.decode()
    assert residents.r1.id_card_masked in page
    assert client.get(f"/residents/{residents.r2.public_id}/").status_code == 404


def test_reveal_shows_full_numbers_once_and_records_it(client, tree, residents, make_user, login):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    login(worker)
    response = client.post(f"/residents/{residents.r1.public_id}/reveal/", {"purpose": "handle_request"})
    assert personal_data.decrypt(residents.r1.id_card_encrypted) in response.content.decode()
    assert AuditEvent.objects.filter(action="resident.reveal", actor=worker).count() == 1
    assert client.get(f"/residents/{residents.r1.public_id}/reveal/").status_code == 405


@pytest.mark.parametrize(
    ("role", "area_name", "status"), [(Role.GRID_WORKER, "g2", 404), (Role.SUBDISTRICT_OFFICER, "s1", 403)]
)
def test_reveal_is_refused_to_outsiders_and_overseers(
    client, tree, residents, make_user, login, role, area_name, status
):
    login(make_user(role, getattr(tree, area_name)))
    assert client.post(f"/residents/{residents.r1.public_id}/reveal/").status_code == status
    assert not AuditEvent.objects.filter(action="resident.reveal").exists()


def test_my_profile_shows_own_record_only(client, tree, residents, make_user, login):
    resident = make_user(Role.RESIDENT, tree.g1)
    ResidentProfile.objects.filter(pk=residents.r1.pk).update(user=resident)
    login(resident)
    page = client.get("/residents/me/").content.decode()
    assert residents.r1.full_name in page
    assert residents.r1b.full_name not in page
    assert client.get(f"/residents/{residents.r1b.public_id}/").status_code == 404


def test_my_profile_for_an_unverified_user(client, make_user, login):
    login(make_user())
    assert "verified" in client.get("/residents/me/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
