from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # A person's messages and how they are told belong in their data export, their consents
        # and their account deletion, which residents runs without importing this app.
        from notifications import data_rights

        data_rights.register()
