from django.contrib import admin

from core.admin import ReadOnlyAdmin
from partners.models import Webhook, WebhookDelivery


@admin.register(Webhook)
class WebhookAdmin(ReadOnlyAdmin):
    list_display = ["url", "organisation", "is_active", "created_by", "created_at", "deactivated_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "organisation__code", "description"]
    list_select_related = ["organisation", "created_by"]
    # The secret is a credential: never shown, not even encrypted.
    exclude = ["secret_encrypted"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "event_type",
        "event_id",
        "webhook",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["event_id", "public_id", "webhook__url"]
    date_hierarchy = "created_at"
    list_select_related = ["webhook"]
    raw_id_fields = ["webhook", "replay_of"]
