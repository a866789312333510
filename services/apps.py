from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("Service requests")

    def ready(self):
        # A person's requests belong in their data export and their account deletion, which
        # residents runs without importing this app.
        from services import data_rights

        data_rights.register()
