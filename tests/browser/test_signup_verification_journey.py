"""On a 360 px phone: a new person signs up through the real sign-up form, lands on residency
verification and asks to be checked in person; community staff register them at the desk together
with their brand-new household; the person's request form then starts at that household's grid."""

import pytest

from residents.models import Household, ResidencyVerification, ResidentProfile
from security.models import AuditEvent, Role, User
from tests.browser.test_phone_journeys import fits_the_screen, sign_in
from tests.factories import PASSWORD, valid_id_card

pytestmark = pytest.mark.django_db(transaction=True)


def test_new_person_signs_up_is_registered_with_a_new_household_at_the_desk(phone, tree, catalogue, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)

    # Sign up through allauth's own form.
    phone.goto("/")
    phone.click("a[href='/accounts/signup/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.fill("input[name=username]", "xinjumin")
    phone.fill("input[name=email]", "xinjumin@example.test")
    phone.fill("input[name=password1]", PASSWORD)
    phone.fill("input[name=password2]", PASSWORD)
    phone.click("form[action='/accounts/signup/'] button[type=submit]")
    phone.wait_for_load_state()
    person = User.objects.get(username="xinjumin")
    # Sign-up ends on the verification page, with both ways to ask.
    assert phone.url.endswith("/residents/me/verification/")
    assert phone.locator("input[name=household_code]").count() == 1
    assert fits_the_screen(phone)

    # The home page points the way too.
    phone.goto("/")
    assert phone.locator("main a[href='/residents/me/verification/']").count() == 1
    phone.click("main a[href='/residents/me/verification/']")
    phone.wait_for_load_state()
    phone.select_option("select[name=community]", str(tree.c1.pk))
    phone.fill("textarea[name=note]", "新搬来，户口还没登记")
    phone.click("input[name=method][value=in_person] ~ button[type=submit]")
    phone.wait_for_load_state()
    verification = ResidencyVerification.objects.get(user=person)
    assert verification.status == ResidencyVerification.Status.PENDING
    phone.goto("/")
    assert tree.c1.name_zh in phone.locator("main").inner_text()  # their request waits there

    # Community staff check the ID card at the desk and register the person and their household.
    phone.context.clear_cookies()
    sign_in(phone, staff.username)
    phone.goto("/residents/verifications/")
    assert fits_the_screen(phone)
    phone.click(f"a[href='/residents/verifications/{verification.public_id}/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.fill("input[name=id_number]", valid_id_card(4242))
    phone.fill("input[name=full_name]", "辛居民")
    phone.fill("input[name=phone]", "13900002222")
    phone.fill("input[name=address]", "顺庆区新园路 12 号 3 单元 502")
    phone.select_option("select[name=grid]", str(tree.g1b.pk))
    phone.fill("input[name=new_household_code]", "HH-XIN-1")
    assert fits_the_screen(phone)
    phone.click("button[name=decision][value=approve]")
    phone.wait_for_load_state()
    assert phone.url.endswith("/residents/verifications/")
    verification.refresh_from_db()
    assert verification.status == ResidencyVerification.Status.APPROVED
    household = Household.objects.get(household_code="HH-XIN-1")
    assert household.grid == tree.g1b
    assert ResidentProfile.objects.get(household=household).user == person
    assert AuditEvent.objects.filter(action="household.create", actor=staff).exists()

    # The person is now a resident of that grid: the request form starts there; no prompt on the home page.
    phone.context.clear_cookies()
    sign_in(phone, person.username)
    phone.goto("/residents/me/verification/")
    assert tree.g1b.name_zh in phone.locator("main").inner_text()
    phone.goto("/")
    assert phone.locator("main a[href='/residents/me/verification/']").count() == 0
    phone.goto("/requests/new/repair/")
    assert phone.locator("select[name=grid]").input_value() == str(tree.g1b.pk)
    assert fits_the_screen(phone)
