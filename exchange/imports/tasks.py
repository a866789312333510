"""Thin Celery tasks of imports. Late acknowledgement (the project's setting) redelivers the
message of a worker killed mid-import; the service skips the batches already done, so a second
delivery is harmless."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from exchange.imports.services import dataset_import_abort, dataset_import_run

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def dataset_import_run_task(import_id: int) -> str | None:
    try:
        outcome = dataset_import_run(import_id=import_id)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        # Not transient: record it on the import rather than retrying, or leaving it running.
        logger.exception("Import %s failed", import_id)
        dataset_import_abort(import_id=import_id, message=f"{exc.__class__.__name__}")
        return "failed"
    return outcome.status if outcome is not None else None
