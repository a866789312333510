from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """What every app shares and no app owns. It imports no app of ours."""

    name = "core"
    verbose_name = _("Core")
