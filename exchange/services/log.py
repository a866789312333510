"""The message log's chain: appending in order, and checking every signature and link."""

from __future__ import annotations

from core import chain_checkpoints
from core.hash_chain import ChainReport, HashChain
from exchange.models import MessageLogEntry
from exchange.payloads import file_sha256, payload_path
from exchange.signing import entry_canonical, manifest_of, signature_valid
from security.audit import ChainCheck, chain_check, chain_keyed_after, chain_mark_keyed, chain_markers

MESSAGE_LOG_CHAIN_NAME = "exchange-log"

# The lock id is any constant of its own (the audit log's chain has another). Keyed like the audit
# log since its marker (an audit event, as the log's rows all belong to an exchange), and checked
# against its own signed checkpoints.
MESSAGE_LOG_CHAIN = HashChain(
    model=MessageLogEntry,
    lock_id=7_311_306,
    canonical=entry_canonical,
    key=lambda: chain_checkpoints.chain_hmac_key(MESSAGE_LOG_CHAIN_NAME),
    name=MESSAGE_LOG_CHAIN_NAME,
    keyed_after=lambda: chain_keyed_after(MESSAGE_LOG_CHAIN_NAME),
    mark_keyed=lambda plain_until: chain_mark_keyed(MESSAGE_LOG_CHAIN_NAME, plain_until),
    keyed_marker=lambda: chain_markers(MESSAGE_LOG_CHAIN_NAME),
)


def message_log_verify(*, payloads: bool = False, batch_size: int = 500) -> ChainReport:
    """Walk the log in order; report the first entry whose link, hash or signature is wrong (and,
    with `payloads`, whose stored file no longer has the signed hash), or what its signed
    checkpoints say is missing or rewritten."""
    check = message_log_check(payloads=payloads, batch_size=batch_size)
    if check.store_error:
        return ChainReport(check.report.checked, reason=check.problem)
    return check.report


def message_log_check(*, payloads: bool = False, batch_size: int = 500) -> ChainCheck:

    def signed_as_logged(entry: MessageLogEntry) -> str:
        if entry.signing_key.organisation_id != entry.agreement.provider_id:
            return "it is signed with a key of another organisation than the provider"
        if not signature_valid(entry.signing_key, manifest_of(entry), entry.signature):
            return "its signature does not verify with the provider's public key"
        if payloads and file_sha256(payload_path(entry.payload_name)) != entry.payload_sha256:
            return "its payload file is missing or differs from the signed hash"
        return ""

    entries = MessageLogEntry.objects.select_related(
        "job", "agreement__dataset", "agreement__provider", "agreement__consumer", "signing_key"
    ).order_by("id")
    return chain_check(MESSAGE_LOG_CHAIN, entries.iterator(chunk_size=batch_size), also=signed_as_logged)
