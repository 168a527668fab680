from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "vinculo.marketing"
    verbose_name = _("Marketing")

    def ready(self):
        from vinculo.contacts import page as contact_page
        from vinculo.core import lists, nav, records, subjects
        from vinculo.core.api import routers

        from . import api, page, sections, services
        from .models import Campaign, CampaignMember

        records.register("campaign", Campaign, order=110)
        subjects.register(Campaign)
        subjects.register_mover(CampaignMember, services.move_memberships)
        nav.register("campaigns", _("Campaigns"), "marketing:campaign_list", order=140, group=nav.MORE,
                     heading=_("Sales"))
        routers.register("/campaigns", api.router, order=220)
        page.sections.register("members", "marketing/_campaign_members.html", load=page.members, order=20,
                               count_name="member_count")
        contact_page.sections.register("campaigns", "marketing/_contact_campaigns.html",
                                       load=sections.contact_campaigns, order=30)
        lists.register("campaigns", _("Campaigns"), "marketing:campaign_list")
