from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "vinculo.exchange"
    label = "exchange"
    verbose_name = _("Import and export")

    def ready(self):
        from vinculo.core import nav
        from vinculo.core.api import routers

        from . import api, exporting

        nav.register("exchange", _("Import and export"), "exchange:index", order=300, group=nav.MORE)
        routers.register("/imports", api.router, order=400)
        routers.register("/exports", api.exports_router, order=410)
        routers.register("/contacts", api.contacts_router, order=40)
        exporting.register_list_actions()
