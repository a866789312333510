"""The notice pages: residents' list and reading (with outsiders and anonymous visitors), the
attachment view, publishers' pages, the approval queue, bad input, and query budgets."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from participation import notices as steps
from participation.models import Notice, NoticeCategory, NoticeReceipt, NoticeStatus
from participation.tests.notice_helpers import run_fan_out
from security.models import AuditEvent
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "/notices/"
MANAGE = "/notices/manage/"
NEW = "/notices/manage/new/"
APPROVALS = "/notices/approvals/"


def read_url(notice):
    return f"/notices/{notice.public_id}/"


def attachment_url(notice):
    return f"/notices/{notice.public_id}/attachment/"


def manage_url(notice):
    return f"/notices/manage/{notice.public_id}/"


def approval_url(notice):
    return f"/notices/approvals/{notice.public_id}/"


def draft(actor, area, **overrides):
    arguments = {
        "actor": actor,
        "area": area,
        "title": "停水通知",
        "body": "明天上午停水。",
        "category": NoticeCategory.WATER_POWER,
    } | overrides
    return steps.notice_create(**arguments)


def published(actor, area, **overrides):
    return steps.notice_publish(actor=actor, notice=draft(actor, area, **overrides))


def pdf(name="通知.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")


def png():
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buffer, format="PNG")
    return SimpleUploadedFile("map.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def verified(tree):
    """verified(grid) → an account linked to a register entry in `grid` (a verified resident)."""

    def make(grid, **flags):
        user = UserFactory()
        ResidentFactory(household=HouseholdFactory(grid=grid), user=user, **flags)
        return user

    return make


def form_data(area, **overrides):
    return {
        "area": area.pk,
        "title": "防汛通知",
        "body": "今晚有暴雨，请勿外出。",
        "category": NoticeCategory.FLOOD_DISASTER,
        "audience": "everyone",
        "is_urgent": "on",
        "publish_at": "",
        "expires_at": "",
        "action": "send",
    } | overrides


def ids(response):
    return [notice.pk for notice in response.context["page"]]


# --- reading ---------------------------------------------------------------------------------------


def test_anonymous_reads_a_public_notice_and_its_attachment(client, people, tree):
    notice = published(people.community, tree.c1, attachment=pdf())
    assert notice.pk in ids(client.get(LIST))
    page = client.get(read_url(notice))
    assert page.status_code == 200
    assert notice.title in page.content.decode()
    attachment = client.get(attachment_url(notice))
    assert attachment.status_code == 200
    assert attachment["Content-Type"] == "application/pdf"
    assert attachment["Content-Disposition"].startswith("attachment;")
    assert attachment["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in attachment["Cache-Control"]
    assert b"".join(attachment.streaming_content).startswith(b"%PDF-")


def test_image_attachment_is_shown_inline(client, people, tree):
    notice = published(people.community, tree.c1, attachment=png())
    attachment = client.get(attachment_url(notice))
    assert attachment["Content-Type"] == "image/png"
    assert attachment["Content-Disposition"].startswith("inline;")


def test_elderly_notice_only_for_its_recipients_and_the_staff_over_it(client, people, tree, verified, login, make_user):
    elderly = verified(tree.g1, is_elderly=True, lives_alone=True)
    young = verified(tree.g1)
    notice = published(people.community, tree.c1, audience="elderly_households", attachment=pdf())
    run_fan_out(notice, deliver_sms=False)
    assert NoticeReceipt.objects.filter(notice=notice, user=elderly).exists()
    # Anonymous visitors, a resident who is not a recipient, another community's staff: the same 404.
    for url in (read_url(notice), attachment_url(notice)):
        assert client.get(url).status_code == 404
    assert notice.pk not in ids(client.get(LIST))
    for outsider in (young, people.community_c2, people.worker_g2):
        login(outsider)
        assert client.get(read_url(notice)).status_code == 404
        assert client.get(attachment_url(notice)).status_code == 404
    login(elderly)
    assert notice.pk in ids(client.get(LIST))
    assert client.get(read_url(notice)).status_code == 200
    assert client.get(attachment_url(notice)).status_code == 200
    login(people.subdistrict)
    assert client.get(read_url(notice)).status_code == 200


def test_opening_a_notice_records_the_first_read(client, people, tree, verified, login):
    reader = verified(tree.g1)
    notice = published(people.community, tree.c1)
    run_fan_out(notice, deliver_sms=False)
    login(reader)
    client.get(read_url(notice))
    receipt = NoticeReceipt.objects.get(notice=notice, user=reader)
    first = receipt.read_at
    assert first is not None
    client.get(read_url(notice))
    receipt.refresh_from_db()
    assert receipt.read_at == first


def test_drafts_awaiting_refused_and_withdrawn_notices_are_hidden_from_outsiders(
    client, people, tree, catalogue, login
):
    drafted = draft(people.community, tree.c1)
    awaiting = steps.notice_submit(actor=people.partner, notice=draft(people.partner, tree.c1, title="待审"))
    withdrawn = steps.notice_withdraw(
        actor=people.community, notice=published(people.community, tree.c1), reason="误发"
    )
    later = published(people.community, tree.c1, publish_at=timezone.now() + timedelta(days=1))
    hidden = published(people.community, tree.c1)
    Notice.objects.filter(pk=hidden.pk).update(hidden_at=timezone.now(), hidden_reason="含个人信息")
    unseen = (drafted, awaiting, withdrawn, later, hidden)
    for who in (None, people.resident, people.community_c2, people.partner_other, people.worker_g2):
        if who is not None:
            login(who)
        for notice in unseen:
            assert client.get(read_url(notice)).status_code == 404, (who, notice.status)
        assert set(ids(client.get(LIST))).isdisjoint(n.pk for n in unseen)
    # The author's organisation and the community's staff (who approve) may open them.
    login(people.community)
    for notice in unseen:
        assert client.get(read_url(notice)).status_code == 200
    login(people.partner)
    assert client.get(read_url(awaiting)).status_code == 200


def test_missing_and_malformed_notice_ids_are_404(client):
    assert client.get("/notices/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/notices/not-a-uuid/").status_code == 404


def test_verified_resident_sees_their_area_and_may_look_at_another_community(client, people, tree, verified, login):
    reader = verified(tree.g1)
    own_grid = published(people.worker, tree.g1, title="本网格")
    community = published(people.community, tree.c1, title="本社区")
    district = published(people.leader, tree.d, title="全区")
    elsewhere = published(people.community_c2, tree.c2, title="别的社区")
    sibling_grid = published(people.worker_g1b, tree.g1b, title="隔壁网格")
    login(reader)
    mine = ids(client.get(LIST))
    assert set(mine) == {own_grid.pk, community.pk, district.pk}
    other = ids(client.get(LIST, {"community": tree.c2.pk}))
    assert set(other) == {elsewhere.pk, district.pk}
    # Anyone not verified sees every public notice; a community narrows it.
    client.logout()
    assert set(ids(client.get(LIST))) == {own_grid.pk, community.pk, district.pk, elsewhere.pk, sibling_grid.pk}
    assert set(ids(client.get(LIST, {"community": tree.c1.pk}))) == {
        own_grid.pk,
        community.pk,
        district.pk,
        sibling_grid.pk,
    }


def test_a_forged_community_filter_is_explained_not_an_error(client, people, tree):
    published(people.community, tree.c1)
    response = client.get(LIST, {"community": tree.g1.pk})
    assert response.status_code == 200
    assert ids(response) == []
    assert response.context["filters"].errors


def test_urgent_unexpired_notices_come_first_then_newest(client, people, tree):
    old_urgent = published(people.community, tree.c1, title="紧急", is_urgent=True)
    Notice.objects.filter(pk=old_urgent.pk).update(publish_at=timezone.now() - timedelta(days=3))
    newer = published(people.community, tree.c1, title="普通新")
    older = published(people.community, tree.c1, title="普通旧")
    Notice.objects.filter(pk=older.pk).update(publish_at=timezone.now() - timedelta(days=1))
    assert ids(client.get(LIST)) == [old_urgent.pk, newer.pk, older.pk]


def test_home_page_shows_the_latest_notices_for_the_person(client, people, tree, verified, login):
    reader = verified(tree.g1)
    for n in range(6):
        published(people.community, tree.c1, title=f"社区通知{n}")
    urgent = published(people.community, tree.c1, title="紧急停电", is_urgent=True)
    Notice.objects.filter(pk=urgent.pk).update(publish_at=timezone.now() - timedelta(days=2))
    published(people.community_c2, tree.c2, title="别处的通知")
    login(reader)
    response = client.get("/")
    shown = [notice.title for notice in response.context["notices"]]
    assert len(shown) == 5
    assert shown[0] == "紧急停电"
    assert "别处的通知" not in shown
    assert 'href="/notices/"' in response.content.decode()


# --- publishing ------------------------------------------------------------------------------------


def test_anonymous_and_residents_cannot_reach_the_publishing_pages(client, people, tree, login):
    notice = draft(people.community, tree.c1)
    for url in (MANAGE, NEW, manage_url(notice), APPROVALS):
        assert client.get(url)["Location"].startswith("/accounts/login/")
    login(people.resident)
    for url in (MANAGE, NEW, manage_url(notice), APPROVALS):
        assert client.get(url).status_code == 403


def test_community_staff_publish_an_urgent_notice_from_the_form(client, people, tree, login):
    login(people.community)
    response = client.post(NEW, form_data(tree.c1))
    notice = Notice.objects.get()
    assert response["Location"] == manage_url(notice)
    assert notice.status == NoticeStatus.PUBLISHED
    assert notice.is_urgent
    assert notice.author == people.community
    page = client.get(manage_url(notice))
    assert page.status_code == 200
    assert notice.pk in ids(client.get(MANAGE))


def test_a_draft_is_saved_then_edited_then_sent(client, people, tree, login):
    login(people.community)
    client.post(NEW, form_data(tree.c1, action="save", is_urgent=""))
    notice = Notice.objects.get()
    assert notice.status == NoticeStatus.DRAFT
    page = client.get(manage_url(notice))
    assert 'name="title"' in page.content.decode()
    client.post(manage_url(notice), form_data(tree.g1, title="改后的标题", action="send", attachment=pdf()))
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED
    assert (notice.title, notice.area, notice.attachment_content_type) == ("改后的标题", tree.g1, "application/pdf")
    assert list(
        AuditEvent.objects.filter(object_id=str(notice.pk)).order_by("id").values_list("action", flat=True)
    ) == ["notice.create", "notice.update", "notice.publish"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"body": "  "}, "body"),
        ({"publish_at": "2030-01-02T10:00", "expires_at": "2030-01-01T10:00"}, "expires_at"),
        ({"attachment": "text"}, "attachment"),
        ({"attachment": "large"}, "attachment"),
    ],
)
def test_bad_input_on_the_form_is_explained_and_changes_nothing(
    client, people, tree, login, settings, overrides, field
):
    if overrides.get("attachment") == "text":
        overrides = {"attachment": SimpleUploadedFile("a.pdf", b"just text", content_type="application/pdf")}
    elif overrides.get("attachment") == "large":
        settings.NOTICE_ATTACHMENT_MAX_BYTES = 5
        overrides = {"attachment": pdf()}
    login(people.community)
    response = client.post(NEW, form_data(tree.c1, **overrides))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not Notice.objects.exists()


def test_another_communitys_staff_cannot_publish_there_with_a_forged_area(client, people, tree, login):
    login(people.community_c2)
    response = client.post(NEW, form_data(tree.c1))
    assert response.status_code == 400
    assert response.context["form"].errors["area"]
    assert not Notice.objects.exists()


def test_a_partner_cannot_publish_outside_its_routing_areas(client, people, tree, catalogue, login):
    login(people.partner)
    for area in (tree.c2, tree.g2, tree.s1):
        response = client.post(NEW, form_data(area))
        assert response.status_code == 400
        assert response.context["form"].errors["area"]
    assert not Notice.objects.exists()


def test_another_communitys_staff_cannot_see_or_change_drafts_there(client, people, tree, login):
    notice = draft(people.community, tree.c1)
    login(people.community_c2)
    assert client.get(manage_url(notice)).status_code == 404
    assert client.post(manage_url(notice), form_data(tree.c2)).status_code == 404
    assert client.post(f"{manage_url(notice)}withdraw/", {"withdraw-reason": "x"}).status_code == 404
    assert notice.pk not in ids(client.get(MANAGE))
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.DRAFT


def test_publisher_page_shows_fan_out_progress(client, people, tree, verified, login):
    verified(tree.g1)
    verified(tree.g1b)
    notice = published(people.community, tree.c1)
    run_fan_out(notice, deliver_sms=False)
    login(people.community)
    response = client.get(manage_url(notice))
    assert response.context["notice"].recipients_total == 2
    assert response.context["notice"].recipients_done == 2
    assert 'value="2"' in response.content.decode()
    assert f'href="/notices/manage/{notice.public_id}/reach/"' in response.content.decode()


def test_withdraw_from_the_publisher_page(client, people, tree, login):
    notice = published(people.community, tree.c1)
    login(people.community)
    client.post(f"{manage_url(notice)}withdraw/", {"withdraw-reason": ""})
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED
    client.post(f"{manage_url(notice)}withdraw/", {"withdraw-reason": "时间写错"})
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.WITHDRAWN


def test_navigation_links_readers_publishers_and_approvers(client, people, tree, login):
    def nav(user):
        login(user)
        return [href for href, _label in client.get("/").context["nav_links"]]

    assert "/notices/" in nav(people.resident)
    for publisher in (people.worker, people.partner, people.leader):
        assert MANAGE in nav(publisher)
        assert APPROVALS not in nav(publisher)
    assert {MANAGE, APPROVALS} <= set(nav(people.community))


# --- approvals -------------------------------------------------------------------------------------


def test_partner_notice_is_approved_from_the_queue(client, people, tree, catalogue, login):
    login(people.partner)
    client.post(NEW, form_data(tree.g1, title="停水：嘉和小区"))
    notice = Notice.objects.get()
    assert notice.status == NoticeStatus.AWAITING_APPROVAL
    # Another community's staff see nothing of it; the community's staff do.
    login(people.community_c2)
    assert ids_of_queue(client) == []
    assert client.get(approval_url(notice)).status_code == 404
    assert client.post(approval_url(notice), {"decision": "approve"}).status_code == 404
    login(people.community)
    assert ids_of_queue(client) == [notice.pk]
    assert client.get(approval_url(notice)).status_code == 200
    response = client.post(approval_url(notice), {"decision": "approve"})
    assert response["Location"] == APPROVALS
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED
    assert client.get(approval_url(notice)).status_code == 404


def ids_of_queue(client):
    return [notice.pk for notice in client.get(APPROVALS).context["waiting"]]


def test_refusal_without_a_reason_is_explained_and_the_reason_reaches_the_author(
    client, people, tree, catalogue, login
):
    notice = steps.notice_submit(actor=people.partner, notice=draft(people.partner, tree.c1))
    login(people.community)
    response = client.post(approval_url(notice), {"decision": "refuse", "reason": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["reason"]
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.AWAITING_APPROVAL
    client.post(approval_url(notice), {"decision": "refuse", "reason": "请补充停水时间"})
    login(people.partner)
    page = client.get(manage_url(notice))
    assert "请补充停水时间" in page.content.decode()
    login(people.partner_other)
    assert client.get(manage_url(notice)).status_code == 404


def test_grid_workers_do_not_approve(client, people, tree, catalogue, login):
    notice = steps.notice_submit(actor=people.partner, notice=draft(people.partner, tree.g1))
    login(people.worker)
    assert client.get(APPROVALS).status_code == 403
    assert client.post(approval_url(notice), {"decision": "approve"}).status_code == 403


# --- query budgets ---------------------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_notice_list_queries_do_not_grow_with_rows(client, people, tree, verified, login):
    login(verified(tree.g1))
    published(people.community, tree.c1)
    few = count_queries(client, LIST)
    for n in range(8):
        published(people.community, tree.c1, title=f"n{n}", is_urgent=n % 2 == 0)
    assert count_queries(client, LIST) == few
    client.logout()
    assert count_queries(client, LIST) <= 4


def test_manage_list_queries_do_not_grow_with_rows(client, people, tree, catalogue, login):
    login(people.community)
    published(people.community, tree.c1)
    few = count_queries(client, MANAGE)
    for n in range(5):
        published(people.community, tree.c1, title=f"n{n}")
        steps.notice_submit(actor=people.partner, notice=draft(people.partner, tree.c1, title=f"p{n}"))
    assert count_queries(client, MANAGE) == few


def test_approval_queue_queries_do_not_grow_with_rows(client, people, tree, catalogue, login):
    login(people.community)
    steps.notice_submit(actor=people.partner, notice=draft(people.partner, tree.c1))
    few = count_queries(client, APPROVALS)
    for n in range(6):
        steps.notice_submit(actor=people.partner, notice=draft(people.partner, tree.g1, title=f"p{n}"))
    assert count_queries(client, APPROVALS) == few


def test_home_page_queries_do_not_grow_with_notices(client, people, tree, verified, login):
    login(verified(tree.g1))
    published(people.community, tree.c1)
    few = count_queries(client, "/")
    for n in range(6):
        published(people.community, tree.c1, title=f"n{n}")
    assert count_queries(client, "/") == few
