"""Checking and cleaning uploaded photos before they are stored.

A file counts as a photo only if Pillow decodes it as JPEG, PNG or WebP; whatever its name or
declared type says does not matter. Each photo is re-encoded from its pixels, which drops EXIF
(GPS position, camera serial) and anything smuggled after the image data.
"""

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

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
    """Clean every upload, or raise one ValidationError listing each bad file."""
    uploads = list(uploads or [])
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError(_("At most %(count)d photos at a time.") % {"count": MAX_PHOTOS})
    cleaned, errors = [], []
    for upload in uploads:
        try:
            cleaned.append(_clean_one(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned
