from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "residents"
    verbose_name = _("Residents")

    def ready(self):
        # The account, the register and consents come first in a person's export; the apps that
        # depend on residents register their own sections from their ready(), in app order.
        from residents import data_sections

        data_sections.register()
