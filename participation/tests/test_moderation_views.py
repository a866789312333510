"""Moderation's pages (issue 16, item 6): reporting (signed-in residents only, private requests
404), the queue and the decision page (staff over the area only), choosing public photos, and that
hidden content is gone from the public pages and from Open311."""

import pytest

from participation import moderation
from participation.models import ModerationReport
from participation.tests.moderation_support import *  # noqa: F403 - the fixtures
from participation.tests.moderation_support import photo_upload
from services.models import RequestEvent

pytestmark = pytest.mark.django_db
QUEUE = "/moderation/"
R = ModerationReport


def _report_url(request):
    return f"/report/request/{request.public_id}/"


def test_anonymous_is_sent_to_sign_in_and_nothing_is_recorded(client, public_request):
    for response in (
        client.get(_report_url(public_request)),
        client.post(_report_url(public_request), {"reason": "spam"}),
    ):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(QUEUE).status_code == 302
    assert not R.objects.exists()


def test_a_resident_reports_from_the_public_page_once(client, login, people, public_request):
    page = client.get(f"/requests/public/{public_request.public_id}/").content.decode()
    assert _report_url(public_request) in page
    login(people.other_resident)
    assert client.get(_report_url(public_request)).status_code == 200
    response = client.post(_report_url(public_request), {"reason": "offensive", "note": "骂人"})
    assert response.status_code == 302
    report = R.objects.get()
    assert (report.reporter, report.reason, report.note, report.target) == (
        people.other_resident,
        "offensive",
        "骂人",
        "request",
    )
    again = client.post(_report_url(public_request), {"reason": "spam"})
    assert again.status_code == 400 and 'class="error"' in again.content.decode()
    assert R.objects.count() == 1


@pytest.mark.parametrize("data", [{"reason": "bogus"}, {}, {"reason": "spam", "note": "x" * 1001}])
def test_bad_report_input_gets_a_message_and_records_nothing(client, login, people, public_request, data):
    login(people.other_resident)
    response = client.post(_report_url(public_request), data)
    assert response.status_code == 400 and 'class="error"' in response.content.decode()
    assert not R.objects.exists()


