import logging

from celery import shared_task

from security.audit import audit_chain_verify

logger = logging.getLogger(__name__)


@shared_task
def audit_chain_verify_task() -> dict:
    """Nightly check of the audit chain; a broken chain is logged as an error for the operators."""
    report = audit_chain_verify()
    if not report.intact:
        logger.error("Audit chain broken at event %s: %s", report.broken_id, report.reason)
    return {"checked": report.checked, "broken_event_id": report.broken_id}
