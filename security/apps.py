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

        # The owner's way back in after an attacker's failures locked the account (finding 10).
        from allauth.account.signals import password_reset

        from security.sign_in_protection import clear_after_password_reset

        password_reset.connect(clear_after_password_reset, dispatch_uid="security.password_reset_unlock")

        from security.session_idle import start_on_sign_in

        signals.user_logged_in.connect(start_on_sign_in, dispatch_uid="security.session_idle_start")
        self._connect_mfa()

    def _connect_mfa(self):
        # allauth.mfa adds, removes and checks authenticators in its own views; its signals put
        # those steps in the audit log (security.mfa).
        from allauth.mfa import signals as mfa_signals
        from django.contrib.auth import signals

        from security import mfa

        signals.user_logged_in.connect(mfa.sign_in_counts_as_recent, dispatch_uid="security.mfa_sign_in_is_recent")
        mfa_signals.authenticator_added.connect(mfa.record_authenticator_added, dispatch_uid="security.mfa_added")
        mfa_signals.authenticator_removed.connect(mfa.record_authenticator_removed, dispatch_uid="security.mfa_removed")
        mfa_signals.authenticator_reset.connect(mfa.record_authenticator_reset, dispatch_uid="security.mfa_reset")
        mfa_signals.authentication_failed.connect(
            mfa.record_authentication_failed, dispatch_uid="security.mfa_code_failed"
        )
