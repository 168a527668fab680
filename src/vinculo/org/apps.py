from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "vinculo.org"
    verbose_name = _("Organisation")

    def ready(self):
        from vinculo.core import access, money, nav
        from vinculo.core.api import routers

        from . import api
        from .models import ExchangeRate, OrgDefault

        access.org_defaults_source = OrgDefault.levels
        money.register_rate_table(ExchangeRate)

        # One namespace, three entries: each is current for the pages whose URL names start with its prefix.
        for key, label, url_name, order, prefix in (
            ("territories", _("Territories"), "org:territory_list", 210, "territory"),
            ("sales_teams", _("Sales teams"), "org:sales_team_list", 220, "sales"),
            ("exchange_rates", _("Exchange rates"), "org:exchange_rate_list", 230, "exchange"),
        ):
            nav.register(key, label, url_name, order=order, group=nav.MORE, heading=_("Organisation"), prefix=prefix)
        for prefix, router, order in (("/territories", api.territories, 190), ("/sales-teams", api.sales_teams, 200),
                                      ("/exchange-rates", api.exchange_rates, 210)):
            routers.register(prefix, router, order=order)
