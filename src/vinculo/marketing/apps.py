from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "vinculo.marketing"
    verbose_name = _("Marketing")

    def ready(self):
        from vinculo.core import nav, records, subjects
        from vinculo.core.api import routers

        from . import api, services
        from .models import Campaign, CampaignMember

        records.register("campaign", Campaign, order=110)
        subjects.register(Campaign)
        subjects.register_mover(CampaignMember, services.move_memberships)
        nav.register("campaigns", _("Campaigns"), "marketing:campaign_list", order=140, group=nav.MORE,
                     heading=_("Sales"))
        routers.register("/campaigns", api.router, order=220)
