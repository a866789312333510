from django.contrib import admin

from directory.models import Area, Organisation


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["code", "name_zh", "name_en"]
    # The tree's paths are derived from parents; areas are added through `directory.services`.
    readonly_fields = ["code", "kind", "parent", "path", "depth"]

    def has_add_permission(self, request):
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "kind", "area", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name_zh", "name_en"]
    readonly_fields = ["code", "kind"]
    autocomplete_fields = ["area"]
