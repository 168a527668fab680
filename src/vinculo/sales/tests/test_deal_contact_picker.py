"""The "add a contact" picker of the deal's page: a search box offering, among the deal account's contacts
(and those linked to it), only the ones the user may see and that are not on the deal yet."""

import pytest
from django.urls import reverse

from vinculo.contacts.models import ContactAccountLink
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.sales.models import OpportunityContact

from .factories import OpportunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(org):
    return OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, name="Flota de camiones")


def choices(client, user, deal, query):
    client.force_login(user)
    return client.get(reverse("sales:opportunity_contact_choices"), {"opportunity": deal.pk, "q": query})


def test_the_picker_offers_the_matching_contacts_of_the_deals_account(client, org, deal):
    ContactFactory(account=org.north_account, last_name="Valdivia")
    linked = ContactFactory(account=None, owner=org.vendedor_norte, last_name="Valenzuela")
    ContactAccountLink.objects.create(contact=linked, account=org.north_account)
    ContactFactory(account=org.north_account, last_name="Zamorano")
    html = choices(client, org.vendedor_norte, deal, "val").content.decode()
    assert "Valdivia" in html and "Valenzuela" in html and "Zamorano" not in html


def test_the_picker_never_offers_a_contact_the_user_cannot_see(client, org, deal):
    # Linked to the deal's account, but its main account and its owner are the south rep's.
    hidden = ContactFactory(account=org.south_account, last_name="Valdés")
    ContactAccountLink.objects.create(contact=hidden, account=org.north_account)
    ContactFactory(account=org.south_account, last_name="Valdebenito")  # another account's, also hidden
    response = choices(client, org.vendedor_norte, deal, "vald")
    html = response.content.decode()
    assert response.status_code == 200 and "Valdés" not in html and "Valdebenito" not in html
    assert "No matching contact" in html
    assert "Valdés" in choices(client, org.director, deal, "vald").content.decode()  # the director sees both lines


def test_the_picker_leaves_out_the_contacts_already_on_the_deal(client, org, deal):
    OpportunityContact.objects.create(opportunity=deal, contact=org.north_contact)
    assert "Araya" not in choices(client, org.vendedor_norte, deal, "araya").content.decode()


def test_an_outsider_cannot_ask_for_a_deals_contacts(client, org, deal):
    assert choices(client, org.vendedor_sur, deal, "araya").status_code == 404
    client.force_login(org.vendedor_norte)
    url = reverse("sales:opportunity_contact_choices")
    assert client.get(url, {"opportunity": "x", "q": "araya"}).status_code == 404


def test_the_deal_page_offers_a_search_box_not_a_list_of_every_contact(client, org, deal):
    ContactFactory(account=org.north_account, last_name="Valdivia")
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("sales:opportunity_detail", args=[deal.pk])).content.decode()
    assert 'name="contact-contact"' in html and reverse("sales:opportunity_contact_choices") in html
    assert "Valdivia" not in html and "Araya" not in html
