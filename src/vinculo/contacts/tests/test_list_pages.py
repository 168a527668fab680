"""The contact list reads its first pages checking each contact's access row by row and counts with one list
of the user's accounts: every page shows exactly the contacts the user may see, in order, whichever way."""

import pytest
from django.urls import reverse

from vinculo.contacts.models import Contact
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.contacts.views import ContactListView

pytestmark = pytest.mark.django_db


@pytest.fixture
def contacts(org):
    ContactFactory.create_batch(20, account=org.north_account)  # visible through the account
    ContactFactory.create_batch(12, account=org.south_account, owner=org.vendedor_norte)  # through the owner
    ContactFactory.create_batch(15, account=org.south_account)  # not visible to vendedor.norte
    ContactFactory.create_batch(3, account=None, owner=org.vendedor_norte)


def listed(client, params=None):
    names, page = [], 1
    while True:
        response = client.get(reverse("contacts:list"), {**(params or {}), "page": page})
        names += [contact.pk for contact in response.context["object_list"]]
        if not response.context["page_obj"].has_next():
            return names, response.context["paginator"].count
        page += 1


@pytest.mark.parametrize("per_row_pages", [0, 1, 20])
def test_every_page_lists_the_visible_contacts_once_in_order(client, org, contacts, monkeypatch, per_row_pages):
    monkeypatch.setattr(ContactListView, "per_row_pages", per_row_pages)
    client.force_login(org.vendedor_norte)
    expected = list(Contact.objects.visible_to(org.vendedor_norte).order_by("last_name", "first_name", "pk")
                    .values_list("pk", flat=True))
    assert len(expected) == 1 + 20 + 12 + 3  # with org.north_contact
    assert listed(client) == (expected, len(expected))


def test_a_quick_search_lists_only_visible_matches(client, org, contacts):
    ContactFactory(account=org.north_account, last_name="Sotomayor")
    ContactFactory(account=org.south_account, last_name="Soto")  # the south rep's
    client.force_login(org.vendedor_norte)
    pks, count = listed(client, {"q": "soto"})
    assert [Contact.objects.get(pk=pk).last_name for pk in pks] == ["Sotomayor"] and count == 1
