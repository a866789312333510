import logging

from celery import shared_task

from dashboards.services import summaries_refresh

logger = logging.getLogger(__name__)


@shared_task(time_limit=600, soft_time_limit=540)
def summaries_refresh_task() -> dict:
    """Every few minutes: bring the dashboards' summary tables up to date. Safe to run twice or at
    once: the refresh takes an advisory lock and recomputes whole days."""
    report = summaries_refresh()
    logger.info(
        "Dashboards summaries: %d days, %d weekly, monthly and yearly rows recomputed", report.days, report.rollups
    )
    return {"days": report.days, "rollups": report.rollups, "summarised_until": report.summarised_until.isoformat()}
