"""What an elderly resident and a grid worker see on a 360 px phone: Chinese, large type, no
sideways scrolling, and the flows they use."""

import pytest

from residents.models import ResidentProfile
from security.models import AuditEvent, Role
from tests.factories import PASSWORD, totp_code

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, username):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_load_state()
    # Staff (enrolled by make_user) give their authenticator's code next. A code counts once, so a
    # second sign-in within its 30 seconds uses the next one (allauth accepts one step either side).
    for step in (0, 1):
        if "/accounts/2fa/authenticate/" not in page.url:
            break
        page.fill("input[name=code]", totp_code(step=step))
        page.click("form[action='/accounts/2fa/authenticate/'] button[type=submit]:not([form])")
        page.wait_for_load_state()


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_home_is_chinese_large_and_fits_a_phone(phone):
    phone.goto("/")
    assert phone.locator("html").get_attribute("lang") == "zh-hans"
    assert "顺庆智慧社区" in phone.locator("h1").inner_text()
    assert fits_the_screen(phone)
    body_px = phone.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert body_px >= 18
    button_height = phone.locator("a.button").first.bounding_box()["height"]
    assert button_height >= 44  # a comfortable touch target


def test_resident_signs_in_and_sees_own_masked_profile(phone, tree, residents, make_user):
    resident = make_user(Role.RESIDENT, tree.g1)
    ResidentProfile.objects.filter(pk=residents.r1.pk).update(user=resident)
    sign_in(phone, resident.username)
    assert phone.url.endswith("/requests/mine/")
    phone.goto("/residents/me/")
    text = phone.locator("main").inner_text()
    assert residents.r1.full_name in text
    assert residents.r1.id_card_masked in text
    assert fits_the_screen(phone)


def test_switching_to_english_and_back(phone):
    phone.goto("/")
    phone.click("button[name=language][value=en]")
    phone.wait_for_load_state()
    assert phone.locator("html").get_attribute("lang") == "en"
    assert "Shunqing Smart Community" in phone.locator("h1").inner_text()
    phone.click("button[name=language][value=zh-hans]")
    phone.wait_for_load_state()
    assert phone.locator("html").get_attribute("lang") == "zh-hans"


def test_grid_worker_finds_a_resident_and_reveals_with_a_record(phone, tree, residents, make_user):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    sign_in(phone, worker.username)
    assert phone.url.endswith("/requests/workbench/")
    phone.goto("/residents/")
    assert fits_the_screen(phone)
    phone.click(f"text={residents.r1.full_name}")
    phone.wait_for_load_state()
    assert residents.r1.id_card_masked in phone.locator("main").inner_text()
    phone.select_option("select[name=purpose]", "handle_request")  # staff say why; the resident sees it
    phone.click("text=显示完整身份证号和手机号")
    phone.wait_for_load_state()
    assert residents.r1.id_card_masked not in phone.locator("main").inner_text()
    assert fits_the_screen(phone)
    assert AuditEvent.objects.filter(action="resident.reveal", actor=worker).count() == 1
