"""Moderation of proposals and their comments, as for requests: residents report, the staff over the
community decide; a hidden proposal or comment leaves the public pages (the author and the staff still
read it, marked); outsiders get 404/403; the queue's queries do not grow."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from notifications.models import OutboxMessage
from participation import moderation
from participation import proposals as steps
from participation.models import ModerationReport, ProposalComment, ProposalSupport
from participation.tests.poll_helpers import verified_resident
from security.models import AuditEvent, Role

pytestmark = pytest.mark.django_db
R = ModerationReport
QUEUE = "/moderation/"


def _photo():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, format="JPEG")
    return SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def staff(tree, make_user):
    return make_user(Role.COMMUNITY_STAFF, tree.c1)


@pytest.fixture
def author(tree):
    return verified_resident(tree.g1)


@pytest.fixture
def neighbour(tree):
    return verified_resident(tree.g1b)


@pytest.fixture
def proposal(author):
    return steps.proposal_create(
        actor=author, title="把王五家门口的车拖走", body="王五天天乱停车", category="traffic", photos=[_photo()]
    )


def _detail(proposal):
    return reverse("participation:proposal_detail", args=[proposal.public_id])


def test_anonymous_is_sent_to_sign_in_and_nothing_is_recorded(client, proposal, staff):
    comment = steps.proposal_comment_add(actor=staff, proposal=proposal, body="会处理")
    for url in (
        f"/report/proposal/{proposal.public_id}/",
        f"/report/proposal/{proposal.public_id}/comments/{comment.public_id}/",
    ):
        response = client.post(url, {"reason": "spam"})
        assert response.status_code == 302 and "/accounts/login/" in response.url
    assert not R.objects.exists()


def test_a_resident_reports_a_proposal_staff_hide_it_and_the_public_no_longer_reads_it(
    client, login, tree, staff, author, neighbour, proposal
):
    login(neighbour)
    url = f"/report/proposal/{proposal.public_id}/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": "nonsense"}).status_code == 400  # bad input: nothing recorded
    assert not R.objects.exists()
    assert client.post(url, {"reason": "personal_data", "note": "点名道姓"}).status_code == 302
    assert client.post(url, {"reason": "personal_data"}).status_code == 400  # once while open
    report = R.objects.get()
    assert (report.target, report.area, report.proposal) == (R.Target.PROPOSAL, tree.c1, proposal)

    login(staff)
    assert proposal.title in client.get(QUEUE).content.decode()
    decide = f"/moderation/{report.public_id}/"
    assert client.get(decide).status_code == 200
    assert client.post(decide, {"decision": "hide_photos", "reason": "x"}).status_code == 400  # not offered
    assert client.post(decide, {"decision": "hide_text", "reason": "含他人信息"}).status_code == 302
    proposal.refresh_from_db()
    assert proposal.hidden_at and proposal.hidden_reason == "含他人信息"
    assert AuditEvent.objects.filter(action="proposal.hide").count() == 1
    assert OutboxMessage.objects.filter(kind="moderation.hidden", recipient=author).exists()
    assert OutboxMessage.objects.filter(kind="moderation.decided", recipient=neighbour).exists()

    photo = proposal.photos.get()
    photo_url = reverse("participation:proposal_photo", args=[proposal.public_id, photo.public_id])
    for reader in (neighbour, verified_resident(tree.g2)):
        login(reader)
        page = client.get(_detail(proposal)).content.decode()
        assert "王五" not in page
        assert "王五" not in client.get(reverse("participation:proposal_list")).content.decode()
        assert client.get(photo_url).status_code == 404
    for insider in (author, staff):
        login(insider)
        page = client.get(_detail(proposal)).content.decode()
        assert "王五天天乱停车" in page and "含他人信息" in page
        assert client.get(photo_url).status_code == 200

    # A hidden proposal gathers no more support or comments, and cannot be reported again.
    with pytest.raises(ValidationError):
        steps.proposal_support(actor=neighbour, proposal=proposal)
    with pytest.raises(ValidationError):
        steps.proposal_comment_add(actor=neighbour, proposal=proposal, body="还有吗")
    assert not ProposalSupport.objects.exists()
    login(neighbour)
    assert client.get(url).status_code == 404


def test_a_comment_is_reported_and_hidden_from_the_public_list(client, login, tree, staff, author, neighbour, proposal):
    comment = steps.proposal_comment_add(actor=neighbour, proposal=proposal, body="他家电话是13800000000")
    login(author)
    url = f"/report/proposal/{proposal.public_id}/comments/{comment.public_id}/"
    assert client.post(url, {"reason": "personal_data"}).status_code == 302
    report = R.objects.get()
    assert (report.target, report.proposal_comment) == (R.Target.PROPOSAL_COMMENT, comment)
    moderation.report_decide(report=report, actor=staff, decision="hide_text", reason="含电话号码")
    comment.refresh_from_db()
    assert comment.hidden_at and comment.hidden_reason == "含电话号码"
    assert OutboxMessage.objects.filter(kind="moderation.hidden", recipient=neighbour).exists()
    login(author)
    assert "13800000000" not in client.get(_detail(proposal)).content.decode()
    for insider in (neighbour, staff):  # the writer and the staff still read it, marked
        login(insider)
        page = client.get(_detail(proposal)).content.decode()
        assert "13800000000" in page and "含电话号码" in page
    login(author)
    assert client.post(url, {"reason": "spam"}).status_code == 404  # hidden: nothing to report


def test_a_forged_or_missing_target_404s(client, login, tree, staff, author, neighbour, proposal):
    other = steps.proposal_create(actor=neighbour, title="另一个", body="内容", category="other")
    comment = steps.proposal_comment_add(actor=staff, proposal=other, body="社区回复")
    login(author)
    forged = f"/report/proposal/{proposal.public_id}/comments/{comment.public_id}/"
    assert client.post(forged, {"reason": "spam"}).status_code == 404
    assert client.get("/report/proposal/00000000-0000-0000-0000-000000000000/").status_code == 404
    with pytest.raises(ValidationError):
        moderation.report_file(reporter=author, proposal=proposal, proposal_comment=comment, reason="spam")
    assert not R.objects.exists()


def test_only_the_staff_over_the_community_decide(client, login, tree, make_user, staff, author, neighbour, proposal):
    report = moderation.report_file(reporter=neighbour, proposal=proposal, reason="offensive")
    decide = f"/moderation/{report.public_id}/"
    for insider in (staff, make_user(Role.SUBDISTRICT_OFFICER, tree.s1)):
        login(insider)
        assert client.get(decide).status_code == 200
    outsiders = (
        make_user(Role.COMMUNITY_STAFF, tree.c2),
        make_user(Role.SUBDISTRICT_OFFICER, tree.s2),
        make_user(Role.GRID_WORKER, tree.g1),  # a grid's worker is not over the whole community
    )
    for outsider in outsiders:
        login(outsider)
        assert proposal.title not in client.get(QUEUE).content.decode()
        assert client.get(decide).status_code == 404
        assert client.post(decide, {"decision": "hide_text", "reason": "越权"}).status_code == 404
    for not_a_moderator in (author, neighbour):
        login(not_a_moderator)
        assert client.get(QUEUE).status_code == 403
        assert client.post(decide, {"decision": "hide_text", "reason": "越权"}).status_code == 403
    report.refresh_from_db()
    proposal.refresh_from_db()
    assert report.status == R.Status.OPEN and proposal.hidden_at is None


def test_queue_queries_do_not_grow_with_proposal_reports(
    client, login, tree, staff, author, make_user, django_assert_max_num_queries
):
    first = steps.proposal_create(actor=author, title="提议0", body="内容", category="other")
    moderation.report_file(reporter=make_user(), proposal=first, reason="spam")
    login(staff)
    with django_assert_max_num_queries(30) as few:
        assert client.get(QUEUE).status_code == 200
    for n in range(1, 6):
        proposal = steps.proposal_create(actor=author, title=f"提议{n}", body="内容", category="other")
        comment = steps.proposal_comment_add(actor=staff, proposal=proposal, body=f"回复{n}")
        moderation.report_file(reporter=make_user(), proposal=proposal, reason="spam")
        moderation.report_file(reporter=make_user(), proposal=proposal, proposal_comment=comment, reason="offensive")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(QUEUE)
    assert page.content.decode().count("/moderation/") >= 11


def test_the_export_of_reports_names_the_proposal(neighbour, proposal):
    from participation.moderation_data_rights import export_reports

    moderation.report_file(reporter=neighbour, proposal=proposal, reason="spam")
    comment = ProposalComment.objects.create(proposal=proposal, author=neighbour, body="x")
    moderation.report_file(reporter=neighbour, proposal=proposal, proposal_comment=comment, reason="spam")
    whats = [row["what"] for row in export_reports(neighbour)["reports"]]
    assert len(whats) == 2 and all(proposal.title in what for what in whats)
