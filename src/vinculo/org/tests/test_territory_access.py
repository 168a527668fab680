"""The optional territory access rule (SPEC §1): users assigned to a territory that grants access see the
accounts and leads in it and below it, and what hangs from those accounts (contacts, opportunities)."""

import pytest
from django.urls import reverse

from vinculo.accounts.models import Account
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.contacts.models import Contact
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core.tests.api_client import ApiClient
from vinculo.org.models import Territory
from vinculo.sales.models import Lead, Opportunity
from vinculo.sales.tests.factories import LeadFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def north(org):
    """Norte (granting) › Antofagasta, and Sur; vendedor.norte2 is assigned to Norte. Every record here is
    owned by someone vendedor.norte2 otherwise cannot see (vendedor.sur)."""
    norte = Territory.objects.create(name="Norte", grants_access=True)
    antofagasta = Territory.objects.create(name="Antofagasta", parent=norte)
    sur = Territory.objects.create(name="Sur", grants_access=True)
    norte.users.add(org.vendedor_norte2)
    in_north = AccountFactory(owner=org.vendedor_sur, territory=norte)
    below = AccountFactory(owner=org.vendedor_sur, territory=antofagasta)
    elsewhere = AccountFactory(owner=org.vendedor_sur, territory=sur)
    return type("North", (), dict(
        territory=norte, antofagasta=antofagasta, sur=sur, in_north=in_north, below=below, elsewhere=elsewhere,
        contact=ContactFactory(account=below), other_contact=ContactFactory(account=elsewhere),
        lead=LeadFactory(owner=org.vendedor_sur, territory=antofagasta),
        other_lead=LeadFactory(owner=org.vendedor_sur, territory=sur),
        deal=OpportunityFactory(account=below, owner=org.vendedor_sur),
        other_deal=OpportunityFactory(account=elsewhere, owner=org.vendedor_sur),
    ))


def visible(model, user):
    return set(model.objects.visible_to(user).values_list("pk", flat=True))


def test_a_granting_territory_shows_its_accounts_and_those_below_it(org, north):
    assert visible(Account, org.vendedor_norte2) == {north.in_north.pk, north.below.pk}


def test_contacts_follow_the_account_seen_through_the_territory(org, north):
    assert visible(Contact, org.vendedor_norte2) == {north.contact.pk}


def test_leads_in_the_territory_subtree_are_visible(org, north):
    assert visible(Lead, org.vendedor_norte2) == {north.lead.pk}


def test_opportunities_follow_their_account(org, north):
    assert visible(Opportunity, org.vendedor_norte2) == {north.deal.pk}


def test_a_territory_that_does_not_grant_access_grants_nothing(org, north):
    north.territory.grants_access = False
    north.territory.save()
    for model in (Account, Contact, Lead, Opportunity):
        assert visible(model, org.vendedor_norte2) == set(), model


def test_an_unassigned_user_sees_nothing_through_territories(org, north):
    for model in (Account, Contact, Lead, Opportunity):
        assert visible(model, org.vendedor_norte) & visible(model, org.vendedor_sur) == set(), model


def test_granting_a_sub_territory_does_not_open_its_parent(org, north):
    north.territory.users.remove(org.vendedor_norte2)
    north.antofagasta.grants_access = True
    north.antofagasta.save()
    north.antofagasta.users.add(org.vendedor_norte2)
    assert visible(Account, org.vendedor_norte2) == {north.below.pk}


def test_territory_access_reaches_pages_and_api(client, org, north):
    client.force_login(org.vendedor_norte2)
    assert client.get(reverse("accounts:detail", args=[north.below.pk])).status_code == 200
    assert client.get(reverse("accounts:detail", args=[north.elsewhere.pk])).status_code == 404
    api = ApiClient(org.vendedor_norte2)
    assert api.get(f"/accounts/{north.below.pk}").status_code == 200
    assert api.get(f"/accounts/{north.elsewhere.pk}").status_code == 404
    assert api.get(f"/leads/{north.lead.pk}").status_code == 200
    assert api.get(f"/leads/{north.other_lead.pk}").status_code == 404
    assert api.get(f"/opportunities/{north.deal.pk}").status_code == 200
    assert api.get(f"/opportunities/{north.other_deal.pk}").status_code == 404
