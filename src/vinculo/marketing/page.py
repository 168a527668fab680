"""The campaign page's sections: its members (here) and what other apps register, such as the leads the
campaign brought (sales). Each section's `load(campaign, user)` returns {"rows", "count"} of what the user
may see; its template shows them as `data`."""

from django.db.models import Q

from vinculo.contacts.models import Contact
from vinculo.core.lists import mark_visible
from vinculo.core.sections import Sections

RELATED_SHOWN = 50

sections = Sections("campaign page")


def members(campaign, user) -> dict:
    """Members the user may see: a lead or a contact they can open, named only then."""
    leads = campaign.members.model._meta.get_field("lead").related_model
    found = campaign.members.filter(
        Q(lead__in=leads.objects.visible_to(user).values("pk"))
        | Q(contact__in=Contact.objects.visible_to(user).values("pk"))
    ).select_related("lead", "contact")
    shown = list(found[:RELATED_SHOWN])
    mark_visible(shown, user, "lead", "lead_visible")
    mark_visible(shown, user, "contact", "contact_visible")
    return {"rows": shown, "count": found.count()}
