"""On a 360 px phone, a request form sent back opens on its errors and keeps the photo (issue 20)."""

import pytest

from services.models import ServiceRequest, StagedPhoto
from services.tests.test_photos import photo_file
from tests.browser.test_phone_journeys import fits_the_screen, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_form_sent_back_shows_its_errors_first_and_keeps_the_photo(phone, catalogue, people, tree):
    sign_in(phone, people.resident.username)
    phone.goto("/requests/new/repair/")
    phone.fill("textarea[name=description]", "3栋电梯停运，楼上有老人。")
    photo = photo_file()
    phone.set_input_files(
        "input[name=photos]", files=[{"name": "lift.jpg", "mimeType": "image/jpeg", "buffer": photo.read()}]
    )
    # The required question and the place are left out.
    phone.click("button[type=submit]:has-text('提交诉求')")
    phone.wait_for_load_state()
    assert ServiceRequest.objects.count() == 0

    summary = phone.locator("#form-errors")
    assert summary.get_attribute("role") == "alert"
    # It has the focus, and is within the first screen as the page opens: no scrolling to find it.
    assert phone.evaluate("document.activeElement && document.activeElement.id") == "form-errors"
    box = summary.bounding_box()
    height = phone.evaluate("window.innerHeight")
    assert 0 <= box["y"] < height and box["y"] + min(box["height"], 200) <= height
    assert fits_the_screen(phone)
    # Each line leads to its field.
    summary.locator("a[href='#id_grid']").click()
    assert phone.evaluate("location.hash") == "#id_grid"

    # The photo is kept and shown again.
    assert (
        "已上传的照片" in phone.locator("main").inner_text()
        or "Photos already uploaded" in phone.locator("main").inner_text()
    )
    thumbnail = phone.locator("form ul.photos img").first
    thumbnail.scroll_into_view_if_needed()
    phone.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle(), timeout=10_000
    )
    assert StagedPhoto.objects.count() == 1

    phone.check("input[name=attr_facility][value=lift]")
    phone.select_option("select[name=grid]", str(tree.g1.pk))
    phone.click("button[type=submit]:has-text('提交诉求')")
    phone.wait_for_load_state()
    request = ServiceRequest.objects.get()
    assert request.public_id in phone.locator("main").inner_text()
    assert request.photos.count() == 1
    assert StagedPhoto.objects.count() == 0
