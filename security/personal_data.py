"""Encryption, keyed hashing and masking of residents' ID-card numbers and phones.

One secret, PERSONAL_DATA_KEY, is stretched with HKDF into two independent keys: one encrypts
(Fernet: AES-CBC with an HMAC), one computes keyed hashes that let staff look a person up by ID
number or phone without decrypting the table. A stolen database without the key reveals neither.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import date
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_ID_CARD_RE = re.compile(r"^\d{17}[\dX]$")
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
# GB 11643: weights and check characters of the 18th digit (ISO 7064 MOD 11-2).
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


class PersonalDataError(Exception):
    """A stored value could not be decrypted: the key changed or the row was altered."""


def _derive(secret: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode())


@lru_cache(maxsize=4)
def _keys(secret: str) -> tuple[Fernet, bytes]:
    fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"shunqing-portal personal-data encryption v1")))
    return fernet, _derive(secret, b"shunqing-portal personal-data lookup v1")


@lru_cache(maxsize=8)
def _purpose_fernet(secret: str, purpose: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(secret, f"shunqing-portal {purpose} encryption v1".encode())))


def encrypt_for(purpose: str, plaintext: bytes) -> str:
    """Encrypt other secrets at rest (e.g. purpose="exchange signing key") under a key of their
    own, derived from the same PERSONAL_DATA_KEY: one secret to keep, no key shared by two uses."""
    return _purpose_fernet(settings.PERSONAL_DATA_KEY, purpose).encrypt(plaintext).decode()


def decrypt_for(purpose: str, token: str) -> bytes:
    try:
        return _purpose_fernet(settings.PERSONAL_DATA_KEY, purpose).decrypt(token.encode())
    except InvalidToken:
        raise PersonalDataError(f"a stored {purpose} cannot be decrypted with the current key") from None


def encrypt(plaintext: str) -> str:
    fernet, _lookup = _keys(settings.PERSONAL_DATA_KEY)
    return fernet.encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    fernet, _lookup = _keys(settings.PERSONAL_DATA_KEY)
    try:
        return fernet.decrypt(token.encode()).decode()
    except InvalidToken:
        raise PersonalDataError("stored personal data cannot be decrypted with the current key") from None


def lookup_hash(kind: str, normalised_value: str) -> str:
    """Keyed hash of a normalised value; `kind` keeps an ID number and a phone from ever colliding."""
    _fernet, lookup_key = _keys(settings.PERSONAL_DATA_KEY)
    return hmac.new(lookup_key, f"{kind}:{normalised_value}".encode(), hashlib.sha256).hexdigest()


def normalise_id_card(raw: str) -> str:
    """Strip spaces, upper-case the check letter, and reject anything that is not a valid
    18-digit resident ID number (format, birth date and check digit)."""
    value = re.sub(r"\s+", "", raw or "").upper()
    if not _ID_CARD_RE.match(value):
        raise ValidationError(_("An ID-card number has 17 digits followed by a digit or X."))
    try:
        id_card_birth_date(value)
    except ValueError:
        raise ValidationError(_("The birth date inside this ID-card number is not a real date.")) from None
    total = sum(int(digit) * weight for digit, weight in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        raise ValidationError(_("This ID-card number's check digit is wrong; please check it again."))
    return value


def id_card_birth_date(value: str) -> date:
    """The birth date written in digits 7–14 (YYYYMMDD) of an 18-digit ID number; ValueError if it
    is not a real date. The one place that reads it (validation, imports, the register's birth data)."""
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def id_card_check_character(first_17_digits: str) -> str:
    """The 18th character that makes `first_17_digits` a valid ID number (used by demo data)."""
    total = sum(int(digit) * weight for digit, weight in zip(first_17_digits, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalise_phone(raw: str) -> str:
    """Accept a mainland mobile number with optional spaces, dashes or a +86 prefix."""
    value = re.sub(r"[\s-]+", "", raw or "")
    if value.startswith("+86"):
        value = value[3:]
    if not _PHONE_RE.match(value):
        raise ValidationError(_("A mobile number has 11 digits and starts with 1, e.g. 13812345678."))
    return value


def mask_id_card(value: str) -> str:
    """5113**********1234: the area prefix and last four stay, birth date and sequence are hidden."""
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """138****5678."""
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
