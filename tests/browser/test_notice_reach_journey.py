"""On a 360 px phone: community staff publish an urgent notice, a resident reads it, the publisher's
reach page counts the read, and the grid worker's list shows the living-alone elderly who have not
read it and clears one once told in person."""

from datetime import timedelta

import pytest
from django.utils import timezone

from participation.models import Notice, NoticeInformed, NoticeReceipt
from participation.tests.notice_helpers import publish, run_fan_out
from security.models import Role
from tests.browser.test_phone_journeys import fits_the_screen, sign_in
from tests.factories import HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_resident_reads_publisher_sees_it_worker_clears_the_elderly(phone, tree, make_user):
    reader = make_user(Role.RESIDENT, tree.g1)
    ResidentFactory(household=HouseholdFactory(grid=tree.g1), full_name="读者", user=reader)
    elderly_user = make_user(Role.RESIDENT, tree.g1)
    elderly = ResidentFactory(
        household=HouseholdFactory(grid=tree.g1),
        full_name="张奶奶",
        user=elderly_user,
        is_elderly=True,
        lives_alone=True,
    )
    no_account = ResidentFactory(
        household=HouseholdFactory(grid=tree.g1, address="滨江路8号"),
        full_name="李爷爷",
        is_elderly=True,
        lives_alone=True,
    )
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    worker = make_user(Role.GRID_WORKER, tree.g1)
    notice = publish(actor=staff, area=tree.c1, urgent=True, title="防汛紧急通知")
    run_fan_out(notice, deliver_sms=False)

    sign_in(phone, reader.username)
    phone.goto(f"/notices/{notice.public_id}/")
    assert "防汛紧急通知" in phone.locator("main").inner_text()
    assert fits_the_screen(phone)
    assert NoticeReceipt.objects.get(notice=notice, user=reader).read_at is not None

    phone.context.clear_cookies()
    sign_in(phone, staff.username)
    phone.goto(f"/notices/manage/{notice.public_id}/reach/")
    assert fits_the_screen(phone)
    row = phone.locator("tr[data-grid='G1']")
    assert row.locator("[data-col=delivered]").inner_text() == "2"
    assert row.locator("[data-col=read]").inner_text() == "1"
    assert row.locator("[data-col=percent]").inner_text() == "50%"
    assert row.locator("[data-col=elderly]").inner_text() == "2"

    # Two hours and more later, the grid worker's list.
    Notice.objects.filter(pk=notice.pk).update(publish_at=timezone.now() - timedelta(hours=3))
    phone.context.clear_cookies()
    sign_in(phone, worker.username)
    phone.goto("/notices/elderly/")
    assert fits_the_screen(phone)
    rows = phone.locator(".elderly-row")
    assert rows.count() == 2
    text = phone.locator("main").inner_text()
    assert "张奶奶" in text and "李爷爷" in text and "滨江路8号" in text
    phone.click(f".elderly-row[data-resident='{no_account.public_id}'] button[value=visit]")
    phone.wait_for_load_state()
    assert NoticeInformed.objects.filter(notice=notice, resident=no_account, how="visit").exists()
    assert phone.locator(f".elderly-row[data-resident='{no_account.public_id}']").count() == 0
    assert phone.locator(f".elderly-row[data-resident='{elderly.public_id}']").count() == 1
    assert fits_the_screen(phone)
