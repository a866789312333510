from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For tables changed only through audited services (or append-only, like the audit log):
    the admin shows them and never adds, edits or deletes."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
