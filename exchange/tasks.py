"""Thin Celery tasks for the exchange: they take ids and call services. Late acknowledgement (the
project's setting) means a worker killed mid-job leaves its message to be delivered again; the
services make a second run harmless."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from core import chain_checkpoints

# The import task lives with the imports (exchange/imports/); imported here so workers register it.
from exchange.imports.services import dataset_imports_requeue_stalled
from exchange.imports.tasks import dataset_import_run_task  # noqa: F401
from exchange.services import agreements_refresh, entry_push, exchange_job_run, exchange_jobs_requeue_stalled
from exchange.services.delivery import PushNotAnswered
from exchange.services.jobs import MAX_ATTEMPTS, exchange_job_fail, exchange_jobs_schedule
from exchange.services.log import MESSAGE_LOG_CHAIN, message_log_check
from security.tasks import chain_check_failed

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=MAX_ATTEMPTS,
)
def exchange_job_run_task(self, job_id: int) -> int | None:
    try:
        entry = exchange_job_run(job_id=job_id)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        # Not transient (a bug, a bad key): record it on the job instead of retrying for ever.
        logger.exception("Exchange job %s failed", job_id)
        exchange_job_fail(job_id=job_id, message=f"{exc.__class__.__name__}: {exc}")
        return None
    return entry.pk if entry is not None else None


@shared_task(bind=True, autoretry_for=(PushNotAnswered,), retry_backoff=60, retry_backoff_max=3600, max_retries=6)
def exchange_push_task(self, entry_id: int) -> bool:
    attempt = entry_push(entry_id=entry_id)
    return bool(attempt is not None and attempt.ok)


@shared_task
def exchange_sweep_task() -> dict:
    """Beat: agreements start and expire on their dates, scheduled agreements run, stalled jobs
    and imports are queued again."""
    return {
        "agreements_changed": agreements_refresh(),
        "scheduled": exchange_jobs_schedule(),
        "requeued": exchange_jobs_requeue_stalled(),
        "imports_requeued": dataset_imports_requeue_stalled(),
    }


@shared_task
def exchange_log_verify_task() -> dict:
    """Nightly: every entry's link, hash and signature, every payload file's hash, and the log
    against its signed checkpoints; a break is logged as an error and raised as an alert to the
    auditors (`manage.py verify_exchange_log` names it too)."""
    check = message_log_check(payloads=True)
    if not check.intact:
        chain_check_failed(check)
    return {"checked": check.report.checked, "broken_entry_id": check.report.broken_id}


@shared_task
def exchange_log_checkpoint_task() -> int | None:
    """Hourly, and every 10,000 entries: the log's head, signed, written outside the database."""
    record = chain_checkpoints.checkpoint_write(MESSAGE_LOG_CHAIN)
    return record.position if record else None
