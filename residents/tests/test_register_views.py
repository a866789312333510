"""The register's pages for the grid's staff: registering a household that moved in, adding a person
to a household, changing a record, moving out and deaths; outsiders and bad input."""

import pytest
from django.utils import timezone

from residents.models import Household, ResidentProfile
from security import personal_data
from security.models import AuditEvent
from tests.factories import HouseholdFactory, ResidentFactory, valid_id_card

pytestmark = pytest.mark.django_db
MOVE_IN = "/residents/register/"


def _state():
    return (Household.objects.count(), list(ResidentProfile.objects.order_by("pk").values()))


def _pages(residents):
    profile, household = residents.r1, residents.r1.household
    return [
        ("get", MOVE_IN, {}),
        ("get", f"/residents/households/{household.public_id}/add/", {}),
        ("get", f"/residents/{profile.public_id}/edit/", {}),
        ("post", f"/residents/{profile.public_id}/edit/", {"full_name": "改名", "lives_alone": "on"}),
        ("post", f"/residents/{profile.public_id}/move-out/", {"on": timezone.localdate().isoformat()}),
        ("post", f"/residents/{profile.public_id}/death/", {"on": timezone.localdate().isoformat()}),
        ("post", f"/residents/{profile.public_id}/household-move-out/", {"on": timezone.localdate().isoformat()}),
        ("post", f"/residents/{profile.public_id}/end-undo/", {"reason": "登记错了"}),
    ]


def test_the_grid_worker_registers_a_household_that_moved_in(client, login, tree, people):
    login(people.worker)
    page = client.get(MOVE_IN)
    assert page.status_code == 200
    assert [grid.pk for grid in page.context["form"].grids] == [tree.g1.pk]
    id_card = valid_id_card(31, birth="19380205")
    response = client.post(
        MOVE_IN,
        {
            "grid": tree.g1.pk,
            "address": "幸福路 8 号",
            "household_code": "HH-NEW-1",
            "full_name": "李大爷",
            "id_card_number": id_card,
            "phone": "13900001234",
            "lives_alone": "on",
        },
    )
    profile = ResidentProfile.objects.get(full_name="李大爷")
    assert response["Location"] == f"/residents/{profile.public_id}/"
    assert (profile.household.address, profile.household.household_code, profile.household.grid) == (
        "幸福路 8 号",
        "HH-NEW-1",
        tree.g1,
    )
    assert (profile.birth_year, profile.birth_month, profile.is_elderly, profile.lives_alone) == (1938, 2, True, True)
    assert id_card not in profile.id_card_encrypted and profile.id_card_masked.endswith(id_card[-4:])


def test_community_staff_choose_among_their_communitys_grids_only(client, login, tree, people):
    login(people.community)
    grids = client.get(MOVE_IN).context["form"].grids
    assert {grid.pk for grid in grids} == {tree.g1.pk, tree.g1b.pk}
    before = _state()
    response = client.post(MOVE_IN, {"grid": tree.g2.pk, "address": "外面", "full_name": "王"})
    assert response.status_code == 400 and _state() == before


@pytest.mark.parametrize(
    ("posted", "field"),
    [
        ({"address": "", "full_name": "王"}, "address"),
        ({"address": "幸福路 1 号", "full_name": "王", "id_card_number": "511302195001010010"}, "id_card_number"),
        ({"address": "幸福路 1 号", "full_name": "王", "phone": "123"}, "phone"),
        ({"address": "幸福路 1 号", "full_name": ""}, "full_name"),
        ({"address": "幸福路 1 号", "full_name": "王", "birth_year": "2999", "birth_month": "1"}, "birth_year"),
    ],
)
def test_bad_input_is_explained_beside_its_field_and_nothing_is_registered(client, login, tree, people, posted, field):
    login(people.worker)
    before = _state()
    response = client.post(MOVE_IN, {"grid": tree.g1.pk, **posted})
    assert response.status_code == 400
    assert response.context["form"].errors.get(field) or response.context["form"].non_field_errors()
    assert _state() == before


def test_a_person_is_added_to_a_household_moving_in_or_born(client, login, tree, people, residents):
    login(people.worker)
    household = residents.r1.household
    today = timezone.localdate()
    response = client.post(
        f"/residents/households/{household.public_id}/add/",
        {"full_name": "小宝", "birth_year": today.year, "birth_month": today.month},
    )
    baby = ResidentProfile.objects.get(full_name="小宝")
    assert response.status_code == 302 and baby.household == household
    assert (baby.birth_year, baby.birth_month, baby.id_card_masked) == (today.year, today.month, "")


def test_the_worker_changes_the_living_alone_flag_and_it_is_audited(client, login, people, residents):
    login(people.worker)
    url = f"/residents/{residents.r1.public_id}/edit/"
    initial = client.get(url).context["form"].initial
    kept = {name: value for name, value in initial.items() if value not in (None, False)}
    response = client.post(url, {**kept, "is_elderly": "on" if initial["is_elderly"] else "", "lives_alone": "on"})
    assert response.status_code == 302
    residents.r1.refresh_from_db()
    assert residents.r1.lives_alone is True
    event = AuditEvent.objects.get(action="resident.update")
    assert (event.actor, event.details) == (people.worker, {"fields": ["lives_alone"]})


def test_a_taken_id_number_is_refused_on_the_edit_page(client, login, people, residents):
    login(people.community)
    before = _state()
    response = client.post(
        f"/residents/{residents.r1.public_id}/edit/",
        {"full_name": residents.r1.full_name, "id_card_number": personal_data.decrypt(residents.r1b.id_card_encrypted)},
    )
    assert response.status_code == 400 and response.context["form"].errors["id_card_number"]
    assert _state() == before


