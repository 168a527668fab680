"""What marketing adds to the contact page (registered in MarketingConfig.ready()): the campaigns that
reached the contact."""

from vinculo.contacts.page import SHOWN

from .models import Campaign, CampaignMember


def contact_campaigns(contact, user) -> dict:
    memberships = (CampaignMember.objects.filter(contact=contact, campaign__in=Campaign.objects.visible_to(user))
                   .select_related("campaign").order_by("-added_at", "-pk"))
    return {"rows": list(memberships[:SHOWN]), "count": memberships.count()}
