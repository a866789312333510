"""Imports pushed by provider departments: the import, its source file, its batches and their
rejected rows.

An import is cut into numbered batches of consecutive rows. Each batch is written in one
transaction that also marks the batch done and records its rejected rows, so a failure rolls back
that batch only, and a second run (a redelivered task, "run again") skips the batches already done.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from directory.models import Organisation
from exchange.models import Dataset, PayloadFormat
from security.models import User

__all__ = ["DatasetImport", "ImportBatch", "ImportChannel", "ImportRejection", "ImportSource", "ImportStatus"]


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Importing")
    SUCCEEDED = "succeeded", _("Done")
    FAILED = "failed", _("Some batches failed")
    INVALID = "invalid", _("File could not be read")


class ImportChannel(models.TextChoices):
    API = "api", _("API")
    UPLOAD = "upload", _("Upload")


class DatasetImport(TimeStampedModel):
    """One file of a dataset a department pushed, and how far its import got."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="imports", verbose_name=_("dataset"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="dataset_imports", verbose_name=_("department")
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("channel"), max_length=8, choices=ImportChannel.choices)
    file_name = models.CharField(_("file"), max_length=200)
    file_format = models.CharField(_("format"), max_length=8, choices=PayloadFormat.choices)
    file_sha256 = models.CharField(max_length=64)
    file_bytes = models.BigIntegerField(default=0)
    status = models.CharField(_("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    batch_size = models.PositiveIntegerField(default=1000)
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    batch_count = models.PositiveIntegerField(null=True, blank=True)
    # Totals over the finished batches, written when the import ends; the detail page adds up the
    # batches while it runs.
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    runs = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("dataset import")
        verbose_name_plural = _("dataset imports")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ImportStatus.values), name="dataset_import_status"),
            models.CheckConstraint(condition=Q(batch_size__gt=0), name="dataset_import_batch_size"),
        ]
        indexes = [
            models.Index(fields=["organisation", "-created_at"], name="dataset_import_org_idx"),
            models.Index(fields=["status", "updated_at"], name="dataset_import_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset.code} {self.file_name} ({str(self.public_id)[:8]})"

    @property
    def is_active(self) -> bool:
        return self.status in (ImportStatus.PENDING, ImportStatus.RUNNING)


class ImportSource(models.Model):
    """The pushed file, compressed and encrypted (it holds ID-card numbers and phones in clear), kept
    in the database beside its import so any worker can resume it. A table of its own, so lists of
    imports never load it."""

    dataset_import = models.OneToOneField(DatasetImport, on_delete=models.CASCADE, related_name="source")
    content = models.TextField()

    def __str__(self) -> str:
        return f"source of {self.dataset_import_id}"


class ImportBatch(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    dataset_import = models.ForeignKey(DatasetImport, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    first_line = models.PositiveIntegerField(default=0)
    last_line = models.PositiveIntegerField(default=0)
    row_count = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["dataset_import_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["dataset_import", "number"], name="import_batch_unique_number"),
            models.CheckConstraint(condition=Q(status__in=["pending", "done", "failed"]), name="import_batch_status"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset_import_id}#{self.number}"


class ImportRejection(models.Model):
    """A row that was not written, and why. No value of the row is kept: the line number finds it in
    the department's own file. `reason` is the English message id, translated when shown, with
    `params` filled in (e.g. the line a duplicate first appeared on)."""

    dataset_import = models.ForeignKey(DatasetImport, on_delete=models.CASCADE, related_name="rejections")
    batch_number = models.PositiveIntegerField()
    line = models.PositiveIntegerField()
    field = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=300)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["dataset_import_id", "line", "id"]
        indexes = [models.Index(fields=["dataset_import", "line"], name="import_rejection_line_idx")]

    def __str__(self) -> str:
        return f"{self.dataset_import_id}:{self.line} {self.reason}"

    @property
    def message(self) -> str:
        return gettext(self.reason) % self.params if self.params else gettext(self.reason)
