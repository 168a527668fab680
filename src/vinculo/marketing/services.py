"""Campaign memberships when a lead is converted: the attribution passes to the contact."""

from vinculo.core import subjects

from .models import CampaignMember

# Later responses win, except that an unsubscribe always stands.
_RESPONSE_ORDER = [
    CampaignMember.Response.PLANNED, CampaignMember.Response.SENT, CampaignMember.Response.RESPONDED,
    CampaignMember.Response.ATTENDED,
]


def merged_response(first: str, second: str) -> str:
    if CampaignMember.Response.UNSUBSCRIBED in (first, second):
        return CampaignMember.Response.UNSUBSCRIBED
    rank = {value: position for position, value in enumerate(_RESPONSE_ORDER)}
    return max(first, second, key=lambda response: rank.get(response, -1))


def move_memberships(handover: subjects.Handover, model) -> None:
    """Mover (core.subjects): the contact a subject (a lead) became is the member from now on (merged if it
    already was one). A subject handed over without a person (no contact) keeps its memberships: a
    membership needs a contact or another member."""
    contact = handover.targets.get("contact")
    if contact is None:
        return
    for membership in model.objects.select_for_update().of_member(handover.source):
        existing = model.objects.filter(campaign_id=membership.campaign_id, contact=contact).first()
        if existing is None:
            membership.member_type, membership.member_id, membership.contact = None, None, contact
            membership.save(update_fields=["member_type", "member_id", "contact"])
            continue
        existing.response = merged_response(existing.response, membership.response)
        existing.save(update_fields=["response"])
        membership.delete()
