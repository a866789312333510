import logging

from celery import shared_task
from django.core.exceptions import ValidationError

from services.photos import staged_photos_expire
from services.services import overdue_candidates, request_close, request_escalate, resolved_past_window

logger = logging.getLogger(__name__)
BATCH = 500


@shared_task(time_limit=600, soft_time_limit=540)
def requests_escalate_overdue_task() -> int:
    """Every few minutes: escalate overdue requests one level. Each request is handled in its own
    transaction under a row lock, so a crash part-way loses nothing and a second run is a no-op."""
    escalated = 0
    for request in overdue_candidates().iterator(chunk_size=BATCH):
        escalated += request_escalate(request=request)
    if escalated:
        logger.info("Escalated %d overdue requests", escalated)
    return escalated


@shared_task(time_limit=600, soft_time_limit=540)
def requests_close_after_window_task() -> int:
    """Hourly: resolved requests nobody reopened within the window close themselves."""
    closed = 0
    for request in resolved_past_window().iterator(chunk_size=BATCH):
        try:
            request_close(request=request, actor=None)
        except ValidationError:
            continue  # reopened by the resident since the query ran
        closed += 1
    return closed


@shared_task(time_limit=600, soft_time_limit=540)
def staged_photos_expire_task() -> int:
    """Hourly: photos staged on request forms that were never sent go after a day (services.photos)."""
    return staged_photos_expire()
