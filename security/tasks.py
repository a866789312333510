import logging

from celery import shared_task

from core import chain_checkpoints
from security.alerts import AlertKind, alert_raise
from security.audit import AUDIT_CHAIN, ChainCheck, audit_chain_check

logger = logging.getLogger(__name__)


def chain_check_failed(check: ChainCheck) -> None:
    """Log a failed check of a chain and tell the auditors (once per place it broke)."""
    where = check.report.broken_id
    logger.error("The %s chain failed its check at %s: %s", check.chain, where, check.problem)
    alert_raise(
        kind=AlertKind.CHAIN_CHECK_FAILED,
        summary=f"The {check.chain} log failed its check at {where or 'its checkpoints'}: {check.problem}"[:300],
        details={"chain": check.chain, "position": where, "reason": check.problem, "checked": check.report.checked},
        dedupe_key=f"chain_check_failed:{check.chain}:{where}:{check.problem}"[:200],
    )


@shared_task
def audit_chain_verify_task() -> dict:
    """Nightly check of the audit chain against its checkpoints; a failure is logged as an error
    and raised as an alert to the auditors."""
    check = audit_chain_check()
    if not check.intact:
        chain_check_failed(check)
    return {"checked": check.report.checked, "broken_event_id": check.report.broken_id, "problem": check.problem}


@shared_task
def audit_checkpoint_task() -> int | None:
    """Hourly, and when the log crosses a multiple of 10,000 events: sign the chain's head and
    write it outside the database. Safe to run twice (two records of the same head agree)."""
    record = chain_checkpoints.checkpoint_write(AUDIT_CHAIN)
    return record.position if record else None
