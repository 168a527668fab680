"""Campaign members through the generic member link: a contact, or another subject (a lead) by its content type
and id. The database keeps one membership per campaign and member, a member on every row, and a lead's
memberships go when the lead is deleted (the SubjectRelation sales declares on Lead)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.urls import reverse

from vinculo.contacts.tests.factories import ContactFactory
from vinculo.marketing.models import CampaignMember
from vinculo.marketing.page import member_models
from vinculo.sales.models import Lead
from vinculo.sales.tests.factories import CampaignFactory, LeadFactory

pytestmark = pytest.mark.django_db


def refused(**fields) -> bool:
    try:
        with transaction.atomic():
            CampaignMember.objects.create(**fields)
    except IntegrityError:
        return True
    return False


def test_a_lead_is_stored_as_the_member_link_and_found_by_the_lead_lookups(org):
    campaign = CampaignFactory(owner=org.vendedor_norte)
    lead = LeadFactory(owner=org.vendedor_norte)
    membership = CampaignMember.objects.create(campaign=campaign, member=lead)
    stored = CampaignMember.objects.get(pk=membership.pk)
    assert (stored.member_type, stored.member_id, stored.contact_id) == (
        ContentType.objects.get_for_model(Lead), lead.pk, None)
    assert stored.member == lead
    assert list(CampaignMember.objects.of_member(lead)) == [membership]
    assert list(CampaignMember.objects.filter(lead=lead)) == [membership]
    assert list(lead.campaign_memberships.all()) == [membership]
    assert not CampaignMember.objects.of_member(LeadFactory(owner=org.vendedor_norte)).exists()


def test_one_membership_per_campaign_and_lead_and_per_campaign_and_contact(org):
    campaign, other = CampaignFactory(owner=org.vendedor_norte), CampaignFactory(owner=org.vendedor_norte)
    lead, contact = LeadFactory(owner=org.vendedor_norte), ContactFactory(account=org.north_account)
    CampaignMember.objects.create(campaign=campaign, member=lead)
    CampaignMember.objects.create(campaign=campaign, contact=contact)
    assert refused(campaign=campaign, member=lead)
    assert refused(campaign=campaign, contact=contact)
    # The same lead or contact in another campaign, and another lead in the same one, are fine.
    assert not refused(campaign=other, member=lead)
    assert not refused(campaign=other, contact=contact)
    assert not refused(campaign=campaign, member=LeadFactory(owner=org.vendedor_norte))
    assert CampaignMember.objects.count() == 5


def test_a_membership_needs_a_contact_or_a_whole_member_link(org):
    campaign, lead = CampaignFactory(owner=org.vendedor_norte), LeadFactory(owner=org.vendedor_norte)
    lead_type = ContentType.objects.get_for_model(Lead)
    assert refused(campaign=campaign)
    assert refused(campaign=campaign, member_type=lead_type)
    assert refused(campaign=campaign, member_id=lead.pk, contact=ContactFactory(account=org.north_account))
    assert not refused(campaign=campaign, member_type=lead_type, member_id=lead.pk)


def test_deleting_a_lead_deletes_its_memberships_and_nothing_else(org):
    campaign = CampaignFactory(owner=org.vendedor_norte)
    gone, kept = LeadFactory(owner=org.vendedor_norte), LeadFactory(owner=org.vendedor_norte)
    contact = ContactFactory(account=org.north_account)
    CampaignMember.objects.create(campaign=campaign, member=gone)
    CampaignMember.objects.create(campaign=CampaignFactory(owner=org.vendedor_norte), member=gone)
    CampaignMember.objects.create(campaign=campaign, member=kept)
    CampaignMember.objects.create(campaign=campaign, contact=contact)
    gone.delete()
    assert set(CampaignMember.objects.values_list("member_id", "contact_id")) == {(kept.pk, None), (None, contact.pk)}
    Lead.all_objects.filter(pk=kept.pk).delete()
    assert list(CampaignMember.objects.values_list("member_id", "contact_id")) == [(None, contact.pk)]


def test_the_subject_types_that_may_be_members_are_those_declaring_the_relation():
    assert member_models() == [Lead]


def test_the_campaign_page_names_a_lead_member_by_its_type(client, org):
    campaign = CampaignFactory(owner=org.vendedor_norte)
    CampaignMember.objects.create(campaign=campaign, member=LeadFactory(owner=org.vendedor_norte, last_name="Propio"))
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("marketing:campaign_detail", args=[campaign.pk])).content.decode()
    assert "Propio" in html and "<td>Lead</td>" in html
