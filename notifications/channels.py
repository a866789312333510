"""How each channel carries an outbox message: the in-app inbox, e-mail, and SMS through a gateway.

A channel reports failure with one of two errors. `TransientDeliveryError` (the gateway is down,
slow or busy) makes the outbox try again later; `PermanentDeliveryError` (the address is refused,
the recipient turned the channel off) fails the message at once, because trying again cannot help.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import smtplib
import urllib.error
import urllib.request
from collections.abc import Callable
from email.utils import parseaddr
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from notifications.models import Notification, NotificationPreference, OutboxMessage
from security import personal_data

logger = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "Idempotency-Key"


class TransientDeliveryError(Exception):
    """Delivery failed for a reason that may pass: try again later."""


class PermanentDeliveryError(Exception):
    """Delivery failed for a reason that will not pass by itself: give up."""


# --- SMS gateway backends ------------------------------------------------------------------------
class ConsoleSmsBackend:
    """Development: writes each SMS to the log, with the number masked, and sends nothing."""

    def send(self, *, phone: str, text: str, idempotency_key: str) -> None:
        logger.info("SMS to %s [%s]: %s", personal_data.mask_phone(phone), idempotency_key, text)


class FileSmsBackend:
    """Appends one JSON line per SMS to settings.SMS_FILE_PATH (demos and tests)."""

    def __init__(self) -> None:
        if not settings.SMS_FILE_PATH:
            raise ImproperlyConfigured("FileSmsBackend needs SMS_FILE_PATH.")
        self.path = Path(settings.SMS_FILE_PATH)

    def send(self, *, phone: str, text: str, idempotency_key: str) -> None:
        line = json.dumps({"key": idempotency_key, "to": phone, "text": text}, ensure_ascii=False)
        try:
            with self.path.open("a", encoding="utf-8") as file:
                file.write(line + "\n")
        except OSError as exc:
            # A missing folder or a read-only file is a configuration fault that retrying cannot fix.
            raise PermanentDeliveryError(f"cannot write SMS file {self.path}: {exc}") from exc

    def send_many(self, messages: list[dict]) -> None:
        """Many SMS ({"phone", "text", "idempotency_key"} each) in one write: batch deliveries."""
        lines = "".join(
            json.dumps({"key": m["idempotency_key"], "to": m["phone"], "text": m["text"]}, ensure_ascii=False) + "\n"
            for m in messages
        )
        try:
            # One unbuffered write: lines of two workers appending at once do not interleave.
            with self.path.open("ab", buffering=0) as file:
                file.write(lines.encode())
        except OSError as exc:
            raise PermanentDeliveryError(f"cannot write SMS file {self.path}: {exc}") from exc


class HttpSmsBackend:
    """POSTs {"to", "text", "key"} as JSON to settings.SMS_GATEWAY_URL with a bearer token.

    The idempotency key travels in a header too, so a gateway that saw a request whose answer got
    lost does not send the SMS twice when we try again.
    """

    def __init__(self) -> None:
        if not settings.SMS_GATEWAY_URL.startswith(("https://", "http://")):
            raise ImproperlyConfigured("HttpSmsBackend needs SMS_GATEWAY_URL (an http:// or https:// URL).")
        self.url = settings.SMS_GATEWAY_URL
        self.token = settings.SMS_GATEWAY_TOKEN
        self.timeout = settings.SMS_GATEWAY_TIMEOUT

    def send(self, *, phone: str, text: str, idempotency_key: str) -> None:
        payload = json.dumps({"to": phone, "text": text, "key": idempotency_key}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", IDEMPOTENCY_HEADER: idempotency_key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=payload, headers=headers, method="POST")  # noqa: S310 - scheme checked in __init__
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - scheme checked in __init__
                response.read()
        except urllib.error.HTTPError as exc:
            # 429 asks us to slow down; every other 4xx says the request itself is wrong.
            if exc.code >= 500 or exc.code == 429:
                raise TransientDeliveryError(f"SMS gateway answered {exc.code}") from exc
            raise PermanentDeliveryError(f"SMS gateway refused the message with {exc.code}") from exc
        except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError) as exc:
            raise TransientDeliveryError(f"SMS gateway unreachable: {exc}") from exc


def sms_backend():
    return import_string(settings.SMS_BACKEND)()


# --- delivery by channel ------------------------------------------------------------------------
def absolute_link(link: str) -> str:
    """The message's site-relative link as a full URL, for channels read outside the portal."""
    if not link or not settings.PORTAL_URL:
        return ""
    return settings.PORTAL_URL + link


