"""Delivering a logged payload: fetched by the consumer's system with its API key, or pushed to
the consumer's endpoint. Either way the payload leaves only if the agreement is still in force,
the entry's signature verifies and the file still has the signed hash; any refusal is audited."""

from __future__ import annotations

import base64
import http.client
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core import outbound_http
from exchange.models import DeliveryAttempt, MessageLogEntry
from exchange.payloads import file_sha256, payload_path
from exchange.services.agreements import agreement_in_force
from exchange.services.jobs import not_in_force_message
from exchange.services.refusal import refuse
from exchange.signing import manifest_of, signature_valid
from security.audit import audit_record
from security.models import ApiKey, User

CONTENT_TYPES = {"jsonl": "application/x-ndjson; charset=utf-8", "csv": "text/csv; charset=utf-8"}


class PushNotAnswered(Exception):
    """The consumer's endpoint did not answer, or answered 5xx: try again later."""


@dataclass(frozen=True)
class Deliverable:
    entry: MessageLogEntry
    path: Path
    manifest: bytes

    def headers(self) -> dict[str, str]:
        """What lets the consumer check the payload with the provider's public key alone."""
        return {
            "Content-Type": CONTENT_TYPES[self.entry.payload_format],
            "X-Exchange-Manifest": base64.b64encode(self.manifest).decode(),
            "X-Exchange-Signature": self.entry.signature,
            "X-Exchange-Key": self.entry.signing_key.fingerprint,
            "X-Exchange-Public-Key": self.entry.signing_key.public_key,
            "X-Payload-SHA256": self.entry.payload_sha256,
            "Idempotency-Key": str(self.entry.job.public_id),
        }


def _entries():
    return MessageLogEntry.objects.select_related(
        "job", "agreement__dataset", "agreement__provider", "agreement__consumer", "signing_key"
    )


def _checked(entry: MessageLogEntry, *, actor: User | None, action: str) -> Deliverable:
    if not agreement_in_force(entry.agreement):
        refuse(
            actor=actor,
            action=action,
            target=entry.job,
            code="not_in_force",
            message=not_in_force_message(entry.agreement),
        )
    manifest = manifest_of(entry)
    if entry.signing_key.organisation_id != entry.agreement.provider_id or not signature_valid(
        entry.signing_key, manifest, entry.signature
    ):
        refuse(
            actor=actor,
            action=action,
            target=entry.job,
            code="tampered",
            message=_("This exchange's signature does not verify; it is withheld and the operators are told."),
        )
    path = payload_path(entry.payload_name)
    if file_sha256(path) != entry.payload_sha256:
        refuse(
            actor=actor,
            action=action,
            target=entry.job,
            code="tampered",
            message=_("The stored payload does not match its signed hash; it is withheld and the operators are told."),
        )
    return Deliverable(entry, path, manifest)


def entry_fetch(*, key: ApiKey, job_public_id: str) -> Deliverable:
    """The payload of one exchange, for the consumer organisation's API key."""
    try:
        entry = _entries().get(job__public_id=job_public_id, agreement__consumer_id=key.organisation_id)
    except (MessageLogEntry.DoesNotExist, ValidationError):
        refuse(
            actor=key.created_by,
            action="exchange.fetch.refused",
            target=key,
            code="not_found",
            message=_("No exchange with this number was sent to your organisation under an agreement."),
            details={"job": str(job_public_id)[:64]},
        )
    deliverable = _checked(entry, actor=key.created_by, action="exchange.fetch.refused")
    DeliveryAttempt.objects.create(entry=entry, kind=DeliveryAttempt.Kind.FETCH, ok=True, by=key.created_by)
    audit_record(actor=key.created_by, action="exchange.fetch", target=entry.job, details={"key": key.prefix})
    return deliverable


def entry_push(*, entry_id: int) -> DeliveryAttempt | None:
    """POST the payload to the consumer's endpoint (the partner webhooks' address rules and
    pinned connection). Raises PushNotAnswered for the task to retry; a 4xx answer is final."""
    entry = _entries().get(pk=entry_id)
    if entry.deliveries.filter(kind=DeliveryAttempt.Kind.PUSH, ok=True).exists():
        return None
    deliverable = _checked(entry, actor=None, action="exchange.push.refused")
    url = entry.agreement.push_url
    try:
        target = outbound_http.target_check(url)
    except ValidationError as exc:
        return _push_recorded(entry, ok=False, detail=" ".join(exc.messages))
    except outbound_http.UnreachableTarget as exc:
        _push_recorded(entry, ok=False, detail=str(exc))
        raise PushNotAnswered(str(exc)) from None
    try:
        answer = outbound_http.post(
            target=target,
            body=deliverable.path.read_bytes(),
            headers=deliverable.headers(),
            timeout=settings.EXCHANGE_PUSH_TIMEOUT,
        )
    except (OSError, http.client.HTTPException) as exc:
        _push_recorded(entry, ok=False, detail=f"no answer: {exc.__class__.__name__}: {exc}")
        raise PushNotAnswered(str(exc)) from None
    ok = 200 <= answer.status < 300
    attempt = _push_recorded(entry, ok=ok, status_code=answer.status, detail=answer.excerpt)
    if answer.status >= 500:
        raise PushNotAnswered(f"HTTP {answer.status}")
    return attempt


def _push_recorded(entry: MessageLogEntry, *, ok: bool, detail: str, status_code: int | None = None):
    attempt = DeliveryAttempt.objects.create(
        entry=entry, kind=DeliveryAttempt.Kind.PUSH, ok=ok, status_code=status_code, detail=detail[:300]
    )
    audit_record(
        actor=None,
        action="exchange.push" if ok else "exchange.push.failed",
        target=entry.job,
        details={"status": status_code, "detail": detail[:200]},
    )
    return attempt
