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


def _new_household(**overrides):
    return {
        "decision": "approve",
        "id_number": valid_id_card(902),
        "full_name": "新户主",
        "phone": "",
        "address": "顺庆区新建路 9 号",
        "new_household_code": "HH-NEW-9",
    } | overrides


def test_staff_register_a_brand_new_household_at_the_desk(client, tree, residents, make_user, login):
    person = make_user()
    verification = verification_request_in_person(user=person, community=tree.c1)
    login(make_user(Role.COMMUNITY_STAFF, tree.c1))
    page = client.get(_detail(verification)).content.decode()
    # The community's grids are offered, another community's are not.
    assert f'value="{tree.g1.pk}"' in page and f'value="{tree.g1b.pk}"' in page and f'value="{tree.g2.pk}"' not in page
    response = client.post(_detail(verification), _new_household(grid=tree.g1b.pk))
    assert response.status_code == 302
    household = Household.objects.get(household_code="HH-NEW-9")
    assert household.grid == tree.g1b and household.address == "顺庆区新建路 9 号"
    assert ResidentProfile.objects.get(household=household).user == person
    verification.refresh_from_db()
    assert verification.status == ResidencyVerification.Status.APPROVED
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"household.create", "resident.register", "verification.approve"} <= actions


def test_grid_worker_is_offered_only_their_grid(client, tree, make_user, login):
    verification = verification_request_in_person(user=make_user(), community=tree.c1)
    login(make_user(Role.GRID_WORKER, tree.g1))
    page = client.get(_detail(verification)).content.decode()
    assert f'value="{tree.g1.pk}"' in page and f'value="{tree.g1b.pk}"' not in page


@pytest.mark.parametrize(
    "bad",
    [
        {"grid": "g2"},  # forged: a grid of another community
        {"grid": "g1b", "as_worker": True},  # forged: a grid of the community outside the worker's own
        {"grid": "999999"},  # no such grid
        {"grid": "not-a-number"},
        {"grid": "g1", "new_household_code": "HH-1"},  # a number another household already has
        {"grid": "g1", "new_household_code": "HH 9"},
        {"grid": "g1", "full_name": ""},
        {"grid": "", "address": "某路 2 号"},
        {"grid": "g1", "id_number": "123"},
    ],
)
def test_bad_input_at_the_desk_gets_a_message_and_creates_nothing(
    client, tree, residents, coded, make_user, login, bad
):
    person = make_user()
    verification = verification_request_in_person(user=person, community=tree.c1)
    bad = dict(bad)
    staff = make_user(Role.GRID_WORKER, tree.g1) if bad.pop("as_worker", False) else None
    login(staff or make_user(Role.COMMUNITY_STAFF, tree.c1))
    grid = bad.pop("grid")
    bad["grid"] = str(getattr(tree, grid).pk) if hasattr(tree, grid) else grid
    before = (Household.objects.count(), ResidentProfile.objects.count())
    response = client.post(_detail(verification), _new_household(**bad))
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert (Household.objects.count(), ResidentProfile.objects.count()) == before
    verification.refresh_from_db()
    assert verification.status == ResidencyVerification.Status.PENDING


def test_other_community_staff_cannot_register_a_household_there(client, tree, make_user, login):
    verification = verification_request_in_person(user=make_user(), community=tree.c1)
    login(make_user(Role.COMMUNITY_STAFF, tree.c2))
    response = client.post(_detail(verification), _new_household(grid=tree.g2.pk))
    assert response.status_code == 404
    assert not Household.objects.filter(household_code="HH-NEW-9").exists()


def test_a_resident_cannot_see_another_persons_verification(client, tree, make_user, login):
    other = make_user()
    verification_request_in_person(user=other, community=tree.c1, note="他人的留言")
    login(make_user(Role.RESIDENT, tree.g1))
    assert "他人的留言" not in client.get(MINE).content.decode()
    verification = ResidencyVerification.objects.get(user=other)
    assert client.get(_detail(verification)).status_code == 403


PROMPT_LINK = f'href="{MINE}"'


def test_home_page_tells_a_new_account_how_to_get_verified_and_no_one_else(
    client, tree, residents, coded, make_user, login
):
    assert PROMPT_LINK not in client.get("/").content.decode()  # anonymous
    person = make_user()
    login(person)
    assert PROMPT_LINK in client.get("/").content.decode()
    assert PROMPT_LINK in client.get("/residents/me/").content.decode()
    assert PROMPT_LINK in client.get("/requests/mine/").content.decode()  # where a later sign-in lands
    verification_request_in_person(user=person, community=tree.c1)
    assert tree.c1.name_zh in client.get("/").content.decode()  # their request is waiting there
    verified = make_user()
    verification_by_code(user=verified, household_code="HH-1", id_number=coded)
    login(verified)
    assert PROMPT_LINK not in client.get("/").content.decode()
    assert PROMPT_LINK not in client.get("/requests/mine/").content.decode()
    login(make_user(Role.COMMUNITY_STAFF, tree.c1))
    assert PROMPT_LINK not in client.get("/").content.decode()


def test_home_page_prompt_costs_a_fixed_number_of_queries(client, make_user, login, django_assert_max_num_queries):
    login(make_user())
    with django_assert_max_num_queries(12):
        client.get("/")


def test_sign_up_ends_on_the_verification_page(client, db):
    password = "a-long-pass-phrase-2026"
    response = client.post(
        "/accounts/signup/",
        {"username": "xinren", "email": "xinren@example.test", "password1": password, "password2": password},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == MINE
    assert 'name="household_code"' in response.content.decode()


def test_after_in_person_approval_with_a_new_household_the_request_form_starts_at_its_grid(
    client, tree, catalogue, make_user, login
):
    person = make_user()
    verification = verification_request_in_person(user=person, community=tree.c1)
    login(make_user(Role.COMMUNITY_STAFF, tree.c1))
    client.post(_detail(verification), _new_household(grid=tree.g1b.pk))
    login(person)
    form_page = client.get("/requests/new/repair/").content.decode()
    assert f'<option value="{tree.g1b.pk}" selected>' in form_page
