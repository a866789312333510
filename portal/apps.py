from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        from django.contrib import admin

        # Connects the sign-in hook that applies the account's display mode (长辈模式) on every device.
        from portal import display_mode  # noqa: F401

        # The admin names the portal, not Django ("Django 管理"), in the reader's language.
        admin.site.site_header = _("Shunqing Smart Community administration")
        admin.site.site_title = _("Shunqing Smart Community administration")
        admin.site.index_title = _("Data administration")
