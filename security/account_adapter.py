"""The portal's allauth adapter: sign-in limits per address and per account (see
security.sign_in_protection), the client's address as the audit log sees it, and a lockout message
that tells the owner how to get back in."""

from allauth.account.adapter import DefaultAccountAdapter
from django.utils.translation import gettext_lazy as _

from security import sign_in_protection
from security.request_context import client_address


class PortalAccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": _(
            "Too many failed sign-ins for this account or from this address. To get back in at once, "
            "reset your password by e-mail; community staff can also unlock your account."
        ),
    }

    def pre_authenticate(self, request, **credentials):
        usage = sign_in_protection.sign_in_attempt_consume(request, credentials)
        if usage is None:
            raise self.validation_error("too_many_login_attempts")
        # allauth rolls this back after a right password, so only failures count.
        self._login_failed_rl_usage = usage

    def get_client_ip(self, request):
        # The same address the audit log records (security.middleware), proxies trusted alike.
        return client_address.get() or super().get_client_ip(request)
