import logging

from celery import shared_task

from core import chain_checkpoints
from security.alerts import AlertKind, alert_raise, alerts_detect
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
        # The events the alert itself appends must not make the same break a new alert.
        dedupe_key=f"chain_check_failed:{check.chain}:{check.report.missing_id or where}",
    )


@shared_task
def audit_chain_verify_task() -> dict:
    """Nightly check of the audit chain against its checkpoints; a failure is logged as an error
    and raised as an alert to the auditors."""
    check = audit_chain_check()
    if not check.intact:
        chain_check_failed(check)
    return {"checked": check.report.checked, "broken_event_id": check.report.broken_id}


@shared_task
def audit_checkpoint_task() -> int | None:
    """Hourly, and when the log crosses a multiple of 10,000 events: sign the chain's head and
    write it outside the database. Safe to run twice (two records of the same head agree)."""
    record = chain_checkpoints.checkpoint_write(AUDIT_CHAIN)
    return record.position if record else None


# Beat runs it every minute (the auditor's desk); one run must end before the next is due.
@shared_task(soft_time_limit=45, time_limit=55)
def alerts_detect_task() -> int:
    """Raise the alerts the recent audit log calls for; returns how many were new."""
    return len(alerts_detect())
