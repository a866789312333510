"""Celery tasks of participation. Thin: they take ids, call a service, and are safe to run twice."""

from celery import shared_task

from notifications.batch_delivery import SMS_BATCH_SIZE


@shared_task(soft_time_limit=120, time_limit=150)
def notice_fan_out_task(notice_id: int, resume: bool = False) -> int:
    """Start (or resume) a notice's fan-out: queue one batch task per batch of recipients; returns how
    many batches were queued (0 when another run has it or nobody is left)."""
    from participation.notice_delivery import notice_fan_out_start

    batches = notice_fan_out_start(notice_id=notice_id, resume=resume)
    for first, last in batches:
        notice_fan_out_batch_task.delay(notice_id, first, last)
    return len(batches)


@shared_task(soft_time_limit=120, time_limit=150)
def notice_fan_out_batch_task(notice_id: int, first_user_id: int, last_user_id: int) -> int:
    """Write one batch of a notice's receipts, inbox and outbox rows, then queue its SMS in batches;
    returns how many SMS were queued."""
    from notifications.tasks import outbox_deliver_sms_batch_task
    from participation.notice_delivery import notice_fan_out_batch

    sms_ids = notice_fan_out_batch(notice_id=notice_id, first_user_id=first_user_id, last_user_id=last_user_id)
    for start in range(0, len(sms_ids), SMS_BATCH_SIZE):
        outbox_deliver_sms_batch_task.delay(sms_ids[start : start + SMS_BATCH_SIZE])
    return len(sms_ids)


# Beat runs it every minute; one run must end before the next is due.
@shared_task(soft_time_limit=45, time_limit=55)
def notices_release_due_task() -> int:
    """Start the fan-out of scheduled notices that came due and resume stalled ones; returns how many."""
    from participation.notice_delivery import notices_release_due

    due = notices_release_due()
    for notice_id, resume in due:
        notice_fan_out_task.delay(notice_id, resume)
    return len(due)


# --- Meetings and events ---------------------------------------------------------------------------
# Beat runs it hourly; a sign-up is reminded once (marked, and keyed per event and sign-up).
@shared_task(soft_time_limit=600, time_limit=660)
def event_reminders_send_task() -> int:
    """Remind everyone with a place at an event starting within 24 hours; returns how many."""
    from participation.events import event_reminders_send

    return event_reminders_send()


# --- Proposals -----------------------------------------------------------------------------------
# Beat runs it hourly; a proposal is marked overdue once (the sweep skips marked ones).
@shared_task(soft_time_limit=600, time_limit=660)
def proposals_sweep_overdue_task() -> int:
    """Mark unanswered proposals past their answer deadline overdue and tell the subdistrict's officers."""
    from participation.proposals import proposals_sweep_overdue

    return proposals_sweep_overdue()


@shared_task(soft_time_limit=600, time_limit=660)
def proposal_update_tell_task(key: str) -> int:
    """Tell a proposal's followers of one change (started on its commit); returns how many were told."""
    from participation.proposals import proposal_update_tell

    return proposal_update_tell(key=key)
