"""On a 360 px phone: a resident reports a public request as inappropriate, community staff hide
its text, and it is gone from the public list, the public page and Open311."""

import json

import pytest

from participation.models import ModerationReport
from security.models import Role
from services.services import request_file
from tests.browser.test_phone_journeys import fits_the_screen, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "三号楼的李四天天打老婆"


def test_resident_reports_staff_hide_the_text_it_leaves_public_pages_and_open311(
    phone, tree, catalogue, people, make_user
):
    requester = make_user(Role.RESIDENT, tree.g1)
    request = request_file(
        actor=requester,
        requester=requester,
        service=catalogue.repair,
        description=SECRET,
        answers={"facility": "lift"},
        grid=tree.g1,
    )
    neighbour = make_user(Role.RESIDENT, tree.g1)

    sign_in(phone, neighbour.username)
    phone.goto(f"/requests/public/{request.public_id}/")
    assert SECRET in phone.locator("main").inner_text()
    phone.click(f"a[href='/report/request/{request.public_id}/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.check("input[name=reason][value=personal_data]")
    phone.fill("textarea[name=note]", "点名道姓")
    phone.click("main form button[type=submit]")
    phone.wait_for_load_state()
    report = ModerationReport.objects.get(request=request)
    assert (report.reporter, report.status) == (neighbour, "open")

    phone.context.clear_cookies()
    sign_in(phone, people.community.username)
    phone.goto("/moderation/")
    assert fits_the_screen(phone)
    phone.click(f"a[href='/moderation/{report.public_id}/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.check("input[name=decision][value=hide_text]")
    phone.fill("textarea[name=reason]", "涉及他人隐私")
    phone.click("main form button[type=submit]")
    phone.wait_for_load_state()
    report.refresh_from_db()
    assert report.status == "hidden"

    phone.context.clear_cookies()
    phone.goto("/requests/public/")
    main = phone.locator("main").inner_text()
    assert request.public_id in main and SECRET not in main
    phone.goto(f"/requests/public/{request.public_id}/")
    assert SECRET not in phone.locator("main").inner_text()
    assert fits_the_screen(phone)
    for path in ("/open311/v2/requests.json", f"/open311/v2/requests/{request.public_id}.json"):
        documents = json.loads(phone.request.get(path).text())
        assert request.public_id in {d["service_request_id"] for d in documents}
        assert SECRET not in json.dumps(documents, ensure_ascii=False)
