"""Fixtures shared by the moderation tests: a public request with a public message and photos,
a private one, and a published notice."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from participation.models import NoticeCategory
from services import services as steps


def photo_upload(name="photo.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def public_request(file_request):
    return file_request(description="楼道灯坏了，张三天天在这里吵", photos=[photo_upload(), photo_upload("b.jpg")])


@pytest.fixture
def public_message(public_request, people):
    """A status change with a message on the public timeline (a "comment")."""
    steps.request_accept(request=public_request, actor=people.worker, note="已受理，明天去看")
    return public_request.events.get(to_status="accepted")


@pytest.fixture
def private_request(file_request):
    return file_request(description="家里的私事", is_public=False)


@pytest.fixture
def published_notice(people, tree):
    from participation.notices import notice_create, notice_publish

    notice = notice_create(
        actor=people.community,
        area=tree.c1,
        title="停水通知",
        body="明天停水，某某人是骗子",
        category=NoticeCategory.WATER_POWER,
    )
    return notice_publish(actor=people.community, notice=notice)


@pytest.fixture
def centres(tree):
    from decimal import Decimal

    from directory.models import Area

    Area.objects.filter(pk=tree.g1.pk).update(centre_lat=Decimal("30.800000"), centre_lng=Decimal("106.100000"))
