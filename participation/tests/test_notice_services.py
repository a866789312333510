"""Writing notices (participation.notices): who may address which area, drafts, publication at
once or by approval, refusal, withdrawal, attachments, and bad input that changes nothing."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import ExifTags, Image

from participation import notices as steps
from participation.models import Notice, NoticeCategory, NoticeStatus
from participation.notice_selectors import notice_publishable_areas, notices_for_reader
from security.models import AuditEvent

pytestmark = pytest.mark.django_db


def draft(actor, area, **overrides):
    arguments = {
        "actor": actor,
        "area": area,
        "title": "停水通知",
        "body": "明天上午9点至下午5点停水，请提前储水。",
        "category": NoticeCategory.WATER_POWER,
    } | overrides
    return steps.notice_create(**arguments)


@pytest.fixture
def fan_outs(monkeypatch):
    """The notices handed to the fan-out (participation.notice_delivery's own tests cover what it does)."""
    queued = []
    monkeypatch.setattr(steps, "notice_fan_out_queue", lambda *, notice: queued.append(notice.pk))
    return queued


def png_with_exif() -> SimpleUploadedFile:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, format="PNG", exif=exif)
    return SimpleUploadedFile("停水范围.png", buffer.getvalue(), content_type="image/png")


def pdf_file(name="通知.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="text/plain")


# --- reach ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "allowed", "refused"),
    [
        ("worker", ["g1"], ["g1b", "c1", "g2"]),
        ("community", ["c1", "g1", "g1b"], ["c2", "g2", "s1"]),
        ("subdistrict", ["s1", "c1", "g1"], ["s2", "c2", "d"]),
        ("leader", ["d", "s2", "c2", "g1"], []),
    ],
)
def test_staff_publish_to_their_own_subtree_only(people, tree, fan_outs, who, allowed, refused):
    actor = getattr(people, who)
    for name in allowed:
        notice = steps.notice_publish(actor=actor, notice=draft(actor, getattr(tree, name)))
        assert notice.status == NoticeStatus.PUBLISHED
        assert notice.organisation is None
    for name in refused:
        with pytest.raises(ValidationError) as caught:
            draft(actor, getattr(tree, name))
        assert "area" in caught.value.message_dict
    assert len(fan_outs) == len(allowed)
    assert Notice.objects.count() == len(allowed)


def test_residents_and_auditors_publish_nowhere(people, tree, make_user):
    from security.models import Role

    for actor in (people.resident, make_user(Role.AUDITOR, tree.d)):
        with pytest.raises(ValidationError):
            draft(actor, tree.g1)
        assert notice_publishable_areas(user=actor) == []


def test_partner_addresses_communities_and_grids_its_routing_covers(people, tree, orgs, catalogue):
    # The catalogue routes repairs in subdistrict S1 to the partner, district-wide to the department.
    notice = draft(people.partner, tree.c1)
    assert notice.organisation == orgs.partner
    assert draft(people.partner, tree.g1b).organisation == orgs.partner
    for outside in (tree.c2, tree.g2, tree.s1, tree.d):
        with pytest.raises(ValidationError):
            draft(people.partner, outside)
    areas = {area.code: needs for area, needs in notice_publishable_areas(user=people.partner)}
    assert areas == {"C1": True, "G1": True, "G1b": True}
    assert draft(people.dept, tree.g2).organisation == orgs.dept


def test_partner_without_routing_rules_publishes_nowhere(people, tree):
    with pytest.raises(ValidationError):
        draft(people.partner, tree.c1)


# --- approval ------------------------------------------------------------------------------------


def test_partner_notice_waits_for_the_community_then_is_published(people, tree, catalogue, fan_outs):
    notice = draft(people.partner, tree.g1)
    with pytest.raises(ValidationError):
        steps.notice_publish(actor=people.partner, notice=notice)
    notice = steps.notice_send(actor=people.partner, notice=notice)
    assert notice.status == NoticeStatus.AWAITING_APPROVAL
    assert fan_outs == []
    assert list(notices_for_reader(user=people.resident)) == []

    for outsider in (people.community_c2, people.worker, people.partner):
        with pytest.raises(PermissionDenied):
            steps.notice_approve(actor=outsider, notice=notice)
    notice = steps.notice_approve(actor=people.community, notice=notice)
    assert notice.status == NoticeStatus.PUBLISHED
    assert notice.decided_by == people.community
    assert fan_outs == [notice.pk]
    assert list(notices_for_reader(user=people.resident)) == [notice]
    actions = list(AuditEvent.objects.filter(object_id=str(notice.pk)).values_list("action", flat=True))
    assert actions == ["notice.create", "notice.submit", "notice.approve"]
    with pytest.raises(ValidationError):
        steps.notice_approve(actor=people.community, notice=notice)


