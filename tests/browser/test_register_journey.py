"""A grid worker keeps the register on a 360 px phone: registers a household that moved in, with
its first resident, then marks a resident of their grid as living alone."""

import pytest

from residents.models import ResidentProfile
from security.models import AuditEvent, Role
from tests.browser.test_phone_journeys import fits_the_screen, sign_in
from tests.factories import valid_id_card

pytestmark = pytest.mark.django_db(transaction=True)


def test_grid_worker_registers_a_household_that_moved_in_and_marks_a_resident_living_alone(
    phone, tree, residents, make_user
):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    sign_in(phone, worker.username)
    phone.goto("/residents/")
    phone.click("a[href='/residents/register/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    assert phone.locator("select[name=grid]").input_value() == str(tree.g1.pk)
    phone.fill("input[name=address]", "幸福路 8 号 2 单元 301")
    phone.fill("input[name=household_code]", "HH-MOVED-IN-1")
    phone.fill("input[name=full_name]", "李桂兰")
    phone.fill("input[name=id_card_number]", valid_id_card(77, birth="19410506"))
    phone.fill("input[name=phone]", "139 0000 7777")
    phone.click("main form[novalidate] button[type=submit]")
    phone.wait_for_load_state()
    newcomer = ResidentProfile.objects.get(full_name="李桂兰")
    assert phone.url.endswith(f"/residents/{newcomer.public_id}/")
    assert fits_the_screen(phone)
    assert (newcomer.household.household_code, newcomer.birth_year, newcomer.birth_month, newcomer.is_elderly) == (
        "HH-MOVED-IN-1",
        1941,
        5,
        True,
    )
    assert "139****7777" in phone.locator("main").inner_text()

    phone.goto(f"/residents/{residents.r1.public_id}/")
    phone.click(f"a[href='/residents/{residents.r1.public_id}/edit/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.check("input[name=lives_alone]")
    phone.click("form[action$='/edit/'] button[type=submit]")
    phone.wait_for_load_state()
    residents.r1.refresh_from_db()
    assert residents.r1.lives_alone is True
    assert phone.url.endswith(f"/residents/{residents.r1.public_id}/")
    event = AuditEvent.objects.filter(action="resident.update").get()
    assert (event.actor_id, event.details) == (worker.pk, {"fields": ["lives_alone"]})
