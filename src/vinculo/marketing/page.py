"""The campaign page's sections: its members (here) and what other apps register, such as the leads the
campaign brought (sales). Each section's `load(campaign, user)` returns {"rows", "count"} of what the user
may see; its template shows them as `data`."""

from collections import defaultdict

from django.contrib.contenttypes.fields import GenericRel
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.text import capfirst

from vinculo.contacts.models import Contact
from vinculo.core import subjects
from vinculo.core.lists import mark_visible
from vinculo.core.policy import Subject
from vinculo.core.sections import Sections

from .models import CampaignMember

RELATED_SHOWN = 50

sections = Sections("campaign page")


def member_models() -> list[type]:
    """The subject types a campaign may reach besides contacts (a lead): those registered with
    `core.subjects.register` whose model declares the reverse side of the member link (a SubjectRelation to
    CampaignMember, which also deletes a subject's memberships with it)."""
    return [
        rel.field.model for rel in CampaignMember._meta.get_fields(include_hidden=True)
        if isinstance(rel, GenericRel) and subjects.registry.of(rel.field.model) is not None
    ]


def members(campaign, user) -> dict:
    """Members the user may see: a contact or another member (a lead) they can open, named only then."""
    member_rule = Subject("member_type", "member_id", types=tuple(model._meta.label for model in member_models()))
    found = campaign.members.filter(
        Q(contact__in=Contact.objects.visible_to(user).values("pk")) | member_rule.q(user, write=False, per_row=False)
    ).select_related("contact")
    shown = list(found[:RELATED_SHOWN])
    mark_visible(shown, user, "contact", "contact_visible")
    load_visible_members(shown, user)
    return {"rows": shown, "count": found.count()}


def load_visible_members(memberships, user) -> None:
    """Set each membership's `member_visible` and, where the user may see it, its `member` and `member_kind`
    (the member's type, "Lead"): one query per member type."""
    link = CampaignMember._meta.get_field("member")
    wanted = defaultdict(list)
    for membership in memberships:
        membership.member_visible = False
        if membership.member_type_id is not None:
            wanted[membership.member_type_id].append(membership)
    for type_id, rows in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None or subjects.registry.of(model) is None:
            continue
        visible = model.objects.visible_to(user).in_bulk({membership.member_id for membership in rows})
        for membership in rows:
            found = visible.get(membership.member_id)
            if found is not None:
                link.set_cached_value(membership, found)
                membership.member_visible = True
                membership.member_kind = capfirst(model._meta.verbose_name)
