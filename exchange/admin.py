from django.contrib import admin

from core.admin import ReadOnlyAdmin
from exchange.models import Dataset, DeliveryAttempt, ExchangeJob, MessageLogEntry, SharingAgreement, SigningKey


@admin.register(Dataset)
class DatasetAdmin(ReadOnlyAdmin):
    list_display = ["code", "name_zh", "provider", "is_active"]
    list_select_related = ["provider"]


@admin.register(SharingAgreement)
class SharingAgreementAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "dataset", "provider", "consumer", "status", "valid_from", "valid_to"]
    list_filter = ["status", "frequency", "delivery"]
    list_select_related = ["dataset", "provider", "consumer"]
    search_fields = ["public_id", "purpose", "consumer__code", "provider__code"]


@admin.register(ExchangeJob)
class ExchangeJobAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "agreement", "trigger", "status", "attempts", "record_count", "created_at"]
    list_filter = ["status", "trigger"]
    list_select_related = ["agreement__dataset", "agreement__consumer"]


@admin.register(MessageLogEntry)
class MessageLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "agreement", "record_count", "payload_sha256", "created_at"]
    list_select_related = ["agreement__dataset", "agreement__consumer"]


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    list_display = ["fingerprint", "organisation", "is_active", "created_at"]
    list_select_related = ["organisation"]
    # The private key stays out of every page, even encrypted.
    exclude = ["private_key_encrypted"]


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdmin):
    list_display = ["entry", "kind", "ok", "status_code", "at"]
    list_filter = ["kind", "ok"]
