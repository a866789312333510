"""A request's whole life in a real browser on a phone-sized screen: a resident files it, the grid
worker accepts and resolves it, the resident confirms and rates it; and staff file for a caller."""

import pytest

from services.models import ServiceRequest
from services.tests.test_photos import photo_file
from tests.browser.test_phone_journeys import fits_the_screen, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def sign_out(page):
    page.click("form[action='/accounts/logout/'] button")
    page.wait_for_load_state()


def test_resident_files_worker_resolves_resident_confirms_and_rates(phone, catalogue, people, tree):
    sign_in(phone, people.resident.username)
    phone.goto("/requests/new/")
    phone.click("a.choice:has-text('维修')")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.fill("textarea[name=description]", "3栋电梯停运，楼上有老人。")
    phone.check("input[name=attr_facility][value=lift]")
    phone.select_option("select[name=grid]", str(tree.g1.pk))
    photo = photo_file()
    phone.set_input_files(
        "input[name=photos]", files=[{"name": "lift.jpg", "mimeType": "image/jpeg", "buffer": photo.read()}]
    )
    phone.click("button[type=submit]:has-text('提交诉求')")
    phone.wait_for_load_state()
    request = ServiceRequest.objects.get()
    assert request.public_id in phone.locator("main").inner_text()
    assert "已提交" in phone.locator("main").inner_text()
    shown = phone.locator(".photos img").first
    shown.wait_for()
    # The timeline's photos load lazily: bring it on screen, then wait until it has decoded.
    shown.scroll_into_view_if_needed()
    phone.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=shown.element_handle(), timeout=10_000)
    sign_out(phone)

    sign_in(phone, people.worker.username)
    assert request.public_id in phone.locator("main").inner_text()  # the workbench lists it
    phone.click(f"ul.list a:has-text('{request.service.name_zh}')")
    phone.wait_for_load_state()
    phone.click("button:has-text('受理')")
    phone.wait_for_load_state()
    assert "已受理" in phone.locator("main").inner_text()
    phone.select_option("select[name=assignee]", str(people.worker.pk))
    phone.click("button:has-text('派单')")
    phone.wait_for_load_state()
    phone.click("button:has-text('开始处理')")
    phone.wait_for_load_state()
    phone.fill("#resolve-text", "已联系电梯维保单位修复。")
    phone.click("button:has-text('标记为已解决')")
    phone.wait_for_load_state()
    assert "已解决" in phone.locator("main").inner_text()
    assert fits_the_screen(phone)
    sign_out(phone)

    sign_in(phone, people.resident.username)
    phone.goto(f"/requests/{request.public_id}/")
    assert "已联系电梯维保单位修复。" in phone.locator("main").inner_text()
    phone.click("button:has-text('已经修好了')")
    phone.wait_for_load_state()
    phone.check("input[name=score][value='5']")
    phone.fill("#rate-text", "很及时")
    phone.click("button:has-text('提交评价')")
    phone.wait_for_load_state()
    request.refresh_from_db()
    assert (request.status, request.rating) == ("closed", 5)
    assert "5 / 5" in phone.locator("main").inner_text()


def test_staff_file_for_a_resident_who_phoned(phone, catalogue, people, tree):
    sign_in(phone, people.worker.username)
    phone.goto("/requests/new/repair/")
    phone.fill("textarea[name=description]", "王大爷来电：单元门坏了。")
    phone.check("input[name=attr_facility][value=door]")
    phone.select_option("select[name=grid]", str(tree.g1.pk))
    phone.select_option("select[name=channel]", "phone")
    phone.fill("input[name=contact_name]", "王大爷")
    phone.fill("input[name=contact_phone]", "13900001111")
    phone.click("button[type=submit]:has-text('提交诉求')")
    phone.wait_for_load_state()
    request = ServiceRequest.objects.get()
    assert (request.channel, request.contact_name, request.filed_by) == ("phone", "王大爷", people.worker)
    assert "139****1111" in phone.locator("main").inner_text()
