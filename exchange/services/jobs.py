"""Exchange jobs: request one (on demand or on schedule), run it (extract, mask, write, sign, log),
and requeue jobs a lost worker left behind.

A job may run twice (a redelivered message, a requeue while the first attempt still runs, a worker
killed half-way): each attempt writes its own temporary file, and only the attempt that holds the
job's row lock and finds no log entry yet renames its file into place and appends the entry, in
one transaction. The one-to-one job → entry constraint backs that up in the database.
"""

from __future__ import annotations

import io
import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.chain_checkpoints import checkpoint_due
from exchange.datasets import DATASETS
from exchange.models import (
    AgreementStatus,
    Delivery,
    ExchangeJob,
    Frequency,
    JobStatus,
    MessageLogEntry,
    MessageLogResident,
    SharingAgreement,
)
from exchange.payloads import discard_temporaries, payload_name, publish, write_payload
from exchange.services.agreements import agreement_in_force, officer_of
from exchange.services.log import MESSAGE_LOG_CHAIN
from exchange.services.refusal import refuse
from exchange.signing import manifest_of, sign, signing_key_for
from security.audit import audit_record
from security.models import User

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
PERIODS = {
    Frequency.DAILY: timedelta(days=1),
    Frequency.WEEKLY: timedelta(days=7),
    Frequency.MONTHLY: timedelta(days=30),
}


def _queue_log_checkpoint() -> None:
    from exchange.tasks import exchange_log_checkpoint_task

    exchange_log_checkpoint_task.delay()


def _enqueue(job_id: int) -> None:
    from exchange.tasks import exchange_job_run_task

    exchange_job_run_task.delay(job_id)


def may_run(user: User, agreement: SharingAgreement) -> bool:
    return officer_of(user, agreement.provider) or officer_of(user, agreement.consumer)


def not_in_force_message(agreement: SharingAgreement) -> str:
    if agreement.status == AgreementStatus.REVOKED:
        return _("The agreement was revoked; no data flows under it.")
    if agreement.status == AgreementStatus.ACTIVE or agreement.status == AgreementStatus.EXPIRED:
        if agreement.valid_to <= timezone.now():
            return _("The agreement has expired; no data flows under it.")
    return _("The agreement is not in force (status: %(status)s); no data flows under it.") % {
        "status": agreement.get_status_display()
    }


def exchange_job_request(
    *,
    actor: User | None,
    agreement: SharingAgreement,
    fields: list[str] | None = None,
    trigger: str = ExchangeJob.Trigger.ON_DEMAND,
) -> ExchangeJob:
    """Queue one run of `agreement`. A refusal (not a party, not in force, a field the agreement
    does not allow) is audited and raised as ExchangeRefused; nothing is queued."""
    if actor is not None and not may_run(actor, agreement):
        refuse(
            actor=actor,
            action="exchange.job.refused",
            target=agreement,
            code="forbidden",
            message=_("Your organisation is not a party to this agreement."),
        )
    if not agreement_in_force(agreement):
        refuse(
            actor=actor,
            action="exchange.job.refused",
            target=agreement,
            code="not_in_force",
            message=not_in_force_message(agreement),
        )
    wanted = list(fields) if fields else list(agreement.fields)
    outside = [code for code in wanted if code not in agreement.fields]
    if outside:
        refuse(
            actor=actor,
            action="exchange.job.refused",
            target=agreement,
            code="field_not_allowed",
            message=_("The agreement does not allow these fields: %(fields)s.") % {"fields": ", ".join(outside)},
            details={"fields": outside},
        )
    with transaction.atomic():
        job = ExchangeJob.objects.create(
            agreement=agreement,
            trigger=trigger,
            requested_by=actor,
            fields=[code for code in agreement.fields if code in wanted],
        )
        audit_record(actor=actor, action="exchange.job.request", target=job, details={"trigger": trigger})
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def exchange_jobs_schedule(*, now: datetime | None = None) -> int:
    """Queue a run of each active agreement whose period has passed since its last scheduled run."""
    now = now or timezone.now()
    due = (
        SharingAgreement.objects.filter(status=AgreementStatus.ACTIVE, valid_from__lte=now, valid_to__gt=now)
        .exclude(frequency=Frequency.ON_DEMAND)
        .annotate(last=Max("jobs__created_at", filter=Q(jobs__trigger=ExchangeJob.Trigger.SCHEDULE)))
        .select_related("dataset", "provider", "consumer")
    )
    queued = 0
    for agreement in due:
        if agreement.last is None or now - agreement.last >= PERIODS[agreement.frequency]:
            exchange_job_request(actor=None, agreement=agreement, trigger=ExchangeJob.Trigger.SCHEDULE)
            queued += 1
    return queued


def _finish(job: ExchangeJob, status: str, message: str = "") -> None:
    ExchangeJob.objects.filter(pk=job.pk).update(
        status=status, message=message[:500], finished_at=timezone.now(), updated_at=timezone.now()
    )


def _copy_residents(entry_id: int, resident_ids: list[int]) -> None:
    if not resident_ids:
        return
    # COPY: 100,000 rows in well under a second, where INSERTs would take several.
    rows = io.StringIO("".join(f"{entry_id}\t{resident_id}\n" for resident_id in resident_ids))
    with connection.cursor() as cursor:
        cursor.copy_from(rows, MessageLogResident._meta.db_table, columns=("entry_id", "resident_id"))


