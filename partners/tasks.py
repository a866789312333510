"""Celery tasks of the partner webhooks. Thin: they take ids, call a service, and are safe to run twice."""

from celery import shared_task

# Well above the HTTP timeout (webhooks.DELIVERY_TIMEOUT) and well under core.leased.SENDING_LEASE, so
# a row still sending after the lease belongs to a dead worker.
DELIVERY_SOFT_TIME_LIMIT = 60
DELIVERY_TIME_LIMIT = 90


@shared_task(soft_time_limit=DELIVERY_SOFT_TIME_LIMIT, time_limit=DELIVERY_TIME_LIMIT)
def webhook_deliver_task(delivery_id: int) -> str:
    """POST one webhook delivery; returns its status, or "skipped" when another run had it."""
    # Imported here: the webhook services queue this task, so a module-level import would be circular.
    from partners.webhooks import webhook_deliver

    delivery = webhook_deliver(delivery_id=delivery_id)
    return delivery.status if delivery is not None else "skipped"


# Beat runs it every minute; one run must end before the next is due.
@shared_task(soft_time_limit=45, time_limit=55)
def webhook_sweep_task() -> int:
    """Re-queue webhook deliveries whose task was lost or whose worker died; returns how many."""
    from partners.webhooks import webhook_sweep

    return len(webhook_sweep())
