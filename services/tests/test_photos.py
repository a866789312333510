import io
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from services import services as steps
from services.models import RequestPhoto, ServiceRequest

pytestmark = pytest.mark.django_db


def photo_file(name="photo.jpg", image_format="JPEG", size=(64, 48), with_exif=True):
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    if with_exif:
        exif[ExifTags.Base.Make] = "SpyCam"
        exif.get_ifd(ExifTags.IFD.GPSInfo).update(
            {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (30.0, 47.0, 44.0)}
        )
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **({"exif": exif} if with_exif and image_format != "GIF" else {}))
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}[image_format]
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


def stored_files(settings):
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_photos_are_stored_re_encoded_without_exif(file_request, image_format, settings):
    upload = photo_file(f"p.{image_format.lower()}", image_format)
    assert b"SpyCam" in upload.read()
    request = file_request(photos=[upload])
    photo = request.photos.get()
    data = photo.image.read()
    assert b"SpyCam" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == image_format
        assert dict(stored.getexif()) == {}
    assert (photo.width, photo.height, photo.event.kind) == (64, 48, "submitted")
    # The stored name gives nothing away: a random id, not the request, the resident or the upload's name.
    assert re.fullmatch(r"request-photos/[0-9a-f]{2}/[0-9a-f]{32}\.(jpg|png|webp)", photo.image.name)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>", content_type="image/jpeg"), "not a photo we can read"),
        (photo_file("anim.gif", "GIF", with_exif=False), "not a JPEG, PNG or WebP"),
    ],
)
def test_non_photos_are_refused_and_nothing_is_saved(file_request, upload, message, settings):
    with pytest.raises(ValidationError) as caught:
        file_request(photos=[photo_file(), upload])
    assert message in " ".join(caught.value.message_dict["photos"])
    assert ServiceRequest.objects.count() == 0
    assert RequestPhoto.objects.count() == 0
    assert stored_files(settings) == []


def test_a_photo_over_the_limit_is_refused(file_request, settings):
    settings.MAX_PHOTO_BYTES = 100
    with pytest.raises(ValidationError) as caught:
        file_request(photos=[photo_file(size=(300, 300))])
    assert "larger than" in caught.value.message_dict["photos"][0]
    assert ServiceRequest.objects.count() == 0


def test_at_most_six_photos(file_request):
    with pytest.raises(ValidationError, match="At most 6"):
        file_request(photos=[photo_file() for _ in range(7)])


def test_resolving_with_photos_attaches_them_to_the_fix(file_request, people):
    from services.tests.test_lifecycle import walk_to_resolved

    request = file_request()
    steps.request_accept(request=request, actor=people.worker)
    steps.request_assign(request=request, actor=people.worker, assignee=people.worker)
    steps.request_resolve(request=request, actor=people.worker, note="修好了", photos=[photo_file()])
    assert request.photos.get().event.to_status == "resolved"
    assert walk_to_resolved  # the helper stays importable for the other tests


def test_photo_page_is_for_those_who_may_see_the_request(client, login, people, file_request):
    request = file_request(photos=[photo_file()])
    photo = request.photos.get()
    url = f"/requests/{request.public_id}/photos/{photo.public_id}/"
    assert client.get(url)["Location"].startswith("/accounts/login/")
    login(people.other_resident)
    assert client.get(url).status_code == 404
    login(people.worker_g2)
    assert client.get(url).status_code == 404
    login(people.resident)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")


def test_photos_through_the_form_and_the_detail_page(client, login, people, catalogue, tree):
    login(people.resident)
    client.post(
        "/requests/new/repair/",
        {
            "description": "门坏了",
            "attr_facility": "door",
            "grid": tree.g1.pk,
            "submission_key": "p1",
            "photos": [photo_file("a.jpg"), photo_file("b.png", "PNG")],
        },
    )
    request = ServiceRequest.objects.get()
    assert request.photos.count() == 2
    page = client.get(f"/requests/{request.public_id}/").content.decode()
    photo_urls = re.findall(rf"/requests/{request.public_id}/photos/[0-9a-f-]{{36}}/", page)
    assert len(photo_urls) == 4  # a link and an image each
    client.post(f"/requests/{request.public_id}/photos/", {"photos": [photo_file("c.webp", "WEBP")]})
    assert request.photos.count() == 3


def test_a_bad_photo_in_the_form_is_shown_beside_the_field(client, login, people, catalogue, tree):
    login(people.resident)
    response = client.post(
        "/requests/new/repair/",
        {
            "description": "门坏了",
            "attr_facility": "door",
            "grid": tree.g1.pk,
            "submission_key": "p2",
            "photos": [SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")],
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "photos" in response.context["form"].errors
    assert ServiceRequest.objects.count() == 0
