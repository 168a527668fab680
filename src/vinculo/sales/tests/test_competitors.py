"""Competitor pages: read by everyone, changed by catalogue managers; the deals won and lost against one,
counted over the deals the viewer may see."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vinculo.sales.models import Competitor, CompetitorContact, Opportunity, OpportunityCompetitor

from .factories import CompetitorFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rival(db):
    return CompetitorFactory(name="Komatsu Chile", strengths="Red de servicio", country="CL")


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def on_deal(competitor, result="pending", **deal):
    opportunity = OpportunityFactory(**deal)
    return OpportunityCompetitor.objects.create(opportunity=opportunity, competitor=competitor, result=result)


@pytest.mark.parametrize("who", ["vendedor_norte", "vendedor_sur", "director", "catalogue_manager", "admin"])
def test_every_user_reads_the_list_and_the_page(client, org, rival, who):
    user = getattr(org, who)
    assert "Komatsu Chile" in get(client, user, reverse("sales:competitor_list")).content.decode()
    assert "Red de servicio" in get(client, user, rival.get_absolute_url()).content.decode()


@pytest.mark.parametrize("who, writes", [("vendedor_norte", False), ("director", False),
                                         ("catalogue_manager", True), ("admin", True)])
def test_only_catalogue_managers_create_change_and_delete(client, org, rival, who, writes):
    user = getattr(org, who)
    page = get(client, user, rival.get_absolute_url()).content.decode()
    assert (reverse("sales:competitor_edit", args=[rival.pk]) in page) is writes
    assert (reverse("sales:competitor_create") in get(client, user, reverse("sales:competitor_list")).content.decode()) \
        is writes
    expected = 200 if writes else 403
    assert client.get(reverse("sales:competitor_create")).status_code == expected
    assert client.get(reverse("sales:competitor_edit", args=[rival.pk])).status_code == expected
    response = client.post(reverse("sales:competitor_contact_add", args=[rival.pk]), {"contact-name": "Ana Pérez"})
    assert (response.status_code == 302) is writes
    assert CompetitorContact.objects.exists() is writes


def test_catalogue_manager_creates_a_competitor_with_a_normalised_phone(client, org):
    client.force_login(org.catalogue_manager)
    response = client.post(reverse("sales:competitor_create"), {
        "name": "Finning CAT", "country": "CL", "phone": "22 345 6789", "strengths": "Marca",
    })
    competitor = Competitor.objects.get(name="Finning CAT")
    assert response.url == competitor.get_absolute_url()
    assert competitor.phone == "+56223456789"
    response = client.post(reverse("sales:competitor_create"), {"name": "", "country": "CL", "phone": "12"})
    assert set(response.context["form"].errors) == {"name", "phone"}


def test_delete_moves_it_to_the_recycle_bin(client, org, rival):
    client.force_login(org.catalogue_manager)
    client.post(reverse("sales:competitor_delete", args=[rival.pk]))
    assert not Competitor.objects.filter(pk=rival.pk).exists()
    assert get(client, org.vendedor_norte, rival.get_absolute_url()).status_code == 404
    client.force_login(org.catalogue_manager)
    client.post(reverse("core:restore", args=["competitor", rival.pk]))
    assert Competitor.objects.filter(pk=rival.pk).exists()


def test_contacts_are_added_and_removed_and_kept_in_the_history(client, org, rival):
    client.force_login(org.catalogue_manager)
    client.post(reverse("sales:competitor_contact_add", args=[rival.pk]),
                {"contact-name": "Ana Pérez", "contact-title": "KAM", "contact-email": "ana@komatsu.cl"})
    contact = rival.contacts.get()
    response = client.post(reverse("sales:competitor_contact_add", args=[rival.pk]),
                           {"contact-name": "", "contact-email": "no"})
    assert response.status_code == 400 and set(response.context["contact_form"].errors) == {"name", "email"}
    assert "Ana Pérez" in client.get(rival.get_absolute_url()).content.decode()
    client.post(reverse("sales:competitor_contact_remove", args=[rival.pk, contact.pk]))
    assert not rival.contacts.exists()
    assert [entry.changes[0]["label"] for entry in rival.history()] == ["Contact removed", "Contact added"]


def test_deals_won_and_lost_against_it_count_only_the_deals_the_viewer_sees(client, org, rival):
    closed = {"closed_on": datetime.date(2026, 5, 1)}
    on_deal(rival, "we_won", account=org.north_account, status=Opportunity.Status.WON, name="Ganado norte", **closed)
    on_deal(rival, "they_won", account=org.north_account, status=Opportunity.Status.LOST, close_reason="price",
            name="Perdido norte", **closed)
    on_deal(rival, account=org.north_account, name="Abierto norte")
    on_deal(rival, "they_won", account=org.south_account, status=Opportunity.Status.LOST, close_reason="price",
            name="Perdido sur", **closed)
    response = get(client, org.vendedor_norte, rival.get_absolute_url())
    deals = response.context["deals"]
    assert (deals["won"], deals["lost"], deals["open"], deals["win_rate"]) == (1, 1, 1, 50)
    html = response.content.decode()
    assert "Ganado norte" in html and "Perdido norte" in html and "Perdido sur" not in html
    deals = get(client, org.director, rival.get_absolute_url()).context["deals"]
    assert (deals["won"], deals["lost"], deals["open"], deals["win_rate"]) == (1, 2, 1, 33)


def _queries(client, user, competitor):
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(competitor.get_absolute_url()).status_code == 200
    return len(captured)


def test_competitor_page_and_list_run_a_bounded_number_of_queries(client, org, rival, django_assert_max_num_queries):
    on_deal(rival, account=org.north_account)
    CompetitorContact.objects.create(competitor=rival, name="Ana")
    _queries(client, org.vendedor_norte, rival)
    few = _queries(client, org.vendedor_norte, rival)
    for n in range(30):
        on_deal(rival, account=org.north_account)
        CompetitorContact.objects.create(competitor=rival, name=f"Contacto {n}")
        CompetitorFactory()
    with django_assert_max_num_queries(15):
        client.get(rival.get_absolute_url())
    assert _queries(client, org.vendedor_norte, rival) == few
    with django_assert_max_num_queries(12):
        assert client.get(reverse("sales:competitor_list")).status_code == 200