def test_refusal_needs_a_reason_the_author_sees_and_the_edit_goes_back_for_approval(people, tree, catalogue, fan_outs):
    notice = steps.notice_submit(actor=people.partner, notice=draft(people.partner, tree.c1))
    with pytest.raises(ValidationError) as caught:
        steps.notice_refuse(actor=people.community, notice=notice, reason="  ")
    assert "reason" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        steps.notice_refuse(actor=people.community_c2, notice=notice, reason="不是你们社区")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.AWAITING_APPROVAL

    notice = steps.notice_refuse(actor=people.community, notice=notice, reason="请写明停水的具体楼栋")
    assert notice.status == NoticeStatus.REFUSED
    assert notice.refusal_reason == "请写明停水的具体楼栋"
    event = AuditEvent.objects.get(action="notice.refuse")
    assert event.details["reason"] == "请写明停水的具体楼栋"

    notice = steps.notice_update(
        actor=people.partner,
        notice=notice,
        area=tree.c1,
        title="停水通知（1-3栋）",
        body="1-3栋明天停水。",
        category=NoticeCategory.WATER_POWER,
        audience="everyone",
        is_urgent=True,
        publish_at=None,
        expires_at=None,
    )
    assert notice.status == NoticeStatus.DRAFT
    notice = steps.notice_send(actor=people.partner, notice=notice)
    assert notice.status == NoticeStatus.AWAITING_APPROVAL
    assert notice.refusal_reason == ""
    assert fan_outs == []


# --- scheduling, expiry, withdrawal ----------------------------------------------------------------


def test_scheduled_notice_is_published_but_unseen_until_its_time(people, tree, fan_outs):
    later = timezone.now() + timedelta(hours=3)
    notice = steps.notice_publish(actor=people.community, notice=draft(people.community, tree.c1, publish_at=later))
    assert notice.status == NoticeStatus.PUBLISHED
    assert notice.publish_at == later
    assert fan_outs == [notice.pk]  # the fan-out itself waits for publish_at (notice_fan_out_queue)
    assert list(notices_for_reader(user=people.resident)) == []
    Notice.objects.filter(pk=notice.pk).update(publish_at=timezone.now() - timedelta(minutes=1))
    assert list(notices_for_reader(user=people.resident)) == [notice]


def test_immediate_publication_of_an_old_draft_is_dated_now(people, tree, fan_outs):
    notice = draft(people.community, tree.c1)
    Notice.objects.filter(pk=notice.pk).update(publish_at=timezone.now() - timedelta(days=2))
    before = timezone.now()
    notice = steps.notice_publish(actor=people.community, notice=notice)
    assert notice.publish_at >= before


def test_expired_notices_leave_the_list_and_cannot_be_published(people, tree, fan_outs):
    notice = draft(people.community, tree.c1, expires_at=timezone.now() + timedelta(hours=1))
    Notice.objects.filter(pk=notice.pk).update(
        publish_at=timezone.now() - timedelta(hours=3), expires_at=timezone.now() - timedelta(hours=1)
    )
    with pytest.raises(ValidationError):
        steps.notice_publish(actor=people.community, notice=notice)
    assert fan_outs == []


def test_withdraw_needs_a_reason_and_is_audited(people, tree, fan_outs):
    notice = steps.notice_publish(actor=people.community, notice=draft(people.community, tree.c1))
    with pytest.raises(ValidationError):
        steps.notice_withdraw(actor=people.community, notice=notice, reason="")
    with pytest.raises(PermissionDenied):
        steps.notice_withdraw(actor=people.community_c2, notice=notice, reason="误发")
    notice = steps.notice_withdraw(actor=people.community, notice=notice, reason="时间有误，重新发布")
    assert notice.status == NoticeStatus.WITHDRAWN
    assert AuditEvent.objects.get(action="notice.withdraw").details["reason"] == "时间有误，重新发布"
    assert list(notices_for_reader(user=people.resident)) == []
    with pytest.raises(ValidationError):
        steps.notice_withdraw(actor=people.community, notice=notice, reason="再撤一次")


def test_community_staff_may_withdraw_a_partner_notice_in_their_community(people, tree, catalogue, fan_outs):
    notice = steps.notice_submit(actor=people.partner, notice=draft(people.partner, tree.c1))
    notice = steps.notice_approve(actor=people.community, notice=notice)
    notice = steps.notice_withdraw(actor=people.community, notice=notice, reason="停水已取消")
    assert notice.status == NoticeStatus.WITHDRAWN


