from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = _("Data exchange")

    def ready(self):
        # Exchanges that named a resident are uses of their data: residents' "who used my data"
        # shows them without importing this app.
        from exchange.selectors import exchange_uses_of_resident
        from residents.data_rights import register_data_uses

        register_data_uses("exchange", uses=exchange_uses_of_resident)
