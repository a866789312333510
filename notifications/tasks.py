"""Celery tasks of the outbox. Thin: they take ids, call a service, and are safe to run twice."""

from celery import shared_task

# Well under leased.SENDING_LEASE, so a row still sending after the lease belongs to a dead worker.
DELIVERY_SOFT_TIME_LIMIT = 60
DELIVERY_TIME_LIMIT = 90


@shared_task(soft_time_limit=DELIVERY_SOFT_TIME_LIMIT, time_limit=DELIVERY_TIME_LIMIT)
def outbox_deliver_task(message_id: int) -> str:
    """Deliver one outbox message; returns its status, or "skipped" when another run had it."""
    # Imported here: services queue this task, so a module-level import would be circular.
    from notifications.services import outbox_deliver

    message = outbox_deliver(message_id=message_id)
    return message.status if message is not None else "skipped"


# Beat runs it every minute; one run must end before the next is due.
@shared_task(soft_time_limit=45, time_limit=55)
def outbox_sweep_task() -> int:
    """Re-queue outbox messages whose delivery was lost; returns how many."""
    from notifications.services import outbox_sweep

    return len(outbox_sweep())


# Beat runs it every minute; one run must end before the next is due.
@shared_task(soft_time_limit=45, time_limit=55)
def security_alerts_deliver_task() -> int:
    """Tell auditors about new security alerts; returns how many alerts were delivered."""
    from notifications.services import security_alerts_deliver

    return security_alerts_deliver()


@shared_task(soft_time_limit=DELIVERY_SOFT_TIME_LIMIT, time_limit=DELIVERY_TIME_LIMIT)
def outbox_deliver_sms_batch_task(message_ids: list[int]) -> dict:
    """Deliver a batch of SMS outbox rows (a fan-out's); returns counts by outcome."""
    from notifications.batch_delivery import outbox_deliver_sms_batch

    return outbox_deliver_sms_batch(message_ids=message_ids)


# Beat runs it every minute; one run must end before the next is due.
@shared_task(soft_time_limit=45, time_limit=55)
def verification_failures_deliver_task() -> int:
    """Tell grid staff of failed household-number verifications; returns how many tries were told."""
    from notifications.services import verification_failures_deliver

    return verification_failures_deliver()


# --- area alerts ----------------------------------------------------------------------------------
@shared_task(soft_time_limit=240, time_limit=300)
def area_alert_fan_out_task(key: str) -> int:
    """Tell the followers of one recorded area alert; returns how many were reached (0 if done)."""
    from notifications.area_alerts import area_alert_fan_out

    return area_alert_fan_out(key=key)


# Beat runs it every minute; one run must end before the next is due.
@shared_task(soft_time_limit=45, time_limit=55)
def area_alerts_sweep_task() -> int:
    """Fan out area alerts whose task was lost; returns how many."""
    from notifications.area_alerts import area_alerts_sweep

    return len(area_alerts_sweep())


# Beat runs it once a day, in the morning: each digest follower gets yesterday's alerts.
@shared_task(soft_time_limit=3000, time_limit=3300)
def area_digests_send_task() -> int:
    """Send the daily digests of area alerts; returns how many messages were sent."""
    from notifications.area_alerts import area_digests_send

    return area_digests_send()
