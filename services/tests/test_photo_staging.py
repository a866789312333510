"""A request form sent back (a question left empty) keeps the photos already attached (issue 20)."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from services.models import RequestPhoto, ServiceRequest, StagedPhoto
from services.photos import MAX_PHOTOS, STAGED_PHOTO_LIFETIME, photos_stage
from services.tasks import staged_photos_expire_task
from services.tests.test_photos import photo_file

pytestmark = pytest.mark.django_db

URL = "/requests/new/repair/"


@pytest.fixture(autouse=True)
def _repair_service(catalogue):
    """The repair service, whose facility question is required."""


def _form(client, **fields):
    key = client.get(URL).context["form"]["submission_key"].value()
    return {"description": "电梯停了", "attr_facility": "lift", "submission_key": key} | fields


def _files(settings, folder):
    return [path for path in Path(settings.MEDIA_ROOT, folder).rglob("*") if path.is_file()]


def test_photos_of_a_form_sent_back_are_kept_and_filed_with_it(client, login, people, tree, settings):
    login(people.resident)
    form = _form(client)
    # The grid is left out: the form comes back, with the photo kept and shown.
    response = client.post(URL, form | {"photos": photo_file("lift.jpg")}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert ServiceRequest.objects.count() == 0
    staged = StagedPhoto.objects.get()
    assert staged.owner == people.resident and staged.token == form["submission_key"]
    page = response.content.decode()
    assert "Photos already uploaded" in page
    assert f'src="/requests/new/photos/{staged.public_id}/"' in page
    # Cleaned as on filing: no EXIF, a random name, outside the request photos.
    assert b"SpyCam" not in staged.image.read()
    assert re.fullmatch(r"staged-photos/[0-9a-f]{2}/[0-9a-f]{32}\.jpg", staged.image.name)
    assert client.get(f"/requests/new/photos/{staged.public_id}/")["Content-Type"] == "image/jpeg"

    # Sent again, complete, with only the token: the photo is filed with the request.
    response = client.post(URL, form | {"grid": tree.g1.pk})
    request = ServiceRequest.objects.get()
    assert response["Location"] == f"/requests/{request.public_id}/"
    photo = request.photos.get()
    assert (photo.width, photo.height, photo.content_type, photo.event.kind) == (64, 48, "image/jpeg", "submitted")
    assert photo.image.name.startswith("request-photos/")
    assert b"SpyCam" not in photo.image.read()
    # Nothing stays staged: neither the row nor its file.
    assert StagedPhoto.objects.count() == 0
    assert _files(settings, "staged-photos") == []


def test_the_error_summary_comes_first_and_links_to_each_field(client, login, people):
    login(people.resident)
    page = client.post(URL, _form(client, description=""), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    summary = page[page.index('id="form-errors"') :]
    assert page.index('id="form-errors"') < page.index('<form method="post" novalidate')
    assert 'role="alert"' in page[page.index('id="form-errors"') - 80 : page.index('id="form-errors"') + 80]
    assert "autofocus" in summary[:200]
    summary = summary[: summary.index("</div>")]
    for field_id in ("id_description", "id_grid"):
        assert f'href="#{field_id}"' in summary
        assert f'id="{field_id}"' in page


def test_a_staged_photo_can_be_removed_before_sending_again(client, login, people, tree):
    login(people.resident)
    form = _form(client)
    client.post(URL, form | {"photos": [photo_file("a.jpg"), photo_file("b.png", "PNG")]})
    first, second = StagedPhoto.objects.order_by("created_at", "id")
    client.post(URL, form | {"grid": tree.g1.pk, "remove_photo": [str(first.public_id)]})
    photo = ServiceRequest.objects.get().photos.get()
    assert photo.content_type == "image/png"
    assert StagedPhoto.objects.count() == 0


def test_more_photos_can_be_added_to_those_kept(client, login, people, tree):
    login(people.resident)
    form = _form(client)
    client.post(URL, form | {"photos": photo_file("a.jpg")})
    client.post(URL, form | {"grid": tree.g1.pk, "photos": photo_file("b.png", "PNG")})
    assert sorted(ServiceRequest.objects.get().photos.values_list("content_type", flat=True)) == [
        "image/jpeg",
        "image/png",
    ]


def test_a_bad_file_is_refused_and_the_good_ones_kept(client, login, people):
    login(people.resident)
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    response = client.post(
        URL, _form(client, grid="") | {"photos": [photo_file("a.jpg"), bad]}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "not a photo we can read" in " ".join(response.context["form"].errors["photos"])
    assert StagedPhoto.objects.count() == 1


def test_at_most_six_photos_on_one_form_those_kept_included(client, login, people, tree):
    login(people.resident)
    form = _form(client)
    client.post(URL, form | {"photos": [photo_file() for _ in range(MAX_PHOTOS - 1)]})
    response = client.post(
        URL, form | {"grid": tree.g1.pk, "photos": [photo_file(), photo_file()]}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200  # sent back: one photo was refused, and the resident is told
    assert "At most 6 photos" in " ".join(response.context["form"].errors["photos"])
    assert StagedPhoto.objects.count() == MAX_PHOTOS
    client.post(URL, form | {"grid": tree.g1.pk})
    assert ServiceRequest.objects.get().photos.count() == MAX_PHOTOS


def test_a_photo_over_the_size_limit_is_not_staged(client, login, people, settings):
    settings.MAX_PHOTO_BYTES = 100
    login(people.resident)
    response = client.post(URL, _form(client) | {"photos": photo_file(size=(300, 300))}, HTTP_ACCEPT_LANGUAGE="en")
    assert "larger than" in " ".join(response.context["form"].errors["photos"])
    assert StagedPhoto.objects.count() == 0


def test_another_residents_token_gives_nothing(client, login, people, tree):
    login(people.resident)
    form = _form(client)
    client.post(URL, form | {"photos": photo_file()})
    staged = StagedPhoto.objects.get()

    client.logout()
    login(people.other_resident)
    # Their thumbnail is not served, the form with their token shows none of them, and filing with
    # their token (and even the photo's id to remove) takes nothing of theirs.
    assert client.get(f"/requests/new/photos/{staged.public_id}/").status_code == 404
    page = client.post(URL, form | {"description": ""}).content.decode()
    assert str(staged.public_id) not in page
    client.post(URL, form | {"grid": tree.g2.pk, "remove_photo": [str(staged.public_id)]})
    filed = ServiceRequest.objects.get()
    assert filed.requester == people.other_resident
    assert filed.photos.count() == 0
    assert StagedPhoto.objects.filter(pk=staged.pk).exists()


def test_anonymous_gets_no_thumbnail(client, login, people):
    login(people.resident)
    client.post(URL, _form(client) | {"photos": photo_file()})
    staged = StagedPhoto.objects.get()
    client.logout()
    response = client.get(f"/requests/new/photos/{staged.public_id}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_damaged_token_keeps_nothing_and_says_so(client, login, people):
    login(people.resident)
    response = client.post(
        URL, _form(client, submission_key="../../etc") | {"photos": photo_file()}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "damaged" in " ".join(response.context["form"].errors["photos"])
    assert StagedPhoto.objects.count() == 0


def test_one_person_cannot_stage_without_limit(people):
    from django.core.exceptions import ValidationError

    for form in range(3):
        photos_stage(owner=people.resident, token=f"form{form}", uploads=[photo_file() for _ in range(MAX_PHOTOS)])
    with pytest.raises(ValidationError, match="not kept"):
        photos_stage(owner=people.resident, token="form4", uploads=[photo_file()])
    assert StagedPhoto.objects.count() == 3 * MAX_PHOTOS


def test_photos_nobody_filed_are_removed_after_a_day(people, settings):
    old, fresh = photos_stage(owner=people.resident, token="t1", uploads=[photo_file(), photo_file()])
    StagedPhoto.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - STAGED_PHOTO_LIFETIME - timedelta(minutes=1)
    )
    old_file = Path(old.image.path)
    assert staged_photos_expire_task() == 1
    assert list(StagedPhoto.objects.all()) == [fresh]
    assert not old_file.exists() and Path(fresh.image.path).exists()
    assert staged_photos_expire_task() == 0  # a second run finds nothing to do


def test_the_nearby_offer_keeps_the_photos_too(client, login, people, tree, file_request):
    """A neighbour already reported it: the form comes back with "me too" offers, the photos kept."""
    file_request(actor=people.other_resident, requester=people.other_resident, grid=tree.g1)
    login(people.resident)
    form = _form(client, grid=tree.g1.pk)
    response = client.post(URL, form | {"photos": photo_file()})
    assert response.context["nearby"]
    assert StagedPhoto.objects.count() == 1
    client.post(URL, form | {"confirm_new": "1"})
    mine = ServiceRequest.objects.get(requester=people.resident)
    assert mine.photos.count() == 1
    assert RequestPhoto.objects.count() == 1
