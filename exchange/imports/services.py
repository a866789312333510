"""Imports a provider department pushes: accept the file, run it in batches, run it again.

Who may import: a department officer of the department that provides the dataset in the catalogue
(exchange.models.Dataset.provider), for the area their officer role covers; an API key acts as the
officer who made it. Every import is audited when it is pushed, when a run starts and when it ends
(with its counts); a refusal is audited too.

How a run survives failures: the file is cut into numbered batches. Each batch is checked and
written in one transaction that also records its rejected rows and marks the batch done, after
locking the batch's row — so a failed batch rolls back alone, a second worker skips a batch the
first holds or finished, and a run started again (a redelivered task, "run again") does only the
batches not yet done. Rows are keyed by natural keys and unchanged rows are not written, so running a
file twice ends with the same data as running it once.
"""

from __future__ import annotations

import hashlib
import logging
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Organisation
from exchange.imports import household
from exchange.imports.parsing import check_readable, decode, guess_format, read_records
from exchange.models import Dataset, DatasetImport, ImportBatch, ImportRejection, ImportSource, ImportStatus
from security import personal_data
from security.audit import audit_record
from security.models import Role, User
from security.scoping import role_assignments

logger = logging.getLogger(__name__)

# Dataset code → the module that checks and writes its rows.
IMPORTERS = {"resident-roster": household}
BATCH_SIZE = 1000
MAX_FILE_BYTES = 64 * 1024 * 1024
# A run hands over to a fresh task after this long, well inside Celery's time limit.
RUN_SECONDS = 150
SOURCE_PURPOSE = "exchange import"
HEARTBEAT_SECONDS = 10


def importer_for(dataset: Dataset):
    return IMPORTERS.get(dataset.code)


def officer_area_paths(user: User, organisation: Organisation) -> list[str]:
    """The areas the user covers as an officer of `organisation`; empty when they are not one."""
    return sorted(
        {
            assignment.area.path
            for assignment in role_assignments(user)
            if assignment.role == Role.DEPARTMENT_OFFICER and assignment.organisation_id == organisation.pk
        }
    )


def may_import(user: User, dataset: Dataset, organisation: Organisation) -> bool:
    return (
        importer_for(dataset) is not None
        and dataset.is_active
        and dataset.provider_id == organisation.pk
        and organisation.kind == Organisation.Kind.DEPARTMENT
        and bool(officer_area_paths(user, organisation))
    )


def _seal(content: bytes) -> str:
    return personal_data.encrypt_for(SOURCE_PURPOSE, zlib.compress(content, 6))


def _unseal(token: str) -> bytes:
    return zlib.decompress(personal_data.decrypt_for(SOURCE_PURPOSE, token))


def _enqueue(import_id: int) -> None:
    from exchange.imports.tasks import dataset_import_run_task

    dataset_import_run_task.delay(import_id)


@transaction.atomic
def _refused(*, actor: User, dataset: Dataset, organisation: Organisation, reason: str) -> None:
    audit_record(
        actor=actor,
        action="exchange.import.refused",
        target=dataset,
        details={"organisation": organisation.code, "reason": reason},
    )


def dataset_import_create(
    *,
    actor: User,
    organisation: Organisation,
    dataset: Dataset,
    file_name: str,
    content: bytes,
    channel: str,
    file_format: str = "",
) -> DatasetImport:
    """Accept a pushed file and queue its import. Refuses (audited, nothing stored) someone who is
    not an officer of the dataset's provider, and a file whose header or encoding does not fit."""
    if not may_import(actor, dataset, organisation):
        _refused(actor=actor, dataset=dataset, organisation=organisation, reason="forbidden")
        raise PermissionDenied(_("Only the department that provides this dataset may import it."))
    try:
        if len(content) > MAX_FILE_BYTES:
            raise ValidationError(_("The file is larger than 64 MB; split it into several imports."))
        chosen_format = guess_format(file_name, file_format)
        check_readable(decode(content), chosen_format, importer_for(dataset).COLUMNS)
    except ValidationError as error:
        _refused(actor=actor, dataset=dataset, organisation=organisation, reason=error.messages[0])
        raise
    with transaction.atomic():
        dataset_import = DatasetImport.objects.create(
            dataset=dataset,
            organisation=organisation,
            created_by=actor,
            channel=channel,
            file_name=(file_name or "import")[-200:],
            file_format=chosen_format,
            file_sha256=hashlib.sha256(content).hexdigest(),
            file_bytes=len(content),
            batch_size=BATCH_SIZE,
        )
        ImportSource.objects.create(dataset_import=dataset_import, content=_seal(content))
        audit_record(
            actor=actor,
            action="exchange.import.create",
            target=dataset_import,
            details={
                "dataset": dataset.code,
                "organisation": organisation.code,
                "channel": channel,
                "file_sha256": dataset_import.file_sha256,
                "bytes": len(content),
            },
        )
        transaction.on_commit(lambda: _enqueue(dataset_import.pk))
    return dataset_import


