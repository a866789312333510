from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo district and its history (`manage.py seed_demo`). Nothing imports it."""

    name = "demo"
    verbose_name = _("Demo data")
