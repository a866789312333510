from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "workforce"
    verbose_name = _("Community workforce")

    def ready(self) -> None:
        from workforce import data_rights, talent, visits

        # A worker's export holds their worker profile and level history; deletion keeps them as the
        # district's employment record (workforce.data_rights says why).
        data_rights.register_data_rights()
        talent.register_data_rights()  # a candidate's nominations to the reserve talent pool
        visits.register()  # a resident's visits: export, who used them, the roster's handover
