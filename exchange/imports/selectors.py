"""Reads of imports, scoped to the acting user or API key: an import is seen by the officers of the
department that pushed it (security.scoping.restrict by organisation) and by that department's
keys, nobody else — the same 404 whether an import is missing or another department's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from directory.models import Organisation
from exchange.imports.services import importer_for, may_import
from exchange.models import Dataset, DatasetImport, ImportBatch, ImportRejection
from security.models import ApiKey, Role, User
from security.scoping import organisation_ids, restrict


def imports_for_user(*, user: User) -> QuerySet[DatasetImport]:
    visible = restrict(DatasetImport.objects.all(), user, organisation="organisation")
    # restrict() lets every organisation role in; imports are department officers' only.
    visible = visible.filter(organisation_id__in=organisation_ids(user, {Role.DEPARTMENT_OFFICER}))
    return visible.select_related("dataset", "organisation", "created_by").order_by("-created_at", "-id")


def _get(queryset: QuerySet[DatasetImport], public_id) -> DatasetImport:
    try:
        return queryset.get(public_id=public_id)
    except (DatasetImport.DoesNotExist, ValidationError):
        raise Http404 from None


def import_get_for_user(*, user: User, public_id) -> DatasetImport:
    return _get(imports_for_user(user=user), public_id)


def import_get_for_key(*, key: ApiKey, public_id) -> DatasetImport:
    queryset = DatasetImport.objects.filter(organisation_id=key.organisation_id).select_related(
        "dataset", "organisation"
    )
    return _get(queryset, public_id)


def importable_for_user(*, user: User) -> list[tuple[Dataset, Organisation]]:
    """The (dataset, department) pairs the user may push a file of."""
    departments = organisation_ids(user, {Role.DEPARTMENT_OFFICER})
    datasets = Dataset.objects.filter(provider_id__in=departments, is_active=True).select_related("provider")
    return [
        (dataset, dataset.provider)
        for dataset in datasets.order_by("code")
        if importer_for(dataset) is not None and may_import(user, dataset, dataset.provider)
    ]


def importable_dataset_for_key(*, key: ApiKey, code: str) -> Dataset:
    """The dataset named in the URL, if it exists and takes imports (permission is the service's)."""
    dataset = Dataset.objects.filter(code=code, is_active=True).select_related("provider").first()
    if dataset is None or importer_for(dataset) is None:
        raise Http404
    return dataset


@dataclass(frozen=True)
class Progress:
    batches_done: int
    batches_failed: int
    batch_count: int
    rows_done: int
    total_rows: int | None
    created: int
    updated: int
    unchanged: int
    rejected: int

    @property
    def percent(self) -> int:
        if not self.batch_count:
            return 0
        return round(100 * (self.batches_done + self.batches_failed) / self.batch_count)


def import_progress(*, dataset_import: DatasetImport) -> Progress:
    """Where an import is, added up over its batches in one query (it changes while it runs)."""
    totals = dataset_import.batches.aggregate(
        done=Count("pk", filter=Q(status=ImportBatch.Status.DONE)),
        failed=Count("pk", filter=Q(status=ImportBatch.Status.FAILED)),
        rows=Sum("row_count", filter=Q(status=ImportBatch.Status.DONE), default=0),
        created=Sum("created_count", default=0),
        updated=Sum("updated_count", default=0),
        unchanged=Sum("unchanged_count", default=0),
        rejected=Sum("rejected_count", default=0),
    )
    return Progress(
        batches_done=totals["done"],
        batches_failed=totals["failed"],
        batch_count=dataset_import.batch_count or 0,
        rows_done=totals["rows"],
        total_rows=dataset_import.total_rows,
        created=totals["created"],
        updated=totals["updated"],
        unchanged=totals["unchanged"],
        rejected=totals["rejected"],
    )


def failed_batches(*, dataset_import: DatasetImport) -> QuerySet[ImportBatch]:
    return dataset_import.batches.filter(status=ImportBatch.Status.FAILED).order_by("number")


def rejections_of(*, dataset_import: DatasetImport) -> QuerySet[ImportRejection]:
    """The rejected rows of an import the caller already got through a scoped selector."""
    return dataset_import.rejections.order_by("line", "id")


def rejection_report_rows(*, dataset_import: DatasetImport) -> Iterator[list[str]]:
    """The downloadable report: line, column, reason (in the reader's language)."""
    for rejection in rejections_of(dataset_import=dataset_import).iterator(chunk_size=2000):
        yield [str(rejection.line), rejection.field, rejection.message]
