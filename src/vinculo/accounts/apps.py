from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "vinculo.accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from .report_types import register_types as register_report_types

        register_report_types()
        from vinculo.core import lists

        lists.register("accounts", _("Accounts"), "accounts:list")
        from vinculo.core import nav, records, subjects
        from vinculo.core.api import routers
        from vinculo.org import teams as team_pages
        from vinculo.org import territories

        from . import api, services, teams
        from .models import Account, Address, Industry, Invoice

        records.register("account", Account, order=10, search=records.SearchSpec(
            "accounts", _("Accounts"), "accounts/_search_result.html",
            related=("owner",),
        ))
        # Records about an account roll up to it: it is the subject whose column they all keep.
        subjects.register(Account, account_field=subjects.SELF)
        # Payments are left out of the recycle bin: removing one changes its invoice's balance, which a
        # plain restore would not undo.
        records.register("invoice", Invoice, order=60)
        # A removed address waits in the recycle bin, from which its account's editors may restore it.
        records.register("address", Address, order=15)
        nav.register("accounts", _("Accounts"), "accounts:list", order=10)
        team_pages.sections.register("accounts", "accounts/_team_accounts.html", load=teams.team_accounts, order=10,
                                     annotate_list=teams.annotate_teams)
        territories.register("accounts", Account, _("Accounts"), "accounts:list", facts=services.territory_facts,
                             prepare=services.for_territory_rules, order=10,
                             matched_on=_("their billing address (country, region, city, postal code) and industry"),
                             grouped_list_label=_("Accounts by territory"))
        territories.register_industries(Industry.objects.all)

        routers.register("/accounts", api.router, order=10)
        register_duplicate_rules(Account)


def register_duplicate_rules(Account):
    """Accounts are possible duplicates with the same tax id, e-mail or phone, or a similar legal name
    (without its legal suffix: "Minera Atacama S.A." is "MINERA ATACAMA SpA")."""
    from vinculo.core import duplicates
    from vinculo.core.matching import compact_tax_id, normalize_email, normalize_legal_name, normalize_mobile

    duplicates.register("account", Account, name_fields=("legal_name",), normalize=normalize_legal_name, keys=(
        duplicates.Key("tax_id", _("Same tax id"), ("tax_id",), compact_tax_id),
        duplicates.Key("email", _("Same e-mail"), ("email",), lambda value, country: normalize_email(value)),
        duplicates.Key("phone", _("Same phone"), ("phone",), normalize_mobile),
    ), list_url="accounts:list")
