from django.contrib import admin

from notifications.models import Notification, OutboxMessage


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows are written by the outbox and by their recipients, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
