"""What moderators decide about a public request's public content (services.services.public_content):
only staff over its grid, with a reason, audited; the public selectors follow at once."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from notifications.area_alerts import area_alert_fan_out, area_follow
from notifications.models import AreaDigestItem
from security.models import AuditEvent
from services import services as steps
from services.selectors import nearby_open_requests, request_public_get
from services.services.public_content import (
    request_event_hide,
    request_photos_public_set,
    request_public_text_hide,
)

pytestmark = pytest.mark.django_db


def _photo():
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(buffer, format="JPEG")
    return SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_hidden_text_leaves_the_public_view_and_the_me_too_suggestions(file_request, people, tree, catalogue):
    request = file_request(description="隔壁王五偷电")
    assert nearby_open_requests(service=catalogue.repair, grid=tree.g1) == [request]
    request_public_text_hide(request=request, actor=people.worker, reason="指名道姓")
    view = request_public_get(public_id=request.public_id)
    assert view.description == "" and view.description_hidden
    assert nearby_open_requests(service=catalogue.repair, grid=tree.g1) == []
    assert AuditEvent.objects.filter(action="request.public_text_hide", object_id=str(request.pk)).exists()


def test_a_hidden_message_leaves_the_public_timeline(file_request, people):
    request = file_request()
    steps.request_accept(request=request, actor=people.worker, note="李四家漏水")
    event = request.events.get(to_status="accepted")
    request_event_hide(event=event, actor=people.community, reason="隐私")
    assert "李四家漏水" not in [c.message for c in request_public_get(public_id=request.public_id).status_changes]


@pytest.mark.parametrize("who", ["community_c2", "worker_g1b", "partner", "dept", "resident", "leader"])
def test_only_staff_over_the_grid_decide(file_request, people, who):
    request = file_request(photos=[_photo()])
    actor = getattr(people, who)
    with pytest.raises(PermissionDenied):
        request_public_text_hide(request=request, actor=actor, reason="越权")
    with pytest.raises(PermissionDenied):
        request_photos_public_set(request=request, actor=actor, fit_photo_ids=[request.photos.get().public_id])
    request.refresh_from_db()
    assert request.public_text_hidden_at is None and not request.photos.filter(public_fit_at__isnull=False).exists()


def test_a_reason_is_required_and_private_requests_are_refused(file_request, people):
    request = file_request()
    with pytest.raises(ValidationError):
        request_public_text_hide(request=request, actor=people.worker, reason="  ")
    private = file_request(is_public=False)
    with pytest.raises(ValidationError):
        request_public_text_hide(request=private, actor=people.worker, reason="理由")
    request.refresh_from_db()
    private.refresh_from_db()
    assert request.public_text_hidden_at is None and private.public_text_hidden_at is None


def test_hidden_text_leaves_the_area_digests_not_yet_sent(file_request, people, tree, make_user):
    follower = make_user()
    area_follow(user=follower, area_id=tree.c1.pk)  # daily digest, the default
    hidden, kept = file_request(description="隔壁王五偷电"), file_request(description="路灯坏了")
    for request in (hidden, kept):
        area_alert_fan_out(key=f"request:{request.pk}:public")
    assert AreaDigestItem.objects.filter(user=follower).count() == 2

    request_public_text_hide(request=hidden, actor=people.worker, reason="指名道姓")

    assert list(AreaDigestItem.objects.filter(user=follower).values_list("alert__key", flat=True)) == [
        f"request:{kept.pk}:public"
    ]
