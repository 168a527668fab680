"""The contact page's sections, which other apps register: the contact's activities, the deals it plays a
role in and the campaigns that reached it — each showing only what the viewer may see, loaded after the
page so the page's own queries stay the same."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from vinculo.activities.models import Activity
from vinculo.marketing.models import CampaignMember
from vinculo.sales.models import OpportunityContact
from vinculo.sales.tests.factories import CampaignFactory, OpportunityFactory

AT = timezone.make_aware(datetime.datetime(2026, 11, 20, 10, 0))


def activity(account, owner, subject, contact, days_ago=0):
    record = Activity.objects.create(kind=Activity.Kind.CALL, subject=subject, owner=owner, account=account,
                                     occurred_at=AT - datetime.timedelta(days=days_ago))
    record.contacts.add(contact)
    return record


@pytest.fixture
def involved(org):
    """North's contact in records of both zones: vendedor.norte may see only the north ones."""
    contact = org.north_contact
    activity(org.north_account, org.vendedor_norte, "Llamada por repuestos", contact)
    activity(org.south_account, org.vendedor_sur, "Reunión secreta del sur", contact)
    north_deal = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, name="Chancado 2027")
    south_deal = OpportunityFactory(account=org.south_account, owner=org.vendedor_sur, name="Negocio sureño")
    OpportunityContact.objects.create(opportunity=north_deal, contact=contact, role="decision_maker")
    OpportunityContact.objects.create(opportunity=south_deal, contact=contact, role="influencer")
    CampaignMember.objects.create(campaign=CampaignFactory(owner=org.vendedor_norte, name="Expomin 2026"),
                                  contact=contact)
    CampaignMember.objects.create(campaign=CampaignFactory(owner=org.vendedor_sur, name="Feria del sur"),
                                  contact=contact)
    return contact


def section(client, contact, key):
    return client.get(reverse("contacts:section", args=[contact.pk, key]))


def test_the_page_loads_each_registered_section_after_itself(client, org, involved):
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("contacts:detail", args=[involved.pk])).content.decode()
    for key in ("activities", "deals", "campaigns"):
        assert f'hx-get="{reverse("contacts:section", args=[involved.pk, key])}"' in html


def test_each_section_shows_only_what_the_viewer_may_see(client, org, involved):
    client.force_login(org.vendedor_norte)
    activities = section(client, involved, "activities")
    assert activities.context["data"]["count"] == 1
    assert "Llamada por repuestos" in activities.content.decode()
    assert "Reunión secreta del sur" not in activities.content.decode()
    deals = section(client, involved, "deals")
    assert deals.context["data"]["count"] == 1
    assert "Chancado 2027" in deals.content.decode() and "Negocio sureño" not in deals.content.decode()
    assert "Decision maker" in deals.content.decode() or "Tomador de decisión" in deals.content.decode()
    campaigns = section(client, involved, "campaigns")
    assert campaigns.context["data"]["count"] == 1
    assert "Expomin 2026" in campaigns.content.decode() and "Feria del sur" not in campaigns.content.decode()


def test_the_director_above_both_zones_sees_both(client, org, involved):
    client.force_login(org.director)
    assert [section(client, involved, key).context["data"]["count"] for key in ("activities", "deals", "campaigns")] \
        == [2, 2, 2]


def test_someone_who_may_not_see_the_contact_gets_404_on_every_section(client, org, involved):
    client.force_login(org.vendedor_sur)
    for key in ("activities", "deals", "campaigns"):
        assert section(client, involved, key).status_code == 404


def test_an_unknown_section_is_404(client, org, involved):
    client.force_login(org.vendedor_norte)
    assert section(client, involved, "invoices").status_code == 404


def test_a_section_shows_the_latest_ten_newest_first_with_the_total(client, org, involved):
    for day in range(1, 13):
        activity(org.north_account, org.vendedor_norte, f"Seguimiento {day:02d}", involved, days_ago=day)
    client.force_login(org.vendedor_norte)
    response = section(client, involved, "activities")
    rows = response.context["data"]["rows"]
    assert response.context["data"]["count"] == 13
    assert [row.subject for row in rows] == ["Llamada por repuestos", *(f"Seguimiento {day:02d}" for day in range(1, 10))]


def test_section_queries_do_not_grow_with_rows(client, org, involved, django_assert_max_num_queries):
    client.force_login(org.vendedor_norte)
    counts = {}
    for key in ("activities", "deals", "campaigns"):
        with django_assert_max_num_queries(50) as captured:
            section(client, involved, key)
        counts[key] = len(captured.captured_queries)
    for n in range(15):
        activity(org.north_account, org.vendedor_norte, f"Otra {n}", involved)
        deal = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte)
        OpportunityContact.objects.create(opportunity=deal, contact=involved)
        CampaignMember.objects.create(campaign=CampaignFactory(owner=org.vendedor_norte), contact=involved)
    for key, few in counts.items():
        with django_assert_max_num_queries(few):
            assert section(client, involved, key).status_code == 200
