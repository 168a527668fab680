from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "vinculo.accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from vinculo.core import nav, records, subjects
        from vinculo.core.api import routers
        from vinculo.org import teams as team_pages
        from vinculo.org import territories

        from . import api, api_records, page, services, teams
        from .models import (
            Account,
            ContentDelivery,
            Contract,
            CustomerAsset,
            Document,
            Industry,
            Invoice,
            Note,
        )

        records.register("account", Account, order=10, search=records.SearchSpec(
            "accounts", _("Accounts"), "accounts/_search_result.html",
            prepare=lambda found, user, limit: list(found.select_related("owner")[:limit]),
        ))
        # Records about an account roll up to it: it is the subject whose column they all keep.
        subjects.register(Account, account_field=subjects.SELF)
        subjects.register_mover(Note, services.move_notes)
        # Payments are left out of the recycle bin: removing one changes its invoice's balance, which a
        # plain restore would not undo.
        for key, model, order in (("asset", CustomerAsset, 40), ("contract", Contract, 50), ("invoice", Invoice, 60),
                                  ("note", Note, 70), ("delivery", ContentDelivery, 80), ("document", Document, 90)):
            records.register(key, model, order=order)
        nav.register("accounts", _("Accounts"), "accounts:list", order=10)
        page.register_own_sections()
        team_pages.sections.register("accounts", "accounts/_team_accounts.html", load=teams.team_accounts, order=10,
                                     annotate_list=teams.annotate_teams)
        territories.register("accounts", Account, _("Accounts"), "accounts:list", facts=services.territory_facts,
                             prepare=services.for_territory_rules, order=10,
                             matched_on=_("their billing address (country, region, city, postal code) and industry"),
                             grouped_list_label=_("Accounts by territory"))
        territories.register_industries(Industry.objects.all)

        routers.register("/accounts", api.router, order=10)
        for prefix, router, order in (
            ("/assets", api_records.assets, 40), ("/contracts", api_records.contracts, 50),
            ("/invoices", api_records.invoices, 60), ("/payments", api_records.payments, 70),
            ("/notes", api_records.notes, 80), ("/files", api_records.files, 90),
            ("/content-deliveries", api_records.content_deliveries, 100),
        ):
            routers.register(prefix, router, order=order)
