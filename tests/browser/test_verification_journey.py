"""A newly signed-up person asks to be verified on a 360 px phone, community staff approve at the
desk, and the person's request form then starts at their own grid."""

import pytest

from residents.models import ResidencyVerification
from security import personal_data
from security.models import Role
from tests.browser.test_phone_journeys import fits_the_screen, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_person_asks_in_person_staff_approve_request_form_starts_at_their_grid(
    phone, tree, residents, catalogue, make_user
):
    person = make_user()
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    sign_in(phone, person.username)
    phone.goto("/residents/me/")
    phone.click("a[href='/residents/me/verification/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.select_option("select[name=community]", str(tree.c1.pk))
    phone.fill("textarea[name=note]", "周二上午来")
    phone.click("input[name=method][value=in_person] ~ button[type=submit]")
    phone.wait_for_load_state()
    verification = ResidencyVerification.objects.get(user=person)
    assert verification.status == ResidencyVerification.Status.PENDING

    phone.context.clear_cookies()
    sign_in(phone, staff.username)
    phone.goto("/residents/verifications/")
    assert fits_the_screen(phone)
    phone.click(f"a[href='/residents/verifications/{verification.public_id}/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.fill("input[name=id_number]", personal_data.decrypt(residents.r1.id_card_encrypted))
    phone.click("button[name=decision][value=approve]")
    phone.wait_for_load_state()
    verification.refresh_from_db()
    assert verification.status == ResidencyVerification.Status.APPROVED

    phone.context.clear_cookies()
    sign_in(phone, person.username)
    phone.goto("/residents/me/verification/")
    assert tree.g1.name_zh in phone.locator("main").inner_text()
    phone.goto("/requests/new/repair/")
    assert phone.locator("select[name=grid]").input_value() == str(tree.g1.pk)
    assert fits_the_screen(phone)
