"""Datasets, sharing agreements, exchange jobs and the signed message log."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from directory.models import Area, BilingualNameMixin, Organisation
from residents.models import ResidentProfile
from security.models import User


class Sensitivity(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal")
    PERSONAL = "personal", _("Personal")
    SENSITIVE = "sensitive", _("Sensitive")


class Dataset(BilingualNameMixin, TimeStampedModel):
    """A dataset a department provides. `code` names the extractor in `exchange.datasets` that
    reads it, so a catalogue row can only describe data the code knows how to extract."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    provider = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="datasets", verbose_name=_("provider")
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")

    @property
    def description(self) -> str:
        language = get_language() or "zh-hans"
        return self.description_zh if language.startswith("zh") or not self.description_en else self.description_en


class DatasetField(BilingualNameMixin, models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="fields")
    code = models.SlugField(_("code"), max_length=64)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    sensitivity = models.CharField(_("sensitivity"), max_length=16, choices=Sensitivity.choices)
    # Whether a masked form exists (an ID number keeps its ends; a grid code has nothing to hide).
    maskable = models.BooleanField(_("can be masked"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["dataset_id", "position", "code"]
        verbose_name = _("dataset field")
        verbose_name_plural = _("dataset fields")
        constraints = [
            models.UniqueConstraint(fields=["dataset", "code"], name="dataset_field_unique_code"),
            models.CheckConstraint(condition=Q(sensitivity__in=Sensitivity.values), name="dataset_field_sensitivity"),
        ]

    def __str__(self) -> str:
        return self.name


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved, not yet in force")
    ACTIVE = "active", _("Active")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


class Frequency(models.TextChoices):
    ON_DEMAND = "on_demand", _("On demand")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class PayloadFormat(models.TextChoices):
    JSONL = "jsonl", _("JSON Lines")
    CSV = "csv", _("CSV")


class Delivery(models.TextChoices):
    FETCH = "fetch", _("The consumer fetches it through the API")
    PUSH = "push", _("Pushed to the consumer's endpoint")


class SharingAgreement(TimeStampedModel):
    """What a consumer department may receive of a provider's dataset, why, and for how long."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("dataset"))
    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("provider"))
    consumer = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="consumed_agreements", verbose_name=_("consumer")
    )
    purpose = models.TextField(_("purpose"), max_length=1000)
    legal_basis = models.TextField(_("legal basis"), max_length=1000)
    fields = models.JSONField(_("allowed fields"), default=list)
    masked_fields = models.JSONField(_("masked fields"), default=list, blank=True)
    areas = models.ManyToManyField(Area, related_name="+", verbose_name=_("areas"))
    frequency = models.CharField(_("frequency"), max_length=16, choices=Frequency.choices, default=Frequency.ON_DEMAND)
    payload_format = models.CharField(
        _("format"), max_length=8, choices=PayloadFormat.choices, default=PayloadFormat.JSONL
    )
    delivery = models.CharField(_("delivery"), max_length=8, choices=Delivery.choices, default=Delivery.FETCH)
    push_url = models.URLField(_("push endpoint"), max_length=500, blank=True)
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(_("valid to"))
    status = models.CharField(
        _("status"), max_length=16, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    # Set at submission: asking for a sensitive field needs a district leader's approval too.
    needs_leader_approval = models.BooleanField(default=False)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    provider_approved_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    provider_approved_at = models.DateTimeField(null=True, blank=True)
    leader_approved_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    leader_approved_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(_("reason"), max_length=500, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("sharing agreement")
        verbose_name_plural = _("sharing agreements")
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gt=models.F("valid_from")), name="agreement_valid_range"),
            models.CheckConstraint(condition=Q(status__in=AgreementStatus.values), name="agreement_status_valid"),
            models.CheckConstraint(condition=~Q(provider=models.F("consumer")), name="agreement_two_parties"),
        ]
        indexes = [
            models.Index(fields=["status", "frequency"], name="agreement_status_freq_idx"),
            models.Index(fields=["provider", "status"], name="agreement_provider_idx"),
            models.Index(fields=["consumer", "status"], name="agreement_consumer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset.code} → {self.consumer.code} ({str(self.public_id)[:8]})"


class SigningKey(TimeStampedModel):
    """An organisation's Ed25519 key. The private half is encrypted at rest
    (security.personal_data.encrypt_for); the public half is published to consumers."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="signing_keys")
    public_key = models.CharField(max_length=64)  # base64 of the 32 raw bytes
    private_key_encrypted = models.TextField()
    fingerprint = models.CharField(max_length=16, unique=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organisation_id", "-created_at"]
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"], condition=Q(is_active=True), name="signing_key_one_active_per_org"
            ),
        ]

    def __str__(self) -> str:
        return self.fingerprint


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Done")
    REFUSED = "refused", _("Refused")
    FAILED = "failed", _("Failed")


class ExchangeJob(TimeStampedModel):
    """One run of an agreement. Made pending before its task is queued, so a lost message or a
    killed worker leaves a row the sweep finds and queues again."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Schedule")
        ON_DEMAND = "on_demand", _("On demand")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agreement = models.ForeignKey(SharingAgreement, on_delete=models.PROTECT, related_name="jobs")
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The fields this run sends: the agreement's, or fewer when the consumer asked for fewer.
    fields = models.JSONField(default=list)
    status = models.CharField(_("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    record_count = models.PositiveIntegerField(null=True, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("exchange job")
        verbose_name_plural = _("exchange jobs")
        constraints = [models.CheckConstraint(condition=Q(status__in=JobStatus.values), name="exchange_job_status")]
        indexes = [
            models.Index(fields=["status", "updated_at"], name="exchange_job_status_idx"),
            models.Index(fields=["agreement", "-created_at"], name="exchange_job_agreement_idx"),
        ]

    def __str__(self) -> str:
        return str(self.public_id)


class MessageLogEntry(models.Model):
    """One signed exchange, linked to the entry before it by hash; append-only (a trigger refuses
    UPDATE and DELETE on PostgreSQL). `manage.py verify_exchange_log` walks the chain."""

    job = models.OneToOneField(ExchangeJob, on_delete=models.PROTECT, related_name="log_entry")
    agreement = models.ForeignKey(SharingAgreement, on_delete=models.PROTECT, related_name="log_entries")
    signing_key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="+")
    payload_name = models.CharField(max_length=200)
    payload_format = models.CharField(max_length=8, choices=PayloadFormat.choices)
    payload_sha256 = models.CharField(max_length=64)
    payload_bytes = models.BigIntegerField()
    signature = models.CharField(max_length=100)  # base64 Ed25519 signature of the manifest
    record_count = models.PositiveIntegerField()
    created_at = models.DateTimeField(db_index=True)
    prev_hash = models.CharField(max_length=64, unique=True)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("message log entry")
        verbose_name_plural = _("message log")

    def __str__(self) -> str:
        return f"#{self.pk} {self.payload_sha256[:12]}"


class MessageLogResident(models.Model):
    """Which residents an exchange included, so each resident can see who received their data."""

    # No database foreign keys: an exchange writes up to 100,000 of these rows in the transaction
    # that logs it, and PostgreSQL would check each reference at commit (seconds of the 30-second
    # budget). The rows are written only from ids read in that same transaction, and Django still
    # cascades a resident's deletion to their rows.
    entry = models.ForeignKey(MessageLogEntry, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    resident = models.ForeignKey(ResidentProfile, on_delete=models.CASCADE, related_name="+", db_constraint=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resident", "entry"], name="message_log_resident_unique")]

    def __str__(self) -> str:
        return f"{self.entry_id}:{self.resident_id}"


class DeliveryAttempt(models.Model):
    """A fetch by the consumer's system or a push to its endpoint."""

    class Kind(models.TextChoices):
        FETCH = "fetch", _("Fetched")
        PUSH = "push", _("Pushed")

    entry = models.ForeignKey(MessageLogEntry, on_delete=models.PROTECT, related_name="deliveries")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    ok = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        indexes = [models.Index(fields=["entry", "kind", "ok"], name="delivery_entry_kind_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.entry_id} {'ok' if self.ok else 'failed'}"


# The import tables live in their own module; Django finds models through this one.
from exchange.import_models import *  # noqa: E402, F401, F403