def deliver_in_app(message: OutboxMessage) -> None:
    # One INSERT … ON CONFLICT DO NOTHING on the unique outbox_key: a second delivery of the same
    # message adds nothing (get_or_create took four statements, a savepoint among them).
    Notification.objects.bulk_create(
        [
            Notification(
                outbox_key=message.key,
                recipient_id=message.recipient_id,
                kind=message.kind,
                title=message.title,
                body=message.body,
                link=message.link,
                created_at=message.created_at,
            )
        ],
        ignore_conflicts=True,
    )


def _message_id(key: str) -> str:
    # Derived from the idempotency key, so every attempt at the same message carries the same
    # Message-ID and a mail server or client that already has it can drop the copy.
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<notification.{digest}@{domain}>"


def deliver_email(message: OutboxMessage) -> None:
    address = message.recipient.email
    if not address or not message.recipient.is_active:
        raise PermanentDeliveryError("the recipient has no e-mail address or is deactivated")
    body = "\n\n".join(part for part in (message.body, absolute_link(message.link)) if part)
    email = EmailMessage(
        subject=message.title,
        body=body,
        to=[address],
        headers={"Message-ID": _message_id(message.key), "X-Idempotency-Key": message.key},
    )
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentDeliveryError(f"the mail server refused {address}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientDeliveryError(f"mail server: {exc}") from exc


# Some kinds of message text a number another app holds (an urgent notice goes to the resident
# register's phone when the resident has no SMS number of their own): that app registers, from its
# ready(), a function taking a list of outbox messages of the kind and returning {message id: phone}
# for those it can text now; a message it leaves out fails for good (no number, or opted out).
SmsPhoneFinder = Callable[[list[OutboxMessage]], dict[int, str]]
_sms_phone_finders: dict[str, SmsPhoneFinder] = {}


def sms_phone_finder_register(*, kind: str, finder: SmsPhoneFinder) -> None:
    _sms_phone_finders[kind] = finder


def sms_phone_finder(kind: str) -> SmsPhoneFinder | None:
    return _sms_phone_finders.get(kind)


def sms_text(message: OutboxMessage) -> str:
    return "\n".join(part for part in (message.title, message.body, absolute_link(message.link)) if part)


def deliver_sms(message: OutboxMessage) -> None:
    finder = sms_phone_finder(message.kind)
    if finder is not None:
        if not message.recipient.is_active:
            raise PermanentDeliveryError("the recipient is deactivated")
        phone = finder([message]).get(message.pk)
        if not phone:
            raise PermanentDeliveryError("the recipient has no number for this message or turned it off")
        sms_backend().send(phone=phone, text=sms_text(message), idempotency_key=message.key)
        return
    # The number is read when sending, not copied into the outbox: it stays encrypted in one place,
    # and a user who turned SMS off after the event is not texted.
    preference = NotificationPreference.objects.filter(user_id=message.recipient_id).first()
    if preference is None or not preference.sms or not preference.sms_phone_encrypted:
        raise PermanentDeliveryError("the recipient has turned SMS off")
    if not message.recipient.is_active:
        raise PermanentDeliveryError("the recipient is deactivated")
    try:
        phone = personal_data.decrypt(preference.sms_phone_encrypted)
    except personal_data.PersonalDataError as exc:
        raise PermanentDeliveryError(str(exc)) from exc
    sms_backend().send(phone=phone, text=sms_text(message), idempotency_key=message.key)
