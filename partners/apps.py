from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Enterprise partners")

    def ready(self):
        # Registers the API key's security scheme with drf-spectacular.
        import partners.schema  # noqa: F401
        from partners.webhooks import webhook_fan_out
        from services.signals import request_event_recorded

        request_event_recorded.connect(webhook_fan_out, dispatch_uid="partners.webhooks.fan_out")
