from django import forms
from django.contrib import admin

from directory.models import Area, Organisation
from directory.services import organisation_check, organisation_create


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["code", "name_zh", "name_en"]
    # The tree's paths are derived from parents; areas are added through `directory.services`.
    readonly_fields = ["code", "kind", "parent", "path", "depth"]

    def has_add_permission(self, request):
        return False


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["code", "kind", "name_zh", "name_en", "area", "is_active"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") and cleaned.get("area"):
            organisation_check(kind=cleaned["kind"], area=cleaned["area"])
        return cleaned


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationForm
    list_display = ["code", "name_zh", "kind", "area", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name_zh", "name_en"]
    autocomplete_fields = ["area"]

    def get_readonly_fields(self, request, obj=None):
        # Code, kind and area define who the organisation is; they are set once, when it is added.
        return ["code", "kind", "area"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = organisation_create(
            code=obj.code, kind=obj.kind, name_zh=obj.name_zh, name_en=obj.name_en, area=obj.area
        )
        obj.pk = created.pk
