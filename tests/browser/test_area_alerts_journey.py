"""A resident on a 360 px phone follows a community at once and ticks a category; a neighbour's public
request there then reaches their inbox, and the resident stops following."""

import pytest

from notifications.area_alerts import area_alert_fan_out
from notifications.models import AreaAlert, AreaAlertSetting, AreaSubscription, Notification, OutboxMessage
from notifications.services import outbox_deliver
from security.models import Role
from tests.browser.test_phone_journeys import fits_the_screen, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_resident_follows_a_community_and_hears_of_a_public_request(
    phone, tree, people, catalogue, make_user, file_request
):
    reader = make_user(Role.RESIDENT, tree.g2)
    sign_in(phone, reader.username)
    phone.goto("/residents/me/")
    phone.click("a[href='/notifications/areas/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    assert tree.g2.name_zh in phone.locator("main").inner_text()  # their own grid, followed by default

    phone.select_option("select[name=area]", str(tree.c1.pk))
    phone.click("form[action='/notifications/areas/follow/'] button[type=submit]")
    phone.wait_for_load_state()
    assert AreaSubscription.objects.filter(user=reader, area=tree.c1).exists()
    phone.check("input[name=mode][value=at_once]")
    phone.check("input[name=service_codes][value=repair]")
    phone.click("form[action='/notifications/areas/'] button[type=submit]")
    phone.wait_for_load_state()
    assert AreaAlertSetting.objects.get(user=reader).mode == "at_once"
    assert fits_the_screen(phone)

    request = file_request()  # public, in G1 of C1
    area_alert_fan_out(key=AreaAlert.objects.get().key)
    for message in OutboxMessage.objects.filter(recipient=reader, channel="in_app"):
        outbox_deliver(message_id=message.pk)
    assert Notification.objects.get(recipient=reader).link == f"/requests/public/{request.public_id}/"
    phone.goto("/notifications/")
    assert (
        request.public_id in phone.locator("main").inner_text() or tree.g1.name_zh in phone.locator("main").inner_text()
    )

    phone.goto("/notifications/areas/")
    phone.click(f"form[action='/notifications/areas/unfollow/']:has(input[value='{tree.c1.pk}']) button")
    phone.wait_for_load_state()
    assert not AreaSubscription.objects.filter(user=reader).exists()
    assert fits_the_screen(phone)
