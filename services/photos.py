"""Checking and cleaning uploaded photos before they are stored, and keeping them for a form that
has not gone through yet.

A file counts as a photo only if Pillow decodes it as JPEG, PNG or WebP; whatever its name or
declared type says does not matter. Each photo is re-encoded from its pixels, which drops EXIF
(GPS position, camera serial) and anything smuggled after the image data.

A request form sent with a question left empty would otherwise drop its photos, and a resident on a
slow phone connection may not manage to send them twice. So the filing page stages every photo it
receives (cleaned here, exactly as on filing) under the form's token, for the user who sent it; the
form shows them again and files them with the request. Staged photos nobody files are removed after
STAGED_PHOTO_LIFETIME by `services.tasks.staged_photos_expire_task`.
"""

import io
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from security.models import User
from services.models import StagedPhoto

MAX_PHOTOS = 6
# A photo's size is read from its header and refused before a pixel is decoded: decoding costs
# about 3 bytes a pixel (a 40 MP photo takes some 120 MB, twice that while it is turned upright),
# and a file of a few kilobytes can claim any size. Phones take 12-16 MP photos unless set to their
# 48/50 MP modes, whose JPEGs are over MAX_PHOTO_BYTES (10 MB) anyway; 40 MP refuses nothing a
# phone sends within that, and keeps six photos in one upload from holding gigabytes.
MAX_PHOTO_PIXELS = 40_000_000
# Pillow itself only warns between 1x and 2x its limit; our own check above is the one that refuses.
Image.MAX_IMAGE_PIXELS = MAX_PHOTO_PIXELS
_FORMATS = {
    "JPEG": ("image/jpeg", {"quality": 88, "optimize": True}),
    "PNG": ("image/png", {"optimize": True}),
    "WEBP": ("image/webp", {"quality": 85}),
}


@dataclass(frozen=True)
class CleanPhoto:
    content: ContentFile
    content_type: str
    width: int
    height: int


