from django.contrib import admin

from core.admin import ReadOnlyAdmin
from participation.models import Notice


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    """Notices are written through participation.notices (checked, audited); the admin only shows them."""

    list_display = ["title", "area", "status", "is_urgent", "publish_at", "expires_at", "organisation", "author"]
    list_filter = ["status", "category", "audience", "is_urgent"]
    search_fields = ["title", "public_id"]
    list_select_related = ["area", "organisation", "author"]
    exclude = ["attachment"]  # served only through the notice's own view, which checks the reader
