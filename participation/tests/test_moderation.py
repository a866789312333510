"""Moderation's write functions (issue 16, item 6): reporting once, hiding the text, the photos, a
message or a notice, dismissing; the author told, every step audited, bad input changing nothing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from notifications.models import OutboxMessage
from participation import moderation
from participation.models import ModerationReport, Notice
from participation.tests.moderation_support import *  # noqa: F403 - the fixtures
from participation.tests.moderation_support import photo_upload
from security.models import AuditEvent
from services.models import RequestEvent, RequestPhoto, ServiceRequest
from services.selectors import request_public_get

pytestmark = pytest.mark.django_db
R = ModerationReport


def test_a_resident_reports_a_public_request_once_while_open(public_request, people):
    report = moderation.report_file(reporter=people.other_resident, request=public_request, reason="offensive")
    assert (report.target, report.area, report.status) == ("request", public_request.grid, "open")
    assert AuditEvent.objects.filter(action="moderation.report", object_id=str(report.pk)).exists()
    with pytest.raises(ValidationError, match="already reported"):
        moderation.report_file(reporter=people.other_resident, request=public_request, reason="spam")
    assert R.objects.count() == 1
    # Someone else may report it too, and the first reporter again once it is decided.
    moderation.report_file(reporter=people.worker_g2, request=public_request, reason="spam")
    moderation.report_decide(report=report, actor=people.community, decision="dismiss", reason="没有问题")
    moderation.report_file(reporter=people.other_resident, request=public_request, reason="false")
    assert R.objects.filter(status="open").count() == 1


@pytest.mark.parametrize(
    ("reason", "note", "message"),
    [("bogus", "", "Choose a reason"), ("", "", "Choose a reason"), ("spam", "x" * 1001, "At most")],
)
def test_bad_report_input_changes_nothing(public_request, people, reason, note, message):
    with pytest.raises(ValidationError, match=message):
        moderation.report_file(reporter=people.other_resident, request=public_request, reason=reason, note=note)
    assert not R.objects.exists()


def test_a_private_request_or_a_forged_message_cannot_be_reported(
    public_request, private_request, public_message, people
):
    with pytest.raises(ValidationError):
        moderation.report_file(reporter=people.other_resident, request=private_request, reason="spam")
    internal = RequestEvent.objects.create(request=public_request, kind="note", message="内部", is_public=False)
    with pytest.raises(ValidationError):
        moderation.report_file(reporter=people.other_resident, request=public_request, comment=internal, reason="spam")
    # A message of one request named with another request.
    with pytest.raises(ValidationError):
        moderation.report_file(
            reporter=people.other_resident, request=private_request, comment=public_message, reason="spam"
        )
    assert not R.objects.exists()


def test_reports_are_rate_limited(file_request, people, settings):
    requests = [file_request(description=f"第{n}件") for n in range(moderation.REPORTS_PER_HOUR + 1)]
    for request in requests[:-1]:
        moderation.report_file(reporter=people.other_resident, request=request, reason="spam")
    with pytest.raises(ValidationError, match="many reports"):
        moderation.report_file(reporter=people.other_resident, request=requests[-1], reason="spam")
    assert R.objects.count() == moderation.REPORTS_PER_HOUR


def test_hiding_the_text_decides_every_open_report_tells_the_author_and_is_audited(
    public_request, people, django_capture_on_commit_callbacks
):
    first = moderation.report_file(reporter=people.other_resident, request=public_request, reason="offensive")
    second = moderation.report_file(reporter=people.worker_g2, request=public_request, reason="personal_data")
    with django_capture_on_commit_callbacks(execute=True):
        decided = moderation.report_decide(
            report=first, actor=people.community, decision="hide_text", reason="点名道姓，涉及他人"
        )
    assert {r.pk for r in decided} == {first.pk, second.pk}
    for report in (first, second):
        report.refresh_from_db()
        assert (report.status, report.hidden_part, report.decided_by) == ("hidden", "text", people.community)
        assert report.decision_reason == "点名道姓，涉及他人"
    public_request.refresh_from_db()
    assert public_request.public_text_hidden_at is not None
    assert public_request.public_text_hidden_reason == "点名道姓，涉及他人"
    view = request_public_get(public_id=public_request.public_id)
    assert view.description_hidden and view.description == ""
    told = OutboxMessage.objects.filter(recipient=people.resident, kind="moderation.hidden")
    assert told.exists() and "点名道姓" in told.first().body
    assert OutboxMessage.objects.filter(recipient=people.other_resident, kind="moderation.decided").exists()
    assert AuditEvent.objects.filter(action="moderation.hide").count() == 1
    assert AuditEvent.objects.filter(action="request.public_text_hide", object_id=str(public_request.pk)).exists()
    # Nothing is left to decide.
    with pytest.raises(ValidationError, match="already been decided"):
        moderation.report_decide(report=first, actor=people.community, decision="dismiss", reason="再来")


def test_hiding_photos_takes_them_off_the_public_page(public_request, people):
    moderation.request_photos_fit_set(
        actor=people.worker, request=public_request, photo_ids=[p.public_id for p in public_request.photos.all()]
    )
    assert len(request_public_get(public_id=public_request.public_id).photo_ids) == 2
    assert AuditEvent.objects.filter(action="request.photos_public").count() == 1
    report = moderation.report_file(reporter=people.other_resident, request=public_request, reason="personal_data")
    moderation.report_decide(report=report, actor=people.worker, decision="hide_photos", reason="照片里有门牌号")
    assert request_public_get(public_id=public_request.public_id).photo_ids == ()
    assert not RequestPhoto.objects.filter(public_fit_at__isnull=False).exists()
    report.refresh_from_db()
    assert (report.status, report.hidden_part) == ("hidden", "photos")
    # The description stays.
    assert request_public_get(public_id=public_request.public_id).description == public_request.description


def test_photos_are_off_the_public_page_until_marked_fit_and_a_forged_photo_is_refused(
    public_request, private_request, people, file_request
):
    assert request_public_get(public_id=public_request.public_id).photo_ids == ()
    first, second = public_request.photos.order_by("id")
    moderation.request_photos_fit_set(actor=people.community, request=public_request, photo_ids=[first.public_id])
    assert request_public_get(public_id=public_request.public_id).photo_ids == (first.public_id,)
    other = file_request(description="别的", photos=[photo_upload()])
    with pytest.raises(ValidationError):
        moderation.request_photos_fit_set(
            actor=people.community, request=public_request, photo_ids=[other.photos.get().public_id]
        )
    assert request_public_get(public_id=public_request.public_id).photo_ids == (first.public_id,)
    # Undo.
    moderation.request_photos_fit_set(actor=people.community, request=public_request, photo_ids=[])
    assert request_public_get(public_id=public_request.public_id).photo_ids == ()
    for outsider in (people.community_c2, people.partner, people.resident):
        with pytest.raises(PermissionDenied):
            moderation.request_photos_fit_set(actor=outsider, request=public_request, photo_ids=[first.public_id])
    with pytest.raises(ValidationError):
        moderation.request_photos_fit_set(actor=people.community, request=private_request, photo_ids=[])


def test_hiding_a_message_removes_it_from_the_public_timeline_and_tells_its_author(public_message, people):
    request = public_message.request
    assert [c.message for c in request_public_get(public_id=request.public_id).status_changes if c.message]
    report = moderation.report_file(
        reporter=people.other_resident, request=request, comment=public_message, reason="offensive"
    )
    assert report.target == "comment"
    moderation.report_decide(report=report, actor=people.community, decision="hide_text", reason="不当言论")
    public_message.refresh_from_db()
    assert public_message.hidden_at is not None and public_message.hidden_reason == "不当言论"
    changes = request_public_get(public_id=request.public_id).status_changes
    assert "已受理，明天去看" not in [c.message for c in changes]
    assert OutboxMessage.objects.filter(recipient=people.worker, kind="moderation.hidden").exists()
    # A comment has no photos to hide.
    again = moderation.report_file(reporter=people.worker_g2, request=request, reason="spam")
    with pytest.raises(ValidationError):
        moderation.report_decide(report=again, actor=people.community, decision="bogus", reason="x")


def test_hiding_a_notice_sets_its_hidden_fields_and_tells_its_author(published_notice, people):
    report = moderation.report_file(reporter=people.resident, notice=published_notice, reason="false")
    assert (report.target, report.area_id) == ("notice", published_notice.area_id)
    # A grid worker is not over the community the notice addresses; the subdistrict officer is.
    with pytest.raises(PermissionDenied):
        moderation.report_decide(report=report, actor=people.worker, decision="hide_text", reason="内容不实")
    moderation.report_decide(report=report, actor=people.subdistrict, decision="hide_text", reason="内容不实")
    notice = Notice.objects.get(pk=published_notice.pk)
    assert notice.hidden_at is not None and notice.hidden_reason == "内容不实"
    assert OutboxMessage.objects.filter(recipient=people.community, kind="moderation.hidden").exists()
    # A hidden notice can no longer be reported.
    with pytest.raises(ValidationError):
        moderation.report_file(reporter=people.other_resident, notice=published_notice, reason="false")


def test_dismissing_changes_nothing_public_and_is_audited(public_request, people):
    report = moderation.report_file(reporter=people.other_resident, request=public_request, reason="false")
    moderation.report_decide(report=report, actor=people.subdistrict, decision="dismiss", reason="属实，无需处理")
    report.refresh_from_db()
    assert (report.status, report.hidden_part) == ("dismissed", "")
    assert ServiceRequest.objects.get(pk=public_request.pk).public_text_hidden_at is None
    assert not OutboxMessage.objects.filter(kind="moderation.hidden").exists()
    assert AuditEvent.objects.filter(action="moderation.dismiss").count() == 1


@pytest.mark.parametrize("who", ["community_c2", "worker_g2", "worker_g1b", "partner", "dept", "resident", "leader"])
def test_staff_of_other_areas_and_others_cannot_decide(public_request, people, who):
    report = moderation.report_file(reporter=people.other_resident, request=public_request, reason="spam")
    with pytest.raises(PermissionDenied):
        moderation.report_decide(report=report, actor=getattr(people, who), decision="hide_text", reason="越权")
    report.refresh_from_db()
    assert report.status == "open"
    assert ServiceRequest.objects.get(pk=public_request.pk).public_text_hidden_at is None


@pytest.mark.parametrize(("decision", "reason"), [("hide_text", "  "), ("delete", "理由"), ("hide_text", "x" * 1001)])
def test_bad_decisions_change_nothing(public_request, people, decision, reason):
    report = moderation.report_file(reporter=people.other_resident, request=public_request, reason="spam")
    with pytest.raises(ValidationError):
        moderation.report_decide(report=report, actor=people.community, decision=decision, reason=reason)
    report.refresh_from_db()
    assert report.status == "open"
    assert ServiceRequest.objects.get(pk=public_request.pk).public_text_hidden_at is None
    assert not AuditEvent.objects.filter(action__startswith="moderation.hide").exists()


def test_a_persons_export_lists_their_reports_and_deletion_deletes_them(public_request, people):
    from participation import moderation_data_rights
    from residents.data_rights import sections

    assert "moderation_reports" in {section.name for section in sections()}
    report = moderation.report_file(reporter=people.other_resident, request=public_request, reason="spam", note="广告")
    moderation.report_decide(report=report, actor=people.community, decision="dismiss", reason="不是广告")
    (row,) = moderation_data_rights.export_reports(people.other_resident)["reports"]
    assert public_request.public_id in row["what"] and row["note"] == "广告"
    assert row["decision_reason"] == "不是广告" and row["status"] == "Dismissed"
    assert moderation_data_rights.export_reports(people.resident) == {"reports": []}
    assert moderation_data_rights.erase_reports(people.other_resident) == {"moderation_reports_deleted": 1}
    assert not R.objects.exists()
