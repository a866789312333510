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
