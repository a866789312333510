from django import forms
from django.contrib import admin

from core.admin import ReadOnlyAdmin
from services.catalogue import attribute_check
from services.models import RequestEvent, RoutingRule, Service, ServiceAttribute, ServiceRequest


class ServiceAttributeForm(forms.ModelForm):
    class Meta:
        model = ServiceAttribute
        fields = [
            "code", "datatype", "required", "variable", "order",
            "description_zh", "description_en", "help_zh", "help_en", "values",
        ]  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("datatype"):
            attribute_check({"datatype": cleaned["datatype"], "values": cleaned.get("values") or []})
        return cleaned


class ServiceAttributeInline(admin.StackedInline):
    model = ServiceAttribute
    form = ServiceAttributeForm
    extra = 0
    fields = [
        ("code", "datatype", "required", "variable", "order"),
        ("description_zh", "description_en"),
        ("help_zh", "help_en"),
        "values",
    ]


class RoutingRuleInline(admin.TabularInline):
    model = RoutingRule
    extra = 0
    autocomplete_fields = ["area", "organisation"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "group", "accept_within_hours", "resolve_within_days", "is_active"]
    list_filter = ["group", "is_active"]
    search_fields = ["code", "name_zh", "name_en", "keywords"]
    inlines = [ServiceAttributeInline, RoutingRuleInline]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["service", "area", "organisation"]
    list_filter = ["service"]
    autocomplete_fields = ["area", "organisation"]


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    extra = 0
    fields = ["created_at", "kind", "actor", "from_status", "to_status", "message", "is_public"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyAdmin):
    """Read-only: requests change only through `services.services`, which checks and audits."""

    list_display = ["public_id", "service", "status", "grid", "handling_organisation", "resolve_due_at", "is_overdue"]
    list_filter = ["status", "is_overdue", "service"]
    search_fields = ["public_id"]
    inlines = [RequestEventInline]
    exclude = ["contact_phone_encrypted", "submission_key"]
