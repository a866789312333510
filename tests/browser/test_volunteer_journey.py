"""On a 360 px phone: a verified resident signs up for a volunteer activity, community staff
confirm their hours after it, the volunteer sees the points and spends them on an item of their
community, and staff hand it over against the pickup code."""

import pytest

from participation.models import PointsEntry, Redemption, RedemptionItem, VolunteerSignup
from participation.tests.volunteering_support import held, make_activity, make_item, verified_resident
from security.models import Role
from tests.browser.test_phone_journeys import fits_the_screen, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_volunteer_signs_up_staff_confirm_hours_points_are_spent(phone, tree, residents, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    volunteer = verified_resident(grid=tree.g1, staff=staff, profile=residents.r1)
    activity = make_activity(actor=staff, area=tree.c1, title="清理小区绿地", hours=3, points_per_hour=10)
    item = make_item(actor=staff, community=tree.c1, name="大米一袋", points_cost=25, stock=4)

    sign_in(phone, volunteer.username)
    phone.goto("/volunteering/")
    assert fits_the_screen(phone)
    phone.click(f"a[href='/volunteering/{activity.public_id}/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.click("button[name=sign_up]")
    phone.wait_for_load_state()
    signup = VolunteerSignup.objects.get(user=volunteer)
    assert signup.status == VolunteerSignup.Status.SIGNED_UP

    held(activity)  # the day of the activity has passed
    phone.context.clear_cookies()
    sign_in(phone, staff.username)
    phone.goto(f"/volunteering/{activity.public_id}/")
    assert fits_the_screen(phone)
    phone.fill(f"#signup-{signup.public_id} input[name=hours]", "2.5")
    phone.click(f"#signup-{signup.public_id} button[type=submit]")
    phone.wait_for_load_state()
    signup.refresh_from_db()
    assert signup.status == VolunteerSignup.Status.CONFIRMED
    assert PointsEntry.objects.get(user=volunteer).amount == 25

    phone.context.clear_cookies()
    sign_in(phone, volunteer.username)
    phone.goto("/points/")
    assert fits_the_screen(phone)
    assert phone.locator("#balance").inner_text() == "25"
    phone.click(f"#item-{item.public_id} button[type=submit]")
    phone.wait_for_load_state()
    assert phone.locator("#balance").inner_text() == "0"
    redemption = Redemption.objects.get(user=volunteer)
    assert redemption.pickup_code in phone.locator("main").inner_text()
    assert RedemptionItem.objects.get(pk=item.pk).stock == 3
    assert fits_the_screen(phone)

    phone.context.clear_cookies()
    sign_in(phone, staff.username)
    phone.goto("/points/manage/")
    assert fits_the_screen(phone)
    phone.fill(f"#redemption-{redemption.public_id} input[name=pickup_code]", redemption.pickup_code)
    phone.click(f"#redemption-{redemption.public_id} button[type=submit]")
    phone.wait_for_load_state()
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.HANDED_OVER
