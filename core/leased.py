"""The delivery bookkeeping an outbox table shares, whatever it delivers (notifications.OutboxMessage,
partners.WebhookDelivery): a row is claimed for one attempt with a lease, its attempt ends by a
status change only the claimant may make, failures wait on a back-off, and a sweep revives what a
dead worker or a lost task left behind.

A row's model has `status` (with PENDING, SENDING and FAILED among its choices), `attempts`,
`next_attempt_at` and `last_error`; `deliver_task` is the Celery task that delivers one row by id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

# Much longer than a delivery task's hard time limit: a row still sending after this has outlived
# any worker that could have been delivering it.
SENDING_LEASE = timedelta(minutes=10)
# A pending row this long past due has lost its queued task; a younger one may just be waiting in
# the queue, and re-queuing it would only add a no-op duplicate.
REQUEUE_AFTER = timedelta(minutes=2)
SWEEP_BATCH_SIZE = 1000


@dataclass(frozen=True)
class LeasedOutbox:
    model: type[models.Model]
    statuses: type[models.TextChoices]
    # Wait before attempt 2, 3, …; one failure more than there are waits gives up.
    retry_backoff: tuple[timedelta, ...]
    deliver_task: object

    @property
    def max_attempts(self) -> int:
        return len(self.retry_backoff) + 1

    def queue(self, pk: int) -> None:
        # robust: if the broker is down at commit, the caller's change still succeeds; the row is
        # committed and the sweep queues it once the broker is back.
        transaction.on_commit(partial(self.deliver_task.delay, pk), robust=True)

    def claim(self, pk: int) -> bool:
        """Take the row for one attempt if it is pending and due. Commit before sending, so that a
        second worker sees it taken while the (slow, irreversible) send is under way."""
        now = timezone.now()
        S = self.statuses
        claimed = self.model.objects.filter(pk=pk, status=S.PENDING, next_attempt_at__lte=now).update(
            status=S.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + SENDING_LEASE
        )
        return claimed == 1

    def claim_many(self, pks) -> list[int]:
        """Take every row of `pks` that is pending and due, for one attempt each; returns the ids
        taken, in order. Rows another worker holds are skipped, not waited for. Like `claim`, call it
        outside a transaction: the claim commits before the sends."""
        now = timezone.now()
        S = self.statuses
        with transaction.atomic():
            # Locked by primary key alone and checked here: with the status in the WHERE clause the
            # planner, whose statistics lag behind a burst of new rows, walked the status index
            # through every pending row of a 100,000-row fan-out for each batch.
            locked = self.model.objects.select_for_update(skip_locked=True).filter(pk__in=list(pks)).order_by("pk")
            claimable = [
                pk
                for pk, status, due in locked.values_list("pk", "status", "next_attempt_at")
                if status == S.PENDING and due <= now
            ]
            self.model.objects.filter(pk__in=claimable).update(
                status=S.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + SENDING_LEASE
            )
        return claimable

    def finish(self, row, **changes) -> None:
        # Guarded on SENDING: only the worker holding the claim may end it.
        self.model.objects.filter(pk=row.pk, status=self.statuses.SENDING).update(**changes)
        for field, value in changes.items():
            setattr(row, field, value)

    def retry_later(self, row, error: str, **changes) -> None:
        """End a failed attempt: pending again after the back-off, or failed once out of attempts."""
        if row.attempts >= self.max_attempts:
            self.finish(
                row,
                status=self.statuses.FAILED,
                last_error=f"gave up after {row.attempts} attempts: {error}",
                **changes,
            )
            return
        delay = self.retry_backoff[row.attempts - 1]
        self.finish(
            row, status=self.statuses.PENDING, last_error=error, next_attempt_at=timezone.now() + delay, **changes
        )
        transaction.on_commit(
            partial(self.deliver_task.apply_async, (row.pk,), countdown=int(delay.total_seconds())), robust=True
        )

    @transaction.atomic
    def sweep(self, *, batch_size: int = SWEEP_BATCH_SIZE) -> list[int]:
        """Re-queue what would otherwise wait forever; returns the ids queued.

        - rows left sending past their lease (the worker died mid-delivery) go back to pending, or
          fail once they have used all their attempts;
        - pending rows well past due (their task was lost) are queued again.
        """
        now = timezone.now()
        S = self.statuses
        stuck = list(
            self.model.objects.select_for_update(skip_locked=True)
            .filter(status=S.SENDING, next_attempt_at__lte=now)
            .order_by("pk")
            .values_list("pk", "attempts")[:batch_size]
        )
        exhausted = [pk for pk, attempts in stuck if attempts >= self.max_attempts]
        revived = [pk for pk, attempts in stuck if attempts < self.max_attempts]
        self.model.objects.filter(pk__in=exhausted).update(
            status=S.FAILED,
            last_error=f"gave up after {self.max_attempts} attempts: the last delivery did not finish",
        )
        self.model.objects.filter(pk__in=revived).update(
            status=S.PENDING,
            next_attempt_at=now,
            last_error="the delivery did not finish (the worker stopped); trying again",
        )
        overdue = list(
            self.model.objects.filter(status=S.PENDING, next_attempt_at__lte=now - REQUEUE_AFTER)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        queued = sorted(set(revived) | set(overdue))
        for pk in queued:
            self.queue(pk)
        return queued
