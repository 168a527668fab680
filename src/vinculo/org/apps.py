from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "vinculo.org"
    verbose_name = _("Organisation")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from vinculo.core import access, money, nav
        from vinculo.core.api import routers

        from . import api, currencies, people_api, sessions, twofactor
        from .models import ExchangeRate, OrgDefault, OrgSettings

        user_logged_in.connect(sessions.record_sign_in, dispatch_uid="org.record_sign_in")
        user_logged_in.connect(twofactor.on_sign_in, dispatch_uid="org.second_factor_on_sign_in")
        user_logged_out.connect(sessions.record_sign_out, dispatch_uid="org.record_sign_out")
        access.org_defaults_source = OrgDefault.levels
        money.register_rate_table(ExchangeRate)
        money.register_currency_settings(OrgSettings.currency_settings)

        # One namespace, three entries: each is current for the pages whose URL names start with its prefix.
        for key, label, url_name, order, prefix in (
            ("territories", _("Territories"), "org:territory_list", 210, "territory"),
            ("sales_teams", _("Sales teams"), "org:sales_team_list", 220, "sales"),
            ("exchange_rates", _("Exchange rates"), "org:exchange_rate_list", 230, "exchange"),
        ):
            nav.register(key, label, url_name, order=order, group=nav.MORE, heading=_("Organisation"), prefix=prefix)
        nav.register("org_users", _("Users"), "org:user_list", order=235, group=nav.MORE,
                     heading=_("Organisation"), permission="org.administer_organisation", prefix="user")
        nav.register("org_structure", _("Roles, units and offices"), "org:structure", order=236,
                     group=nav.MORE, heading=_("Organisation"), permission="org.administer_organisation", prefix="structure")
        nav.register("org_access_defaults", _("Org-wide access"), "org:access_defaults", order=237,
                     group=nav.MORE, heading=_("Organisation"), permission="org.administer_organisation", prefix="access")
        nav.register("org_company", _("Company profile"), "org:company_profile", order=238, group=nav.MORE,
                     heading=_("Organisation"), permission="org.administer_organisation", prefix="company")
        nav.register("org_currencies", _("Currencies"), "org:currencies", order=239, group=nav.MORE,
                     heading=_("Organisation"), permission="org.administer_organisation", prefix="currencies")
        nav.register("org_settings", _("Organisation settings"), "org:settings", order=240, group=nav.MORE,
                     heading=_("Organisation"), permission="org.administer_organisation", prefix="settings")
        for prefix, router, order in (("/territories", api.territories, 190), ("/sales-teams", api.sales_teams, 200),
                                      ("/exchange-rates", api.exchange_rates, 210)):
            routers.register(prefix, router, order=order)
        for prefix, router, order in (("/me", people_api.me, 170), ("/users", people_api.users, 171),
                                      ("/roles", people_api.roles, 172),
                                      ("/business-units", people_api.business_units, 173),
                                      ("/offices", people_api.offices, 174),
                                      ("/org-defaults", people_api.org_defaults, 175),
                                      ("/currencies", currencies.router, 176)):
            routers.register(prefix, router, order=order)
