from allauth.account.decorators import reauthentication_required
from allauth.mfa.admin import AuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from security.alerts import alert_kind_label
from security.audit_actions import action_choices, action_label
from security.models import ApiKey, AuditEvent, RoleAssignment, SecondFactor, SecurityAlert, User
from security.privilege_audit import (
    changed_fields,
    field_values,
    privileges_snapshot,
    user_admin_change_record,
    user_admin_password_record,
)
from security.services import role_grant, role_grant_check, role_revoke


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Django's user pages, with every change of privileges and every password set there audited."""

    def save_model(self, request, obj, form, change):
        # Read from the database: `obj` already carries the form's new values.
        stored = User.objects.filter(pk=obj.pk).first() if change else None
        request._privileges_before = privileges_snapshot(stored) if stored is not None else privileges_snapshot(obj)
        request._fields_before = field_values(stored)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user_admin_change_record(
            actor=request.user,
            user=form.instance,
            before=request._privileges_before,
            other_fields=changed_fields(request._fields_before, form.instance),
            created=not change,
        )

    def user_change_password(self, request, id, form_url=""):
        # One transaction: the new password and its audit event are kept or lost together.
        with transaction.atomic():
            return super().user_change_password(request, id, form_url)

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        # Django's password view saves the form, then logs its change message naming the fields.
        if isinstance(obj, User) and request.resolver_match.url_name == "auth_user_password_change":
            user_admin_password_record(actor=request.user, user=obj)
        return entry


class RoleAssignmentForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "area", "organisation"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") and cleaned.get("area"):
            role_grant_check(role=cleaned["role"], area=cleaned["area"], organisation=cleaned.get("organisation"))
        return cleaned


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    form = RoleAssignmentForm
    list_display = ["user", "role", "area", "organisation", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "area__name_zh", "organisation__name_zh"]
    fields = ["user", "role", "area", "organisation"]
    autocomplete_fields = ["user", "area", "organisation"]

    # Granting or revoking a role asks for the password (or a code) again if the last was not recent.
    @method_decorator(reauthentication_required)
    def add_view(self, request, *args, **kwargs):
        return super().add_view(request, *args, **kwargs)

    @method_decorator(reauthentication_required)
    def delete_view(self, request, *args, **kwargs):
        return super().delete_view(request, *args, **kwargs)

    @method_decorator(reauthentication_required(allow_get=True))  # its bulk "delete selected" action
    def changelist_view(self, request, *args, **kwargs):
        return super().changelist_view(request, *args, **kwargs)

    # Roles are granted and revoked, never edited in place: both go through the audited services.
    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        saved = role_grant(
            user=obj.user, role=obj.role, area=obj.area, organisation=obj.organisation, granted_by=request.user
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        role_revoke(assignment=obj, revoked_by=request.user)

    def delete_queryset(self, request, queryset):
        for assignment in queryset.select_related("user", "area", "organisation"):
            role_revoke(assignment=assignment, revoked_by=request.user)


class AuditActionFilter(admin.SimpleListFilter):
    """The actions by their readable names (security.audit_actions), not a scan of the whole log."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return action_choices()

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ["occurred_at", "actor_username", "action_name", "object_type", "object_repr", "ip_address"]
    list_filter = [AuditActionFilter]
    # The change page shows every field as it is stored; the readable name goes beside the code.
    readonly_fields = ["action_name"]
    search_fields = ["actor_username", "object_id", "object_repr"]
    date_hierarchy = "occurred_at"

    @admin.display(description=_("action"), ordering="action")
    def action_name(self, event: AuditEvent) -> str:
        return action_label(event.action)


@admin.register(SecurityAlert)
class SecurityAlertAdmin(ReadOnlyAdmin):
    """Read-only: alerts are raised by security.alerts and acknowledged on the auditor's desk."""

    list_display = ["raised_at", "kind_name", "summary", "area", "acknowledged_by", "acknowledged_at"]
    list_filter = ["kind"]
    date_hierarchy = "raised_at"

    @admin.display(description=_("kind"), ordering="kind")
    def kind_name(self, alert: SecurityAlert) -> str:
        return alert_kind_label(alert.kind)


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    """Read-only: keys are made and revoked by partner operators through `security.api_keys`."""

    list_display = ["name", "prefix", "organisation", "created_by", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["organisation"]
    exclude = ["key_hash"]


# allauth's authenticators, listed under a name the admin can translate (security.models.SecondFactor).
admin.site.unregister(Authenticator)
admin.site.register(SecondFactor, AuthenticatorAdmin)
