from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    name = "participation"
    verbose_name = _("Participation")

    def ready(self) -> None:
        from notifications.channels import sms_phone_finder_register
        from participation.notice_delivery import NOTICE_KIND, notice_sms_phones

        # Urgent notices text the register phone of residents without an SMS number of their own.
        sms_phone_finder_register(kind=NOTICE_KIND, finder=notice_sms_phones)
