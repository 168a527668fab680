"""What sales adds to the pages of lower apps (registered in SalesConfig.ready()): the account page's
opportunities, the campaign page's leads."""

from django.utils.translation import gettext_lazy as _

from vinculo.accounts.page import RelatedList
from vinculo.marketing.page import RELATED_SHOWN

from .models import Lead, Opportunity

# Every deal of an account the user may see is visible to them (the deal's policy inherits the account's).
opportunities = RelatedList(
    "opportunities", Opportunity,
    lambda account, today: Opportunity.objects.filter(account=account)
    .select_related("owner", "stage", "business_unit").order_by("-created_at", "-pk"),
    _("Opportunities"), template="accounts/_opportunities_list.html", order=40,
)


def campaign_leads(campaign, user) -> dict:
    leads = Lead.objects.visible_to(user).filter(campaign=campaign).select_related("owner").order_by("-created_at")
    return {"rows": list(leads[:RELATED_SHOWN]), "count": leads.count()}
