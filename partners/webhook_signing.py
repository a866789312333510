"""How webhook deliveries are signed, and how a partner checks them.

Every delivery carries two headers:

    X-Shunqing-Timestamp: 1767225600
    X-Shunqing-Signature: sha256=5d41402abc4b2a76b9719d911017c592...

The signature is the hex HMAC-SHA256, keyed with the webhook's secret (the `whsec_…` string shown
once when the webhook was registered), of the timestamp, a full stop, and the raw request body
exactly as received (UTF-8 JSON; do not parse and re-serialise it first):

    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()

A receiver should accept the delivery only if the signature matches (compared in constant time)
and the timestamp is within a few minutes of its own clock, which stops an intercepted delivery
from being replayed later. It should also remember the payload's "id" (the event id) for a while
and ignore an id it has already handled: deliveries are retried until acknowledged with a 2xx
answer, and a partner can ask for one to be sent again, so the same event can arrive more than once.

This module has no dependency on the rest of the portal: partners may copy it as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_PREFIX = "sha256="
DEFAULT_TOLERANCE = 300  # seconds


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def sign(secret: str, timestamp: int | str, body: str | bytes) -> str:
    """The X-Shunqing-Signature value for `body` sent at `timestamp` (unix seconds)."""
    message = f"{timestamp}.".encode() + _as_bytes(body)
    return SIGNATURE_PREFIX + hmac.new(_as_bytes(secret), message, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    timestamp: int | str,
    body: str | bytes,
    signature: str,
    tolerance: int = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> bool:
    """True when `signature` is what `secret` gives for `timestamp` and `body`, and `timestamp` is
    no more than `tolerance` seconds away from now (either way, to allow for clock drift)."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance:
        return False
    if not isinstance(signature, str):
        return False
    return hmac.compare_digest(sign(secret, sent_at, body).encode(), signature.strip().encode())