def test_a_published_notice_cannot_be_edited(people, tree, fan_outs):
    notice = steps.notice_publish(actor=people.community, notice=draft(people.community, tree.c1))
    with pytest.raises(ValidationError):
        steps.notice_update(
            actor=people.community,
            notice=notice,
            area=tree.c1,
            title="改",
            body="改",
            category=NoticeCategory.OTHER,
            audience="everyone",
            is_urgent=False,
            publish_at=None,
            expires_at=None,
        )


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "   "}, "title"),
        ({"body": ""}, "body"),
        ({"title": "长" * 121}, "title"),
        ({"category": "lottery"}, "category"),
        ({"audience": "nobody"}, "audience"),
        ({"expires_at": "past"}, "expires_at"),
    ],
)
def test_bad_input_is_explained_and_changes_nothing(people, tree, overrides, field):
    if overrides.get("expires_at") == "past":
        publish_at = timezone.now() + timedelta(days=1)
        overrides = {"publish_at": publish_at, "expires_at": publish_at - timedelta(hours=1)}
    with pytest.raises(ValidationError) as caught:
        draft(people.community, tree.c1, **overrides)
    assert field in caught.value.message_dict
    assert not Notice.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="notice.").exists()


# --- attachments -----------------------------------------------------------------------------------


def test_image_attachment_is_re_encoded_without_exif(people, tree):
    upload = png_with_exif()
    assert b"SpyCam" in upload.read()
    notice = draft(people.community, tree.c1, attachment=upload)
    assert notice.attachment_content_type == "image/png"
    assert notice.attachment_name == "停水范围.png"
    stored = notice.attachment.read()
    assert b"SpyCam" not in stored
    assert notice.attachment.name.startswith("notice-attachments/")
    assert "停水" not in notice.attachment.name  # stored under a random name
    assert notice.attachment_size == len(stored)


def test_pdf_is_known_by_its_first_bytes_not_its_name(people, tree):
    notice = draft(people.community, tree.c1, attachment=pdf_file("scan.txt"))
    assert notice.attachment_content_type == "application/pdf"
    assert notice.attachment.name.endswith(".pdf")


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("fake.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf"),
        SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\nnot really a png", content_type="image/png"),
        SimpleUploadedFile("table.xlsx", b"PK\x03\x04 spreadsheet", content_type="application/vnd.ms-excel"),
    ],
)
def test_attachment_that_is_not_an_image_or_pdf_is_refused(people, tree, upload):
    with pytest.raises(ValidationError) as caught:
        draft(people.community, tree.c1, attachment=upload)
    assert "attachment" in caught.value.message_dict
    assert not Notice.objects.exists()


def test_attachment_over_the_size_limit_is_refused(people, tree, settings):
    settings.NOTICE_ATTACHMENT_MAX_BYTES = 20
    with pytest.raises(ValidationError) as caught:
        draft(people.community, tree.c1, attachment=pdf_file())
    assert "attachment" in caught.value.message_dict
    assert not Notice.objects.exists()


def test_attachment_can_be_replaced_and_removed_on_a_draft(people, tree):
    notice = draft(people.community, tree.c1, attachment=pdf_file())
    arguments = {
        "actor": people.community,
        "notice": notice,
        "area": tree.c1,
        "title": notice.title,
        "body": notice.body,
        "category": notice.category,
        "audience": notice.audience,
        "is_urgent": False,
        "publish_at": None,
        "expires_at": None,
    }
    notice = steps.notice_update(**arguments, attachment=png_with_exif())
    assert notice.attachment_content_type == "image/png"
    notice = steps.notice_update(**arguments | {"notice": notice}, remove_attachment=True)
    assert not notice.attachment
    assert notice.attachment_size == 0


# --- telling people --------------------------------------------------------------------------------


def test_approvers_are_told_of_a_waiting_notice_and_the_author_of_the_decision(
    people, tree, catalogue, fan_outs, make_user
):
    from notifications.models import OutboxMessage
    from security.models import Role

    colleague = make_user(Role.COMMUNITY_STAFF, tree.c1)
    notice = steps.notice_submit(actor=people.partner, notice=draft(people.partner, tree.g1, title="电梯年检"))
    told = set(OutboxMessage.objects.filter(kind="notice.awaiting_approval").values_list("recipient_id", flat=True))
    assert told == {people.community.pk, colleague.pk}  # not another community's staff, nor grid workers
    message = OutboxMessage.objects.filter(kind="notice.awaiting_approval").first()
    assert "电梯年检" in message.title
    assert message.link == f"/notices/approvals/{notice.public_id}/"

    steps.notice_refuse(actor=people.community, notice=notice, reason="请写明停运时间")
    refusal = OutboxMessage.objects.get(kind="notice.decided", recipient=people.partner, channel="in_app")
    assert "请写明停运时间" in refusal.body
    assert refusal.link == f"/notices/manage/{notice.public_id}/"

    notice = steps.notice_submit(actor=people.partner, notice=notice)
    steps.notice_approve(actor=colleague, notice=notice)
    assert OutboxMessage.objects.filter(kind="notice.decided", recipient=people.partner, channel="in_app").count() == 2
    assert OutboxMessage.objects.filter(kind="notice.awaiting_approval", recipient=people.community).count() >= 2
