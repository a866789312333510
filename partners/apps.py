from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Enterprise partners")

    def ready(self):
        # Registers the API key's security scheme with drf-spectacular.
        from django.db.models.signals import post_delete, post_save

        import partners.schema  # noqa: F401
        from partners.models import Webhook
        from partners.webhooks import organisation_webhooks, webhook_fan_out
        from services.signals import request_event_recorded

        request_event_recorded.connect(webhook_fan_out, dispatch_uid="partners.webhooks.fan_out")
        for signal in (post_save, post_delete):
            signal.connect(organisation_webhooks.forget, sender=Webhook, dispatch_uid=f"partners.webhooks.{signal}")