@transaction.atomic
def dataset_import_resume(*, actor: User, dataset_import: DatasetImport) -> DatasetImport:
    """Run an import again after some batches failed: only those batches are done again."""
    locked = DatasetImport.objects.select_for_update().get(pk=dataset_import.pk)
    if not officer_area_paths(actor, locked.organisation):
        raise PermissionDenied(_("Only an officer of the importing department may run it again."))
    if locked.status != ImportStatus.FAILED:
        raise ValidationError(_("Only an import with failed batches can be run again."))
    locked.batches.filter(status=ImportBatch.Status.FAILED).update(status=ImportBatch.Status.PENDING, error="")
    locked.status = ImportStatus.PENDING
    locked.message = ""
    locked.save(update_fields=["status", "message", "updated_at"])
    audit_record(actor=actor, action="exchange.import.resume", target=locked)
    transaction.on_commit(lambda: _enqueue(locked.pk))
    return locked


@dataclass(frozen=True)
class RunOutcome:
    status: str
    batches_done_now: int
    handed_over: bool = False


def _start(import_id: int) -> DatasetImport | None:
    """Mark the import running (audited once per run); None when there is nothing to do."""
    with transaction.atomic():
        dataset_import = (
            DatasetImport.objects.select_for_update().select_related("dataset", "organisation").get(pk=import_id)
        )
        if dataset_import.status in (ImportStatus.SUCCEEDED, ImportStatus.INVALID, ImportStatus.FAILED):
            return None
        if dataset_import.status == ImportStatus.PENDING:
            dataset_import.status = ImportStatus.RUNNING
            dataset_import.runs = F("runs") + 1
            dataset_import.started_at = dataset_import.started_at or timezone.now()
            dataset_import.save(update_fields=["status", "runs", "started_at", "updated_at"])
            dataset_import.refresh_from_db(fields=["runs"])
            audit_record(
                actor=None,
                action="exchange.import.start",
                target=dataset_import,
                details={"run": dataset_import.runs, "dataset": dataset_import.dataset.code},
            )
    return dataset_import


def _end(dataset_import: DatasetImport, *, status: str, message: str = "") -> None:
    with transaction.atomic():
        locked = DatasetImport.objects.select_for_update().get(pk=dataset_import.pk)
        if locked.status != ImportStatus.RUNNING:
            return  # another worker ended it first
        totals = locked.batches.aggregate(
            created=Sum("created_count", default=0),
            updated=Sum("updated_count", default=0),
            unchanged=Sum("unchanged_count", default=0),
            rejected=Sum("rejected_count", default=0),
            failed=Count("pk", filter=Q(status=ImportBatch.Status.FAILED)),
        )
        locked.status = status
        locked.message = message[:500]
        locked.finished_at = timezone.now()
        locked.created_count = totals["created"]
        locked.updated_count = totals["updated"]
        locked.unchanged_count = totals["unchanged"]
        locked.rejected_count = totals["rejected"]
        locked.save(
            update_fields=[
                "status",
                "message",
                "finished_at",
                "created_count",
                "updated_count",
                "unchanged_count",
                "rejected_count",
                "updated_at",
            ]
        )
        audit_record(
            actor=None,
            action="exchange.import.finish",
            target=locked,
            details={
                "status": status,
                "rows": locked.total_rows,
                "created": totals["created"],
                "updated": totals["updated"],
                "unchanged": totals["unchanged"],
                "rejected": totals["rejected"],
                "failed_batches": totals["failed"],
            },
        )


def _ensure_batches(dataset_import: DatasetImport, records: list) -> None:
    size = dataset_import.batch_size
    count = (len(records) + size - 1) // size
    if dataset_import.batch_count is None:
        ImportBatch.objects.bulk_create(
            [
                ImportBatch(
                    dataset_import=dataset_import,
                    number=number,
                    first_line=records[number * size].line,
                    last_line=records[min((number + 1) * size, len(records)) - 1].line,
                    row_count=len(records[number * size : (number + 1) * size]),
                )
                for number in range(count)
            ],
            ignore_conflicts=True,
        )
        DatasetImport.objects.filter(pk=dataset_import.pk).update(total_rows=len(records), batch_count=count)
        dataset_import.total_rows, dataset_import.batch_count = len(records), count


def _short_error(error: Exception) -> str:
    # Never the database's own message: it may quote the row, i.e. a resident's data.
    cause = error.__cause__
    constraint = getattr(getattr(cause, "diag", None), "constraint_name", None)
    name = error.__class__.__name__
    return f"{name} ({constraint})" if constraint else name


