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
# Decoding a "zip bomb" image would eat the worker's memory; 40 megapixels covers any phone.
Image.MAX_IMAGE_PIXELS = 40_000_000
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
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
            if image_format not in _FORMATS:
                raise ValidationError(_("%(name)s is not a JPEG, PNG or WebP photo.") % {"name": name})
            upright = ImageOps.exif_transpose(image)
            if image_format == "JPEG" and upright.mode not in ("RGB", "L"):
                upright = upright.convert("RGB")
            # Savers copy metadata from `info` (PNG and WebP write EXIF from it); keep only the colour profile.
            upright.info = {key: value for key, value in image.info.items() if key == "icc_profile"}
            content_type, options = _FORMATS[image_format]
            buffer = io.BytesIO()
            upright.save(buffer, format=image_format, **options)
            return CleanPhoto(ContentFile(buffer.getvalue()), content_type, upright.width, upright.height)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
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
