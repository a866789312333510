from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    name = "participation"
    verbose_name = _("Participation")

    def ready(self) -> None:
        from notifications.channels import sms_phone_finder_register
        from participation import (
            event_data_rights,
            moderation_data_rights,
            notice_data_rights,
            poll_results,
            proposal_data_rights,
            volunteering_data_rights,
        )
        from participation.notice_delivery import NOTICE_KIND, notice_sms_phones

        # Urgent notices text the register phone of residents without an SMS number of their own.
        sms_phone_finder_register(kind=NOTICE_KIND, finder=notice_sms_phones)
        # Each feature's section of a person's export and what account deletion does with it (the
        # module of each says why): notice receipts are deleted; polls voted in are listed (never how)
        # and unlinked; event sign-ups are deleted and their places passed on; the points ledger and
        # confirmed hours stay on the anonymous leftover account; moderation reports are deleted.
        notice_data_rights.register_data_rights()
        poll_results.register_data_rights()
        event_data_rights.register_data_rights()
        volunteering_data_rights.register_data_rights()
        moderation_data_rights.register_data_rights()
        # Proposals stay without their author; supports are deleted (proposal_data_rights says why).
        proposal_data_rights.register_data_rights()
