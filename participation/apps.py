from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    name = "participation"
    verbose_name = _("Participation")

    def ready(self) -> None:
        from notifications.channels import sms_phone_finder_register
        from participation import poll_results
        from participation.notice_delivery import NOTICE_KIND, notice_sms_phones

        # Urgent notices text the register phone of residents without an SMS number of their own.
        sms_phone_finder_register(kind=NOTICE_KIND, finder=notice_sms_phones)
        # A person's export lists the notices delivered to them and read; deletion deletes the receipts.
        from participation import data_rights

        data_rights.register_data_rights()

        # A person's export lists the polls they voted in (never how); deletion unlinks them.
        poll_results.register_data_rights()

        # A person's export lists their event sign-ups; deletion deletes them and passes places on.
        from participation import event_data_rights

        event_data_rights.register_data_rights()

        # A person's export lists their volunteering and points; deletion keeps the ledger (see the module).
        from participation import volunteering_data_rights

        volunteering_data_rights.register_data_rights()

        # A person's export lists their moderation reports and the decisions; deletion deletes them.
        from participation import moderation_data_rights

        moderation_data_rights.register_data_rights()
