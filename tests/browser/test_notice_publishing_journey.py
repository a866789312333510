"""Notices on a 360 px phone: community staff publish an urgent notice, a verified resident sees it
first on the home page and reads it (the read is recorded); a property company's notice waits for
the community's approval, then reaches the residents."""

import pytest

from participation.models import Notice, NoticeReceipt, NoticeStatus
from participation.tests.notice_helpers import run_fan_out
from residents.models import ResidentProfile
from security.models import Role
from tests.browser.test_phone_journeys import fits_the_screen, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def write_notice(phone, *, area, title, body, urgent):
    phone.goto("/notices/manage/new/")
    assert fits_the_screen(phone)
    phone.select_option("select[name=area]", str(area.pk))
    phone.fill("input[name=title]", title)
    phone.fill("textarea[name=body]", body)
    phone.select_option("select[name=category]", "water_power")
    if urgent:
        phone.check("input[name=is_urgent]")
    phone.click("button[name=action][value=send]")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)


def test_staff_publish_an_urgent_notice_a_resident_sees_it_at_home_and_reads_it(phone, tree, residents, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    resident = make_user(Role.RESIDENT, tree.g1)
    ResidentProfile.objects.filter(pk=residents.r1.pk).update(user=resident)
    sign_in(phone, staff.username)
    write_notice(phone, area=tree.c1, title="今晚停电抢修", body="今晚8点至10点停电，请备好照明。", urgent=True)
    notice = Notice.objects.get(title="今晚停电抢修")
    assert notice.status == NoticeStatus.PUBLISHED and notice.is_urgent
    assert phone.url.endswith(f"/notices/manage/{notice.public_id}/")
    # A newer, ordinary notice: the urgent one must still come first.
    write_notice(phone, area=tree.c1, title="社区活动通知", body="周六上午打扫卫生。", urgent=False)
    newer = Notice.objects.get(title="社区活动通知")
    for published in (notice, newer):
        run_fan_out(published, deliver_sms=False)  # the background fan-out, here in this process

    phone.context.clear_cookies()
    sign_in(phone, resident.username)
    phone.goto("/")
    assert fits_the_screen(phone)
    items = phone.locator("#home-notices ~ ul li h3 a")
    assert items.first.inner_text() == "今晚停电抢修"
    assert "社区活动通知" in phone.locator("#home-notices ~ ul").inner_text()
    items.first.click()
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    assert "今晚停电抢修" in phone.locator("h1").inner_text()
    assert "今晚8点至10点停电" in phone.locator("main").inner_text()
    assert NoticeReceipt.objects.get(notice=notice, user=resident).read_at is not None
    assert NoticeReceipt.objects.get(notice=newer, user=resident).read_at is None


def test_a_partners_notice_is_approved_by_the_community_then_residents_see_it(
    phone, tree, residents, catalogue, make_user, orgs
):
    partner = make_user(Role.PARTNER_OPERATOR, tree.s1, orgs.partner)
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    resident = make_user(Role.RESIDENT, tree.g1)
    ResidentProfile.objects.filter(pk=residents.r1.pk).update(user=resident)

    sign_in(phone, partner.username)
    write_notice(phone, area=tree.g1, title="管道检修停水", body="周二9点至12点停水。", urgent=False)
    notice = Notice.objects.get(title="管道检修停水")
    assert notice.status == NoticeStatus.AWAITING_APPROVAL

    phone.context.clear_cookies()
    sign_in(phone, staff.username)
    phone.goto("/notices/approvals/")
    assert fits_the_screen(phone)
    phone.click(f"a[href='/notices/approvals/{notice.public_id}/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.click("button[name=decision][value=approve]")
    phone.wait_for_load_state()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED
    assert notice.decided_by == staff

    phone.context.clear_cookies()
    sign_in(phone, resident.username)
    phone.goto("/notices/")
    assert fits_the_screen(phone)
    assert "管道检修停水" in phone.locator("main").inner_text()
