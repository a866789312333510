from django.contrib import admin

from core.admin import ReadOnlyAdmin
from notifications.models import Notification, OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["key", "channel", "status", "attempts", "next_attempt_at", "sent_at", "created_at"]
    list_filter = ["status", "channel"]
    search_fields = ["key", "recipient__username"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["title", "recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["title", "recipient__username", "outbox_key"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]
