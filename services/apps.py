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
        # The follow page of area alerts offers the catalogue's categories (notifications cannot import services).
        from notifications.area_alerts import service_categories_register
        from services.selectors import services_active

        service_categories_register(lambda: [(service.code, service.name) for service in services_active()])
