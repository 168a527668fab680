"""A contact its owner may see whose account they may not (the account is someone else's): the edit
form's account chooser and the contact's history show "a record you cannot see", never the name."""

import pytest
from django.urls import reverse

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.core import services
from vinculo.core.access import HIDDEN_RECORD

from .factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_the_contact_form_and_history_do_not_name_an_account_its_owner_cannot_see(client, org):
    contact = ContactFactory(account=org.south_account, owner=org.vendedor_norte, last_name="Orellana")
    contact.account = AccountFactory(owner=org.gerente_sur, legal_name="Salmones del Fiordo SpA")
    services.update_record(contact, by=org.admin)
    client.force_login(org.vendedor_norte)
    form = client.get(reverse("contacts:edit", args=[contact.pk])).content.decode()
    assert "Salmones del Fiordo" not in form and str(HIDDEN_RECORD) in form
    page = client.get(contact.get_absolute_url()).content.decode()
    assert "Orellana" in page
    assert "Salmones del Fiordo" not in page and "Pesquera Sur Austral" not in page and str(HIDDEN_RECORD) in page
    client.force_login(org.gerente_sur)
    assert "Salmones del Fiordo" in client.get(reverse("contacts:edit", args=[contact.pk])).content.decode()