def test_moving_out_and_death_are_recorded_from_the_edit_page(client, login, people, residents):
    login(people.worker)
    today = timezone.localdate().isoformat()
    assert client.post(f"/residents/{residents.r1.public_id}/move-out/", {"on": ""}).status_code == 400
    assert client.post(f"/residents/{residents.r1.public_id}/move-out/", {"on": today}).status_code == 302
    residents.r1.refresh_from_db()
    assert residents.r1.moved_out_on is not None
    page = client.get(f"/residents/{residents.r1.public_id}/").content.decode()
    assert today in page
    # Recorded once: a second try is told, not applied.
    assert client.post(f"/residents/{residents.r1.public_id}/death/", {"on": today}).status_code == 400
    residents.r1.refresh_from_db()
    assert residents.r1.died_on is None


def test_a_moving_out_recorded_by_mistake_is_taken_back_with_a_reason(client, login, people, residents):
    login(people.worker)
    profile = residents.r1
    url = f"/residents/{profile.public_id}/end-undo/"
    client.post(url, {"reason": "登记错了"})
    assert AuditEvent.objects.filter(action="resident.end_undo").count() == 0  # living here: nothing to undo
    day = timezone.localdate()
    client.post(f"/residents/{profile.public_id}/move-out/", {"on": day.isoformat()})
    page = client.get(f"/residents/{profile.public_id}/edit/")
    assert 'id="end-undo"' in page.content.decode()
    before = _state()
    assert client.post(url, {"reason": "  "}).status_code == 302
    assert client.post(url, {"reason": "错" * 501}).status_code == 302
    assert _state() == before
    client.post(url, {"reason": "搬到同一小区另一栋，登记错了"})
    profile.refresh_from_db()
    assert profile.moved_out_on is None and profile.is_living_here
    event = AuditEvent.objects.get(action="resident.end_undo")
    assert event.details == {"moved_out_on": day.isoformat(), "reason": "搬到同一小区另一栋，登记错了"}
    # A death recorded by mistake is taken back the same way.
    client.post(f"/residents/{profile.public_id}/death/", {"on": day.isoformat()})
    client.post(url, {"reason": "同名误登"})
    profile.refresh_from_db()
    assert profile.died_on is None


@pytest.mark.parametrize("who", ["resident", "partner", "subdistrict", "leader", "dept"])
def test_people_who_do_not_keep_the_register_are_refused(client, login, people, residents, who):
    login(getattr(people, who))
    before = _state()
    for method, url, data in _pages(residents):
        assert getattr(client, method)(url, data).status_code == 403, url
    assert _state() == before


@pytest.mark.parametrize("who", ["worker_g2", "community_c2", "worker_g1b"])
def test_staff_of_another_grid_or_community_get_404(client, login, people, residents, who):
    login(getattr(people, who))
    before = _state()
    for method, url, data in _pages(residents)[1:]:
        assert getattr(client, method)(url, data).status_code == 404, url
    assert _state() == before


def test_anonymous_is_sent_to_sign_in(client, residents):
    for method, url, data in _pages(residents):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    assert not AuditEvent.objects.filter(action__startswith="resident.update").exists()


def test_the_edit_links_show_for_the_grids_staff_only(client, login, people, residents):
    edit = f"/residents/{residents.r1.public_id}/edit/"
    assert edit in login(people.worker).get(f"/residents/{residents.r1.public_id}/").content.decode()
    assert MOVE_IN in client.get("/residents/").content.decode()
    client.logout()
    page = login(people.subdistrict).get(f"/residents/{residents.r1.public_id}/").content.decode()
    assert edit not in page and MOVE_IN not in client.get("/residents/").content.decode()


def test_the_lists_cost_the_same_queries_however_many_residents_and_grids(
    client, login, tree, people, django_assert_max_num_queries
):
    ResidentFactory(household=HouseholdFactory(grid=tree.g1))
    login(people.community)
    client.get(MOVE_IN)  # the session's first request records things once
    with django_assert_max_num_queries(20) as few:
        client.get(MOVE_IN)
        client.get("/residents/")
    for n in range(15):
        profile = ResidentFactory(household=HouseholdFactory(grid=tree.g1b))
        if n % 3 == 0:
            ResidentProfile.objects.filter(pk=profile.pk).update(moved_out_on=timezone.localdate())
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(MOVE_IN)
        client.get("/residents/")


def test_a_whole_household_moves_out_each_person_audited(client, login, tree, people):
    household = HouseholdFactory(grid=tree.g1)
    first, second, gone = (ResidentFactory(household=household) for _ in range(3))
    today = timezone.localdate()
    ResidentProfile.objects.filter(pk=gone.pk).update(died_on=today)
    other_grid = ResidentFactory(household=HouseholdFactory(grid=tree.g1b))
    login(people.worker_g1b)
    url = f"/residents/{first.public_id}/household-move-out/"
    assert client.post(url, {"on": today.isoformat()}).status_code == 404
    client.logout()
    login(people.worker)
    assert client.post(url, {"on": today.isoformat()}).status_code == 302
    moved = dict(ResidentProfile.objects.values_list("pk", "moved_out_on"))
    assert (moved[first.pk], moved[second.pk], moved[gone.pk], moved[other_grid.pk]) == (today, today, None, None)
    assert AuditEvent.objects.filter(action="resident.move_out").count() == 2
    # Nobody left living there: told, nothing changed.
    assert client.post(url, {"on": today.isoformat()}).status_code == 400
    assert AuditEvent.objects.filter(action="resident.move_out").count() == 2