def _run_batch(dataset_import: DatasetImport, number: int, prepared, context) -> bool | None:
    """Write one prepared batch. True when this call did it, False when it failed, None when it was
    done already or another worker holds it."""
    importer = importer_for(dataset_import.dataset)
    try:
        with transaction.atomic():
            batch = (
                ImportBatch.objects.select_for_update(skip_locked=True)
                .filter(dataset_import=dataset_import, number=number, status=ImportBatch.Status.PENDING)
                .first()
            )
            if batch is None:
                return None
            # Not waiting for the disk at each batch's commit: a crash can lose only the last
            # batches, and a lost batch is lost whole (its "done" mark with it), so the next
            # run writes it again.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
            result = importer.write_batch(prepared=prepared, context=context)
            ImportRejection.objects.bulk_create(
                ImportRejection(
                    dataset_import=dataset_import,
                    batch_number=number,
                    line=problem.line,
                    field=problem.field,
                    reason=problem.reason,
                    params=problem.params or {},
                )
                for problem in result.problems
            )
            batch.status = ImportBatch.Status.DONE
            batch.created_count = result.created
            batch.updated_count = result.updated
            batch.unchanged_count = result.unchanged
            batch.rejected_count = result.rejected_lines
            batch.attempts += 1
            batch.error = ""
            batch.finished_at = timezone.now()
            batch.save()
            return True
    except (OperationalError, InterfaceError):
        raise  # the database is unreachable: the task retries the run later
    except DatabaseError as error:
        logger.warning("Import %s batch %s failed: %s", dataset_import.pk, number, _short_error(error))
        ImportBatch.objects.filter(
            dataset_import=dataset_import, number=number, status=ImportBatch.Status.PENDING
        ).update(status=ImportBatch.Status.FAILED, error=_short_error(error), attempts=F("attempts") + 1)
        return False


def dataset_import_run(*, import_id: int, seconds: float = RUN_SECONDS) -> RunOutcome | None:
    """Do the batches of an import not yet done. Safe to call twice, at once or one after the
    other. Hands the rest over to a new task after `seconds`."""
    dataset_import = _start(import_id)
    if dataset_import is None:
        return None
    started = time.monotonic()
    importer = importer_for(dataset_import.dataset)
    actor = dataset_import.created_by
    area_paths = officer_area_paths(actor, dataset_import.organisation)
    if importer is None or not area_paths:
        _end(
            dataset_import,
            status=ImportStatus.FAILED,
            message=_("The person who pushed this file is no longer an officer of the providing department."),
        )
        return RunOutcome(ImportStatus.FAILED, 0)
    try:
        text = decode(_unseal(dataset_import.source.content))
        records = list(read_records(text, dataset_import.file_format, importer.COLUMNS))
    except ValidationError as error:
        _end(dataset_import, status=ImportStatus.INVALID, message=error.messages[0])
        return RunOutcome(ImportStatus.INVALID, 0)
    _ensure_batches(dataset_import, records)
    context = importer.prepare(actor=actor, area_paths=area_paths, records=records)
    pending = list(
        dataset_import.batches.filter(status=ImportBatch.Status.PENDING)
        .order_by("number")
        .values_list("number", flat=True)
    )
    done_now = 0
    last_beat = time.monotonic()
    size = dataset_import.batch_size

    def prepare(number: int):
        return importer.prepare_batch(records=records[number * size : (number + 1) * size], context=context)

    # One thread checks and encrypts the next batch (no database) while this one waits for the
    # database to write the current one: the two cores work at once.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-prepare") as pool:
        upcoming = pool.submit(prepare, pending[0]) if pending else None
        for index, number in enumerate(pending):
            # At least one batch a run, so a run always moves the import on.
            if done_now and time.monotonic() - started > seconds:
                _enqueue(dataset_import.pk)
                return RunOutcome(ImportStatus.RUNNING, done_now, handed_over=True)
            prepared = upcoming.result()
            if index + 1 < len(pending):
                upcoming = pool.submit(prepare, pending[index + 1])
            if _run_batch(dataset_import, number, prepared, context):
                done_now += 1
                if time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                    # The stalled-import sweep leaves alone an import that is moving.
                    DatasetImport.objects.filter(pk=dataset_import.pk).update(updated_at=timezone.now())
                    last_beat = time.monotonic()
    remaining = dataset_import.batches.exclude(status__in=[ImportBatch.Status.DONE, ImportBatch.Status.FAILED])
    if remaining.exists():
        # Another worker still holds a batch; it ends the import when it is done.
        return RunOutcome(ImportStatus.RUNNING, done_now)
    failed = dataset_import.batches.filter(status=ImportBatch.Status.FAILED).count()
    if failed:
        _end(
            dataset_import,
            status=ImportStatus.FAILED,
            message=_("%(count)s batches could not be written; run the import again.") % {"count": failed},
        )
        return RunOutcome(ImportStatus.FAILED, done_now)
    _end(dataset_import, status=ImportStatus.SUCCEEDED)
    return RunOutcome(ImportStatus.SUCCEEDED, done_now)


def dataset_import_abort(*, import_id: int, message: str) -> None:
    """End a running import that hit an error no retry will cure (a bug, not the database): failed,
    with the reason, so an officer can run it again once it is fixed instead of it hanging."""
    _end(DatasetImport(pk=import_id), status=ImportStatus.FAILED, message=message)


def dataset_imports_requeue_stalled(*, older_than_minutes: int = 15) -> int:
    """Queue again the imports whose worker was lost (pending or running, untouched for a while)."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    ids = list(
        DatasetImport.objects.filter(
            status__in=[ImportStatus.PENDING, ImportStatus.RUNNING], updated_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    for import_id in ids:
        _enqueue(import_id)
    return len(ids)
