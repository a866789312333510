"""Organisations' Ed25519 signing keys, the manifest each exchange signs, and the hash that chains
the message log.

The private key never leaves the database in clear: it is encrypted with a key derived from
PERSONAL_DATA_KEY for this purpose only (security.personal_data.encrypt_for). Consumers verify a
payload with the public key alone: sha256 of the bytes they received must equal the manifest's
`payload_sha256`, and the signature must verify over the manifest's exact bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.db import IntegrityError, transaction

from directory.models import Organisation
from exchange.models import MessageLogEntry, SigningKey
from security import personal_data
from security.audit import audit_record

PURPOSE = "exchange signing key"
MANIFEST_VERSION = "shunqing-exchange/1"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def signing_key_for(organisation: Organisation) -> SigningKey:
    """The organisation's active key, made on first use."""
    key = SigningKey.objects.filter(organisation=organisation, is_active=True).first()
    if key is not None:
        return key
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    raw_public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    try:
        with transaction.atomic():
            key = SigningKey.objects.create(
                organisation=organisation,
                public_key=_b64(raw_public),
                private_key_encrypted=personal_data.encrypt_for(PURPOSE, raw_private),
                fingerprint=hashlib.sha256(raw_public).hexdigest()[:16],
            )
            audit_record(actor=None, action="exchange.signing_key.create", target=key)
    except IntegrityError:
        # Two jobs of one organisation made a key at once; the unique constraint kept one.
        return SigningKey.objects.get(organisation=organisation, is_active=True)
    return key


def _private(key: SigningKey) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(personal_data.decrypt_for(PURPOSE, key.private_key_encrypted))


def public_key_of(key: SigningKey) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(key.public_key))


def _when(moment) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def manifest_of(entry: MessageLogEntry) -> bytes:
    """What the provider signs: every fact a consumer needs to trust the payload, as canonical JSON."""
    agreement = entry.agreement
    facts = {
        "version": MANIFEST_VERSION,
        "agreement": str(agreement.public_id),
        "job": str(entry.job.public_id),
        "dataset": agreement.dataset.code,
        "provider": agreement.provider.code,
        "consumer": agreement.consumer.code,
        "format": entry.payload_format,
        "payload_sha256": entry.payload_sha256,
        "payload_bytes": entry.payload_bytes,
        "record_count": entry.record_count,
        "created_at": _when(entry.created_at),
        "key": entry.signing_key.fingerprint,
    }
    return json.dumps(facts, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def sign(key: SigningKey, message: bytes) -> str:
    return _b64(_private(key).sign(message))


def signature_valid(key: SigningKey, message: bytes, signature: str) -> bool:
    try:
        public_key_of(key).verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def entry_canonical(entry: MessageLogEntry) -> bytes:
    """What the chain hashes: the signed manifest, the signature and the link to the entry before."""
    facts = {
        "manifest": manifest_of(entry).decode(),
        "signature": entry.signature,
        "payload_name": entry.payload_name,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(facts, sort_keys=True, ensure_ascii=False).encode()
