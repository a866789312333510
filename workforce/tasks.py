"""Celery tasks of the workforce. Thin: they call a service and are safe to run twice."""

from celery import shared_task


@shared_task(soft_time_limit=300, time_limit=360)
def level_proposals_run_task() -> int:
    """The yearly level run (beat, every 1 January): how many new proposals it made."""
    from workforce.services import level_proposals_run

    return len(level_proposals_run())
