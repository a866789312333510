from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class DisplayPreference(TimeStampedModel):
    """How a signed-in person wants pages shown (长辈模式), on every device they sign in on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="display_preference", verbose_name=_("user")
    )
    elderly = models.BooleanField(_("elderly mode"), default=False)

    class Meta:
        ordering = ["user_id"]
        verbose_name = _("display preference")
        verbose_name_plural = _("display preferences")

    def __str__(self):
        return f"{self.user_id}: {'elderly' if self.elderly else 'standard'}"
