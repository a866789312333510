import pytest

from residents.models import Household, ResidencyVerification, ResidentProfile
from residents.services import verification_by_code, verification_request_in_person
from security import personal_data
from security.models import AuditEvent, Role
from tests.factories import valid_id_card

pytestmark = pytest.mark.django_db
MINE = "/residents/me/verification/"
QUEUE = "/residents/verifications/"


def _detail(verification):
    return f"/residents/verifications/{verification.public_id}/"


@pytest.fixture
def coded(residents):
    Household.objects.filter(pk=residents.r1.household_id).update(household_code="HH-1")
    return personal_data.decrypt(residents.r1.id_card_encrypted)


def test_anonymous_goes_to_sign_in(client, tree):
    verification = verification_request_in_person(user=_person(), community=tree.c1)
    for url in (MINE, QUEUE, _detail(verification)):
        assert client.get(url)["Location"].startswith("/accounts/login/")


def _person():
    from tests.factories import UserFactory

    return UserFactory()


def test_code_verification_from_the_page_then_request_form_starts_at_the_grid(
    client, tree, residents, coded, catalogue, make_user, login
):
    person = make_user()
    login(person)
    response = client.post(MINE, {"method": "code", "household_code": "HH-1", "id_number": coded}, follow=True)
    assert tree.g1.name in response.content.decode()
    residents.r1.refresh_from_db()
    assert residents.r1.user == person
    form_page = client.get("/requests/new/repair/").content.decode()
    assert f'<option value="{tree.g1.pk}" selected>' in form_page


def test_forged_code_on_the_page_gets_a_clear_message_and_links_nothing(client, residents, coded, make_user, login):
    person = make_user()
    login(person)
    page = client.post(MINE, {"method": "code", "household_code": "HH-999", "id_number": coded}, follow=True)
    reason = ResidencyVerification.objects.get(user=person).reason
    assert reason in page.content.decode()
    assert not ResidentProfile.objects.filter(user=person).exists()


def test_malformed_id_number_is_shown_on_the_form(client, residents, make_user, login):
    login(make_user())
    response = client.post(MINE, {"method": "code", "household_code": "HH-1", "id_number": "123"})
    assert response.status_code == 400
    assert not ResidencyVerification.objects.exists()


def test_in_person_request_and_refusal_reason_shown_to_the_person_only(client, tree, make_user, login):
    person = make_user()
    login(person)
    client.post(MINE, {"method": "in_person", "community": tree.c1.pk, "note": "周二上午"})
    verification = ResidencyVerification.objects.get(user=person)
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    login(staff)
    assert person.get_username() in client.get(QUEUE).content.decode()
    client.post(_detail(verification), {"decision": "refuse", "reason": "未带身份证"})
    verification.refresh_from_db()
    assert verification.status == ResidencyVerification.Status.REFUSED
    login(person)
    assert "未带身份证" in client.get(MINE).content.decode()
    login(make_user())
    assert "未带身份证" not in client.get(MINE).content.decode()


def test_staff_approve_by_id_number_checked(client, tree, residents, make_user, login):
    person = make_user()
    verification = verification_request_in_person(user=person, community=tree.c1)
    login(make_user(Role.COMMUNITY_STAFF, tree.c1))
    number = personal_data.decrypt(residents.r1.id_card_encrypted)
    response = client.post(_detail(verification), {"decision": "approve", "id_number": number})
    assert response.status_code == 302
    residents.r1.refresh_from_db()
    assert residents.r1.user == person
    assert "verification.approve" in AuditEvent.objects.values_list("action", flat=True)


def test_staff_register_a_new_resident_at_the_desk(client, tree, residents, coded, make_user, login):
    person = make_user()
    verification = verification_request_in_person(user=person, community=tree.c1)
    login(make_user(Role.COMMUNITY_STAFF, tree.c1))
    bad = client.post(
        _detail(verification),
        {"decision": "approve", "id_number": "123", "full_name": "新人", "household_code": "HH-1"},
    )
    assert bad.status_code == 400 and not ResidentProfile.objects.filter(full_name="新人").exists()
    client.post(
        _detail(verification),
        {"decision": "approve", "id_number": valid_id_card(901), "full_name": "新人", "household_code": "HH-1"},
    )
    assert ResidentProfile.objects.get(full_name="新人").user == person


def test_other_community_staff_cannot_see_or_decide(client, tree, residents, coded, make_user, login):
    verification = verification_request_in_person(user=make_user(), community=tree.c1)
    verification_by_code(user=make_user(), household_code="HH-1", id_number=valid_id_card(777))
    login(make_user(Role.COMMUNITY_STAFF, tree.c2))
    page = client.get(QUEUE).content.decode()
    assert verification.user.get_username() not in page and residents.r1.household.address not in page
    assert client.get(_detail(verification)).status_code == 404
    assert client.post(_detail(verification), {"decision": "refuse", "reason": "x"}).status_code == 404
    verification.refresh_from_db()
    assert verification.status == ResidencyVerification.Status.PENDING


def test_grid_worker_sees_failed_tries_in_their_grid(client, tree, residents, coded, make_user, login):
    verification_by_code(user=make_user(), household_code="HH-1", id_number=valid_id_card(777))
    login(make_user(Role.GRID_WORKER, tree.g1))
    assert residents.r1.household.address in client.get(QUEUE).content.decode()


def test_resident_cannot_open_the_queue(client, tree, make_user, login):
    verification = verification_request_in_person(user=make_user(), community=tree.c1)
    login(make_user(Role.RESIDENT, tree.g1))
    assert client.get(QUEUE).status_code == 403
    assert client.get(_detail(verification)).status_code == 403


def test_queue_query_count_is_flat(client, tree, residents, coded, make_user, login, django_assert_max_num_queries):
    login(make_user(Role.COMMUNITY_STAFF, tree.c1))
    verification_request_in_person(user=make_user(), community=tree.c1)
    verification_by_code(user=make_user(), household_code="HH-1", id_number=valid_id_card(777))
    with django_assert_max_num_queries(20) as few:
        client.get(QUEUE)
    for n in range(10):
        verification_request_in_person(user=make_user(), community=tree.c1)
        verification_by_code(user=make_user(), household_code="HH-1", id_number=valid_id_card(700 + n))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(QUEUE)


def test_staff_end_verification_from_the_resident_page_outsider_refused(
    client, tree, residents, coded, make_user, login
):
    person = make_user()
    verification_by_code(user=person, household_code="HH-1", id_number=coded)
    end = f"/residents/{residents.r1.public_id}/end-verification/"
    login(make_user(Role.COMMUNITY_STAFF, tree.c2))
    assert client.post(end).status_code == 404
    residents.r1.refresh_from_db()
    assert residents.r1.user == person
    login(make_user(Role.GRID_WORKER, tree.g1))
    assert end.encode() in client.get(f"/residents/{residents.r1.public_id}/").content
    client.post(end)
    residents.r1.refresh_from_db()
    assert residents.r1.user is None