def exchange_job_run(*, job_id: int) -> MessageLogEntry | None:
    """Run a job to its log entry; safe to call again for a job that ran or half-ran."""
    job = ExchangeJob.objects.select_related("agreement__dataset", "agreement__provider", "agreement__consumer").get(
        pk=job_id
    )
    existing = MessageLogEntry.objects.filter(job=job).first()
    if existing is not None or job.status in (JobStatus.SUCCEEDED, JobStatus.REFUSED, JobStatus.FAILED):
        return existing
    claimed = ExchangeJob.objects.filter(pk=job.pk, status__in=[JobStatus.PENDING, JobStatus.RUNNING]).update(
        status=JobStatus.RUNNING, attempts=F("attempts") + 1, started_at=timezone.now(), updated_at=timezone.now()
    )
    if not claimed:
        return None
    agreement = job.agreement
    spec = DATASETS.get(agreement.dataset.code)
    outside = [code for code in job.fields if code not in agreement.fields]
    if spec is None or outside or not job.fields:
        _finish(job, JobStatus.REFUSED, _("The job asks for fields the agreement does not allow."))
        audit_record(actor=None, action="exchange.job.refused", target=job, details={"reason": "field_not_allowed"})
        return None
    if not agreement_in_force(agreement):
        _finish(job, JobStatus.REFUSED, not_in_force_message(agreement))
        audit_record(actor=None, action="exchange.job.refused", target=job, details={"reason": "not_in_force"})
        return None
    key = signing_key_for(agreement.provider)
    name = payload_name(job.public_id, agreement.payload_format)
    area_paths = list(agreement.areas.values_list("path", flat=True))
    rows = spec.rows(area_paths=area_paths, fields=job.fields, masked=set(agreement.masked_fields))
    written = write_payload(name=name, payload_format=agreement.payload_format, fields=job.fields, rows=rows)
    if settings.EXCHANGE_PAUSE_BEFORE_LOG:
        time.sleep(settings.EXCHANGE_PAUSE_BEFORE_LOG)
    return _log(job=job, key=key, name=name, written=written)


@transaction.atomic
def _log(*, job: ExchangeJob, key, name: str, written) -> MessageLogEntry | None:
    locked = ExchangeJob.objects.select_for_update().get(pk=job.pk)
    existing = MessageLogEntry.objects.filter(job_id=job.pk).first()
    if existing is not None or locked.status != JobStatus.RUNNING:
        # Another attempt finished first; its file is the signed one.
        written.temp_path.unlink(missing_ok=True)
        return existing
    agreement = (
        SharingAgreement.objects.select_for_update()
        .select_related("dataset", "provider", "consumer")
        .get(pk=job.agreement_id)
    )
    if not agreement_in_force(agreement):
        # Revoked or expired while the payload was being written: it is never published.
        written.temp_path.unlink(missing_ok=True)
        _finish(job, JobStatus.REFUSED, not_in_force_message(agreement))
        audit_record(actor=None, action="exchange.job.refused", target=job, details={"reason": "not_in_force"})
        return None
    publish(written.temp_path, name)
    MESSAGE_LOG_CHAIN.lock()
    entry = MessageLogEntry(
        job=locked,
        agreement=agreement,
        signing_key=key,
        payload_name=name,
        payload_format=agreement.payload_format,
        payload_sha256=written.sha256,
        payload_bytes=written.size,
        record_count=written.record_count,
        created_at=timezone.now(),
    )
    entry.signature = sign(key, manifest_of(entry))
    before = MESSAGE_LOG_CHAIN.link([entry])
    entry.save()
    if checkpoint_due(MESSAGE_LOG_CHAIN, before, entry.pk):
        transaction.on_commit(_queue_log_checkpoint)
    _copy_residents(entry.pk, written.resident_ids)
    now = timezone.now()
    ExchangeJob.objects.filter(pk=job.pk).update(
        status=JobStatus.SUCCEEDED, record_count=written.record_count, finished_at=now, message="", updated_at=now
    )
    SharingAgreement.objects.filter(pk=agreement.pk).update(last_run_at=now)
    audit_record(
        actor=None,
        action="exchange.job.logged",
        target=job,
        details={"entry": entry.pk, "records": written.record_count, "sha256": written.sha256},
    )
    transaction.on_commit(lambda: discard_temporaries(name))
    if agreement.delivery == Delivery.PUSH:
        from exchange.tasks import exchange_push_task

        transaction.on_commit(lambda: exchange_push_task.delay(entry.pk))
    return entry


def exchange_job_fail(*, job_id: int, message: str) -> None:
    """A job that cannot complete (an error that is not transient, or too many attempts)."""
    with transaction.atomic():
        updated = ExchangeJob.objects.filter(pk=job_id, status__in=[JobStatus.PENDING, JobStatus.RUNNING]).update(
            status=JobStatus.FAILED, message=message[:500], finished_at=timezone.now(), updated_at=timezone.now()
        )
        if updated:
            audit_record(
                actor=None,
                action="exchange.job.failed",
                target=ExchangeJob.objects.get(pk=job_id),
                details={"message": message[:500]},
            )


def exchange_jobs_requeue_stalled(*, stale_after: timedelta | None = None) -> int:
    """Queue again the jobs nobody has touched for longer than a task may run: their message was
    lost, or their worker died. A job past MAX_ATTEMPTS fails instead."""
    if stale_after is None:
        stale_after = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    cutoff = timezone.now() - stale_after
    stalled = ExchangeJob.objects.filter(status__in=[JobStatus.PENDING, JobStatus.RUNNING], updated_at__lte=cutoff)
    requeued = 0
    for job_id, attempts in stalled.order_by("pk").values_list("pk", "attempts"):
        if attempts >= MAX_ATTEMPTS:
            exchange_job_fail(job_id=job_id, message=f"gave up after {attempts} attempts")
            continue
        ExchangeJob.objects.filter(pk=job_id).update(updated_at=timezone.now())
        _enqueue(job_id)
        requeued += 1
    return requeued
