from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("Service requests")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from directory.models import Area, Organisation
        from services.catalogue import catalogue_cache
        from services.models import RoutingRule, Service, ServiceAttribute

        for model in (Service, ServiceAttribute, RoutingRule, Area, Organisation):
            for signal in (post_save, post_delete):
                signal.connect(catalogue_cache.forget, sender=model, dispatch_uid=f"catalogue_forget.{model.__name__}")
