from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "vinculo.sales"
    verbose_name = _("Sales")

    def ready(self):
        from vinculo.core import records
        from vinculo.core.lists import mark_visible

        from .models import Competitor, Lead, Opportunity, PriceList, Product

        records.register("lead", Lead, order=100, search=records.SearchSpec(
            "leads", _("Leads"), "sales/leads/_search_result.html",
        ))
        records.register("opportunity", Opportunity, order=120, search=records.SearchSpec(
            "opportunities", _("Opportunities"), "sales/opportunities/_search_result.html",
            prepare=lambda found, user, limit: mark_visible(
                found.select_related("account", "stage")[:limit], user, "account", "account_visible"),
        ))
        for key, model, order in (("competitor", Competitor, 130), ("product", Product, 140), ("pricelist", PriceList, 150)):
            records.register(key, model, order=order)
