"""Celery tasks of the workforce. Thin: they call a service and are safe to run twice."""

from celery import shared_task


@shared_task(soft_time_limit=600, time_limit=660)
def training_reminders_task() -> int:
    """Daily (beat): required courses not done and certificates expiring soon; a rerun or a retry
    tells nobody twice (workforce.training.training_reminders_send)."""
    from workforce.training import training_reminders_send

    return training_reminders_send()


@shared_task(soft_time_limit=300, time_limit=360)
def level_proposals_run_task() -> int:
    """The yearly level run (beat, every 1 March, once managers have finalised last year's
    assessments): how many new proposals it made."""
    from workforce.services import level_proposals_run

    return len(level_proposals_run())


@shared_task(soft_time_limit=300, time_limit=360)
def assessment_run_task(year: int | None = None) -> int:
    """The yearly assessment run (beat, every 1 January; managers finalise before the level run on
    1 March): last year's drafts."""
    from workforce.assessment import assessment_run, last_year

    return assessment_run(year=last_year() if year is None else year)
