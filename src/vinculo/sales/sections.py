"""What sales adds to the pages of lower apps (registered in SalesConfig.ready()): the account page's
opportunities, the campaign page's leads."""

from django.db.models import Case, F, When
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.page import RelatedList
from vinculo.contacts.page import SHOWN
from vinculo.marketing.page import RELATED_SHOWN

from .models import Lead, Opportunity, OpportunityContact

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


def contact_deals(contact, user) -> dict:
    """The deals the contact plays a role in that the user may see, open ones first, then by expected close."""
    roles = (OpportunityContact.objects.filter(contact=contact, opportunity__in=Opportunity.objects.visible_to(user))
             .select_related("opportunity__stage", "opportunity__owner")
             .order_by(Case(When(opportunity__status=Opportunity.Status.OPEN, then=0), default=1),
                       F("opportunity__expected_close_date").desc(nulls_last=True), "-opportunity_id"))
    return {"rows": list(roles[:SHOWN]), "count": roles.count()}
