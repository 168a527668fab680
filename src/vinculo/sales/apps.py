from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "vinculo.sales"
    verbose_name = _("Sales")

    def ready(self):
        from .report_types import register_types as register_report_types

        register_report_types()
        from . import presets

        presets.register()
        from vinculo.accounts import page
        from vinculo.contacts import page as contact_page
        from vinculo.core import nav, records, schedule, subjects
        from vinculo.core.api import routers
        from vinculo.marketing import page as campaign_page
        from vinculo.org import teams as team_pages
        from vinculo.org import territories
        from vinculo.plans import links, metrics

        from . import plans as plan_measures
        from . import quoting, sections, teams
        from . import territories as lead_territories
        from .api import catalogue, competitors, leads, opportunities, quotes
        from .models import Competitor, Lead, Opportunity, PriceList, Product, Quote

        records.register("lead", Lead, order=100, search=records.SearchSpec(
            "leads", _("Leads"), "sales/leads/_search_result.html",
        ))
        register_lead_duplicate_rules(Lead)
        records.register("opportunity", Opportunity, order=120, search=records.SearchSpec(
            "opportunities", _("Opportunities"), "sales/opportunities/_search_result.html",
            related=("account", "stage"), visible=("account", "account_visible"),
        ))
        # Activities, notes and files may be about a lead, a deal or a quote. `alias`: the names of the
        # links they had before (activity.lead, Activity.objects.filter(opportunity=…)).
        # Sent quotes past their validity expire (accepting one is refused already, before the job runs).
        schedule.register("sales.expire_quotes", quoting.expire_quotes, every=timedelta(hours=1))
        subjects.register(Lead, alias="lead")
        subjects.register(Opportunity, account_field="account", alias="opportunity")
        subjects.register(Quote, account_field="opportunity__account")
        for key, model, order in (("competitor", Competitor, 130), ("product", Product, 140), ("pricelist", PriceList, 150)):
            records.register(key, model, order=order)

        territories.register("leads", Lead, _("Leads"), "sales:lead_list", facts=lead_territories.lead_facts,
                             prepare=lead_territories.for_territory_rules, order=20,
                             matched_on=_("their country, region, city and industry"))

        page.register(sections.opportunities)
        metrics.register("revenue_won", plan_measures.revenue_won)
        metrics.register("opportunities_created", plan_measures.opportunities_created)
        links.register("deals", Opportunity, _("Opportunities"), order=10, template="sales/opportunities/_plan_deal.html",
                       create_url_name="sales:opportunity_create", create_label=_("Create follow-up deal"))
        contact_page.sections.register("deals", "sales/opportunities/_contact_deals.html", load=sections.contact_deals,
                                       order=20)
        campaign_page.sections.register("leads", "sales/leads/_campaign_leads.html", load=sections.campaign_leads,
                                        order=10, count_name="lead_count")
        team_pages.sections.register("deals", "sales/_team_deals.html", load=teams.team_deals, order=20,
                                     annotate_list=teams.annotate_teams)

        nav.register("leads", _("Leads"), "sales:lead_list", order=30, prefix="lead")
        nav.register("opportunities", _("Opportunities"), "sales:opportunity_board", order=40, prefix="opportunity")
        nav.register("quotes", _("Quotes"), "sales:quote_list", order=50, prefix="quote")
        for key, label, url_name, order, prefix in (
            ("products", _("Products"), "sales:product_list", 110, "product"),
            ("pricelists", _("Price lists"), "sales:pricelist_list", 120, "pricelist"),
            ("competitors", _("Competitors"), "sales:competitor_list", 130, "competitor"),
        ):
            nav.register(key, label, url_name, order=order, group=nav.MORE, heading=_("Sales"), prefix=prefix)
        nav.register("pipeline_stages", _("Pipeline stages"), "sales:stage_settings", order=239, group=nav.MORE,
                     heading=_("Organisation"), permission="org.administer_organisation", prefix="stage")

        for prefix, router, order in (
            ("/leads", leads.router, 120), ("/opportunities", opportunities.router, 130),
            ("/stages", opportunities.stages_router, 140), ("/competitors", competitors.router, 150),
            ("/products", catalogue.products, 160), ("/price-lists", catalogue.price_lists, 170),
            ("/quotes", quotes.router, 180),
        ):
            routers.register(prefix, router, order=order)


def register_lead_duplicate_rules(Lead):
    """Leads are possible duplicates with the same e-mail or phone, or a similar full name. The company's tax
    id is no such key: several people of one company are several leads. A converted lead is never merged."""
    from vinculo.core import duplicates
    from vinculo.core.matching import normalize_email, normalize_mobile, normalize_name

    duplicates.register("lead", Lead, name_fields=("first_name", "last_name"), normalize=normalize_name, keys=(
        duplicates.Key("email", _("Same e-mail"), ("email",), lambda value, country: normalize_email(value)),
        duplicates.Key("phone", _("Same phone"), ("phone",), normalize_mobile),
    ), list_url="sales:lead_list", not_merged=("status", "converted_at", "converted_by", "converted_account",
                                                "converted_contact", "converted_opportunity"),
        refuse_merge=lambda lead: _("“%(lead)s” is converted: it is not merged.") % {"lead": lead}
        if lead.status == Lead.Status.CONVERTED else "")