def test_a_private_or_missing_request_or_a_forged_message_404s(
    client, login, people, public_request, private_request, public_message
):
    login(people.other_resident)
    assert client.get(_report_url(private_request)).status_code == 404
    assert client.post(_report_url(private_request), {"reason": "spam"}).status_code == 404
    assert client.get("/report/request/SQNOSUCHONE1/").status_code == 404
    internal = RequestEvent.objects.create(request=public_request, kind="note", message="内部", is_public=False)
    for url in (
        f"/report/comment/{public_request.public_id}/{internal.pk}/",
        f"/report/comment/{private_request.public_id}/{public_message.pk}/",
        f"/report/comment/{public_request.public_id}/999999/",
    ):
        assert client.post(url, {"reason": "spam"}).status_code == 404
    assert client.get("/report/notice/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert not R.objects.exists()


def test_a_public_message_and_a_notice_can_be_reported(client, login, people, public_message, published_notice):
    request = public_message.request
    page = client.get(f"/requests/public/{request.public_id}/").content.decode()
    url = f"/report/comment/{request.public_id}/{public_message.pk}/"
    assert url in page
    login(people.other_resident)
    assert client.post(url, {"reason": "offensive"}).status_code == 302
    assert R.objects.get().comment == public_message
    assert client.post(f"/report/notice/{published_notice.public_id}/", {"reason": "false"}).status_code == 302
    assert R.objects.filter(target="notice", notice=published_notice).exists()


def test_the_queue_is_for_staff_over_the_area(client, login, people, public_request):
    report = moderation.report_file(reporter=people.other_resident, request=public_request, reason="spam")
    decide = f"/moderation/{report.public_id}/"
    for insider in (people.worker, people.community, people.subdistrict):
        login(insider)
        assert public_request.public_id in client.get(QUEUE).content.decode()
        assert client.get(decide).status_code == 200
    for outsider in (people.community_c2, people.worker_g2, people.worker_g1b):
        login(outsider)
        assert public_request.public_id not in client.get(QUEUE).content.decode()
        assert client.get(decide).status_code == 404
        assert client.post(decide, {"decision": "hide_text", "reason": "越权"}).status_code == 404
    for not_a_moderator in (people.resident, people.other_resident, people.partner, people.dept):
        login(not_a_moderator)
        assert client.get(QUEUE).status_code == 403
        assert client.post(decide, {"decision": "hide_text", "reason": "越权"}).status_code == 403
    report.refresh_from_db()
    assert report.status == "open"


def test_queue_query_count_does_not_grow(client, login, people, file_request, make_user, django_assert_max_num_queries):
    moderation.report_file(reporter=people.other_resident, request=file_request(), reason="spam")
    login(people.community)
    with django_assert_max_num_queries(30) as few:
        assert client.get(QUEUE).status_code == 200
    for n in range(8):
        request = file_request(description=f"第{n}件")
        for reporter in (make_user(), make_user()):
            moderation.report_file(reporter=reporter, request=request, reason="offensive")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(QUEUE).status_code == 200


@pytest.mark.parametrize("data", [{"decision": "hide_text", "reason": ""}, {"decision": "erase", "reason": "x"}])
def test_a_bad_decision_gets_a_message_and_changes_nothing(client, login, people, public_request, data):
    report = moderation.report_file(reporter=people.other_resident, request=public_request, reason="spam")
    login(people.community)
    response = client.post(f"/moderation/{report.public_id}/", data)
    assert response.status_code == 400 and 'class="error"' in response.content.decode()
    report.refresh_from_db()
    assert report.status == "open"


def test_hidden_text_and_messages_leave_the_public_pages_and_open311(client, login, people, public_message):
    request = public_message.request
    one = moderation.report_file(reporter=people.other_resident, request=request, reason="personal_data")
    two = moderation.report_file(
        reporter=people.other_resident, request=request, comment=public_message, reason="offensive"
    )
    login(people.community)
    assert (
        client.post(f"/moderation/{one.public_id}/", {"decision": "hide_text", "reason": "涉及他人"}).status_code == 302
    )
    assert client.post(f"/moderation/{two.public_id}/", {"decision": "hide_text", "reason": "不当"}).status_code == 302
    client.logout()
    for url in ("/requests/public/", f"/requests/public/{request.public_id}/"):
        html = client.get(url).content.decode()
        assert request.public_id in html
        assert "张三" not in html and "明天去看" not in html
    listed = client.get("/open311/v2/requests.json", {"extensions": "true"}).json()
    single = client.get(f"/open311/v2/requests/{request.public_id}.json", {"extensions": "true"}).json()
    for document in [d for d in listed if d["service_request_id"] == request.public_id] + single:
        assert "张三" not in document["description"]
        assert "明天去看" not in str(document)
    assert listed and single
    # The requester and the staff still read it on the request's own page.
    login(people.resident)
    assert "张三" in client.get(f"/requests/{request.public_id}/").content.decode()


def test_photos_are_public_only_once_marked_fit(client, login, people, public_request, centres):
    photos = list(public_request.photos.order_by("id"))
    public_page = f"/requests/public/{public_request.public_id}/"
    photo_url = f"/requests/public/{public_request.public_id}/photos/{photos[0].public_id}/"
    assert "/photos/" not in client.get(public_page).content.decode()
    assert client.get(photo_url).status_code == 404
    (document,) = client.get(f"/open311/v2/requests/{public_request.public_id}.json").json()
    assert document["media_url"] is None
    choose = f"/moderation/photos/{public_request.public_id}/"
    for outsider in (people.community_c2, people.partner):
        login(outsider)
        assert client.post(choose, {"fit": [str(photos[0].public_id)]}).status_code in (403, 404)
    login(people.community)
    assert client.get(choose).status_code == 200
    assert client.post(choose, {"fit": [str(photos[0].public_id)]}).status_code == 302
    client.logout()
    html = client.get(public_page).content.decode()
    assert photo_url in html and str(photos[1].public_id) not in html
    response = client.get(photo_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert client.get(f"/requests/public/{public_request.public_id}/photos/{photos[1].public_id}/").status_code == 404
    (document,) = client.get(f"/open311/v2/requests/{public_request.public_id}.json").json()
    assert document["media_url"].endswith(photo_url)
    # A moderator's "hide photos" takes them off again.
    report = moderation.report_file(reporter=people.other_resident, request=public_request, reason="personal_data")
    moderation.report_decide(report=report, actor=people.worker, decision="hide_photos", reason="有门牌号")
    assert client.get(photo_url).status_code == 404
    assert "/photos/" not in client.get(public_page).content.decode()


def test_a_forged_photo_choice_changes_nothing(client, login, people, public_request, file_request):
    other = file_request(description="别的", photos=[photo_upload()])
    login(people.community)
    client.post(f"/moderation/photos/{public_request.public_id}/", {"fit": [str(other.photos.get().public_id)]})
    assert not public_request.photos.filter(public_fit_at__isnull=False).exists()
    assert not other.photos.filter(public_fit_at__isnull=False).exists()


def test_photos_of_a_private_request_cannot_be_made_public(client, login, people, file_request):
    private = file_request(description="私事", is_public=False, photos=[photo_upload()])
    login(people.community)
    assert (
        client.post(
            f"/moderation/photos/{private.public_id}/", {"fit": [str(private.photos.get().public_id)]}
        ).status_code
        == 404
    )
    assert not private.photos.filter(public_fit_at__isnull=False).exists()


def test_the_decision_page_shows_each_kind_of_target(client, login, people, public_message, published_notice):
    request = public_message.request
    reports = [
        moderation.report_file(reporter=people.other_resident, request=request, reason="spam"),
        moderation.report_file(reporter=people.other_resident, request=request, comment=public_message, reason="spam"),
        moderation.report_file(reporter=people.other_resident, notice=published_notice, reason="false"),
    ]
    login(people.subdistrict)
    quoted = ["张三", "明天去看", "骗子"]
    for report, text in zip(reports, quoted, strict=True):
        page = client.get(f"/moderation/{report.public_id}/")
        assert page.status_code == 200 and text in page.content.decode()
    assert 'value="hide_photos"' in client.get(f"/moderation/{reports[0].public_id}/").content.decode()
    assert 'value="hide_photos"' not in client.get(f"/moderation/{reports[2].public_id}/").content.decode()
    assert published_notice.title in client.get(QUEUE).content.decode()


def test_a_notice_page_links_to_its_report_form(client, login, people, published_notice):
    login(people.resident)
    page = client.get(f"/notices/{published_notice.public_id}/")
    assert page.status_code == 200
    assert f"/report/notice/{published_notice.public_id}/" in page.content.decode()
