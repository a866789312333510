from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = _("Identity and security")

    def ready(self):
        # Sign-ins happen inside Django's and allauth's views, not ours, so their signals are the
        # one place to put them in the audit log.
        from django.contrib.auth import signals

        from security import sign_in_audit

        signals.user_logged_in.connect(sign_in_audit.record_sign_in, dispatch_uid="security.sign_in")
        signals.user_logged_out.connect(sign_in_audit.record_sign_out, dispatch_uid="security.sign_out")
        signals.user_login_failed.connect(sign_in_audit.record_failed_sign_in, dispatch_uid="security.sign_in_failed")

        from django.db.models.signals import post_delete, post_save

        from security.api_keys import verified_keys
        from security.models import ApiKey, RoleAssignment, User
        from security.selectors import role_holders

        for signal in (post_save, post_delete):
            for model in (ApiKey, RoleAssignment, User):
                signal.connect(verified_keys.forget, sender=model, dispatch_uid=f"keys_forget.{model.__name__}")
            for model in (RoleAssignment, User):
                signal.connect(role_holders.forget, sender=model, dispatch_uid=f"holders_forget.{model.__name__}")
