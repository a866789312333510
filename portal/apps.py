from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        from django.contrib import admin

        # The admin names the portal, not Django ("Django 管理"), in the reader's language.
        admin.site.site_header = _("Shunqing Smart Community administration")
        admin.site.site_title = _("Shunqing Smart Community administration")
        admin.site.index_title = _("Data administration")
