"""A resident on a 360 px phone reads and downloads everything the portal holds about them,
deletes their account, and then cannot sign in (Debian's chromium)."""

import json

import pytest

from residents.models import ResidentProfile
from security import personal_data
from security.models import AuditEvent, User
from tests.browser.test_phone_journeys import fits_the_screen, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_resident_downloads_their_data_deletes_their_account_and_cannot_sign_in_again(
    phone, tree, residents, make_user, file_request, people
):
    resident = people.resident
    ResidentProfile.objects.filter(pk=residents.r1.pk).update(user=resident)
    file_request(description="楼道灯坏了")
    id_number = personal_data.decrypt(residents.r1.id_card_encrypted)

    sign_in(phone, resident.username)
    phone.goto("/residents/me/")
    phone.click("text=平台保存的我的全部信息")
    phone.wait_for_load_state()
    # Signed in a moment ago: the sign-in is the recent authentication a full copy of one's ID
    # number asks for (an older session gives the password again: residents/tests/test_data_rights.py).
    assert phone.url.split("?")[0].endswith("/residents/me/data/")
    text = phone.locator("main").inner_text()
    assert id_number in text and "楼道灯坏了" in text
    assert fits_the_screen(phone)

    with phone.expect_download() as download_info:
        phone.click("text=下载为文件（JSON）")
    data = json.loads(open(download_info.value.path(), encoding="utf-8").read())
    assert data["resident_profile"]["id_card_number"] == id_number
    assert data["service_requests"]["requests"][0]["description"] == "楼道灯坏了"

    for path in ("/residents/me/", "/residents/me/data-uses/", "/residents/me/corrections/", "/residents/me/consents/"):
        phone.goto(path)
        assert fits_the_screen(phone), path
    phone.goto("/residents/me/delete/")
    assert fits_the_screen(phone)
    assert "依法保留" in phone.locator("main").inner_text()
    phone.fill("input[name=password]", PASSWORD)
    phone.check("input[name=confirm]")
    phone.click("button.danger")
    phone.wait_for_load_state()
    assert "账号已注销" in phone.locator("main").inner_text()

    tombstone = User.objects.get(pk=resident.pk)
    assert not tombstone.is_active and tombstone.username.startswith("deleted-")
    assert AuditEvent.objects.filter(action="account.delete", actor=tombstone).exists()
    phone.goto("/accounts/login/")
    phone.fill("input[name=login]", resident.username)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("form[action='/accounts/login/'] button[type=submit]")
    phone.wait_for_load_state()
    assert phone.url.split("?")[0].endswith("/accounts/login/")
    phone.goto("/residents/me/")
    assert "/accounts/login/" in phone.url