def _too_many_pixels(name: str) -> ValidationError:
    return ValidationError(
        _("%(name)s has too many pixels: at most %(limit)d megapixels. Send a smaller copy of the photo.")
        % {"name": name, "limit": MAX_PHOTO_PIXELS // 1_000_000}
    )


def _clean_one(upload) -> CleanPhoto:
    name = getattr(upload, "name", "") or _("the file")
    if upload.size > settings.MAX_PHOTO_BYTES:
        raise ValidationError(
            _("%(name)s is larger than %(limit)d MB.")
            % {"name": name, "limit": settings.MAX_PHOTO_BYTES // 1024 // 1024}
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            image_format = probe.format
            if image_format not in _FORMATS:
                raise ValidationError(_("%(name)s is not a JPEG, PNG or WebP photo.") % {"name": name})
            if probe.width * probe.height > MAX_PHOTO_PIXELS:
                raise _too_many_pixels(name)
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            if image_format == "JPEG" and upright.mode not in ("RGB", "L"):
                upright = upright.convert("RGB")
            # Savers copy metadata from `info` (PNG and WebP write EXIF from it); keep only the colour profile.
            upright.info = {key: value for key, value in image.info.items() if key == "icc_profile"}
            content_type, options = _FORMATS[image_format]
            buffer = io.BytesIO()
            upright.save(buffer, format=image_format, **options)
            return CleanPhoto(ContentFile(buffer.getvalue()), content_type, upright.width, upright.height)
    except Image.DecompressionBombError:
        raise _too_many_pixels(name) from None
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ValidationError(_("%(name)s is not a photo we can read (JPEG, PNG or WebP).") % {"name": name}) from None


def photos_clean(uploads) -> list[CleanPhoto]:
    """Clean every upload, or raise one ValidationError listing each bad file. A CleanPhoto (a staged
    photo, cleaned when it was staged) is taken as it is: cleaning it again would only re-compress it."""
    uploads = list(uploads or [])
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError(_("At most %(count)d photos at a time.") % {"count": MAX_PHOTOS})
    cleaned, errors = [], []
    for upload in uploads:
        if isinstance(upload, CleanPhoto):
            cleaned.append(upload)
            continue
        try:
            cleaned.append(_clean_one(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


# --- photos of a form not filed yet ------------------------------------------------------------------
STAGED_PHOTO_LIFETIME = timedelta(hours=24)
# Across all of one person's unfiled forms: enough for a few forms at once, not a free photo store.
MAX_STAGED_PHOTOS_PER_USER = 3 * MAX_PHOTOS
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def staged_photos_of(*, owner: User, token: str) -> list[StagedPhoto]:
    """The photos `owner` staged under the form `token`; another user's token gives nothing."""
    if not owner.is_authenticated or not _TOKEN.fullmatch(token or ""):
        return []
    return list(StagedPhoto.objects.filter(owner=owner, token=token, created_at__gte=_oldest_kept()))


def staged_photo_get(*, owner: User, public_id) -> StagedPhoto:
    """One of `owner`'s staged photos, for its thumbnail; 404 for anyone else's or an expired one."""
    photo = StagedPhoto.objects.filter(owner=owner, public_id=public_id, created_at__gte=_oldest_kept()).first()
    if photo is None:
        raise Http404
    return photo


def photos_stage(*, owner: User, token: str, uploads) -> list[StagedPhoto]:
    """Clean and keep `uploads` under the form `token` for `owner`: those that are photos are kept
    even when others are refused; a ValidationError then lists the refused ones. Limits: MAX_PHOTOS
    on one form (those already staged count), MAX_STAGED_PHOTOS_PER_USER over all of the owner's forms."""
    uploads = [upload for upload in uploads or [] if upload]
    if not uploads:
        return []
    if not _TOKEN.fullmatch(token or ""):
        raise ValidationError(_("The form was damaged in sending; please reload the page and attach the photos again."))
    errors = []
    if len(uploads) > MAX_PHOTOS:
        errors.append(_("At most %(count)d photos at a time.") % {"count": MAX_PHOTOS})
        uploads = uploads[:MAX_PHOTOS]
    cleaned = []
    for upload in uploads:  # outside the lock below: decoding takes a while
        try:
            cleaned.append(_clean_one(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    staged = []
    with transaction.atomic():
        # One person's sends one at a time, so that two sends of one form cannot both pass the limits.
        User.objects.select_for_update().filter(pk=owner.pk).first()
        kept = StagedPhoto.objects.filter(owner=owner, created_at__gte=_oldest_kept())
        room = max(0, min(MAX_PHOTOS - kept.filter(token=token).count(), MAX_STAGED_PHOTOS_PER_USER - kept.count()))
        if len(cleaned) > room:
            errors.append(
                _("At most %(count)d photos with one request: %(refused)d not kept.")
                % {"count": MAX_PHOTOS, "refused": len(cleaned) - room}
            )
        for photo_data in cleaned[:room]:
            photo = StagedPhoto(
                owner=owner,
                token=token,
                content_type=photo_data.content_type,
                width=photo_data.width,
                height=photo_data.height,
                size=photo_data.content.size,
            )
            photo.image.save("photo", photo_data.content, save=False)
            photo.save()
            staged.append(photo)
    if errors:
        raise ValidationError(errors)
    return staged


def staged_photo_remove(*, owner: User, token: str, public_ids) -> int:
    """Take photos off the form before it is sent again; only the owner's, on that form."""
    wanted = [value for value in public_ids or [] if _is_uuid(value)]
    if not wanted or not _TOKEN.fullmatch(token or ""):
        return 0
    return _delete(StagedPhoto.objects.filter(owner=owner, token=token, public_id__in=wanted))


def staged_photos_as_clean(photos: list[StagedPhoto]) -> list[CleanPhoto]:
    """The staged photos as filing takes them (already cleaned when they were staged)."""
    cleaned = []
    for photo in photos:
        with photo.image.open("rb") as stored:
            content = ContentFile(stored.read())
        cleaned.append(CleanPhoto(content, photo.content_type, photo.width, photo.height))
    return cleaned


def staged_photos_discard(*, owner: User, token: str) -> int:
    """After the form is filed: its staged photos now live on the request."""
    if not _TOKEN.fullmatch(token or ""):
        return 0
    return _delete(StagedPhoto.objects.filter(owner=owner, token=token))


def staged_photos_expire(*, batch: int = 500) -> int:
    """Remove staged photos older than STAGED_PHOTO_LIFETIME, files first; safe to run twice."""
    removed = 0
    while True:
        ids = list(
            StagedPhoto.objects.filter(created_at__lt=_oldest_kept())
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return removed
        removed += _delete(StagedPhoto.objects.filter(pk__in=ids))


def _delete(photos) -> int:
    # The file goes first: a row left by a crash is found again by the expiry; a file left without its
    # row would never be.
    doomed = list(photos)
    for photo in doomed:
        photo.image.delete(save=False)
    StagedPhoto.objects.filter(pk__in=[photo.pk for photo in doomed]).delete()
    return len(doomed)


def _oldest_kept():
    return timezone.now() - STAGED_PHOTO_LIFETIME


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True
