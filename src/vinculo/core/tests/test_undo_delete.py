"""A delete says so with an Undo (a POST to the recycle bin's restore, CSRF-checked, allowed only to who may
edit the record), and the recycle bin shows only the types it holds, or one notice when it is empty."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from vinculo.accounts.models import Account
from vinculo.contacts.models import Contact
from vinculo.core.services import soft_delete

pytestmark = pytest.mark.django_db


def undo_forms(html: str) -> list[str]:
    """The action of each Undo form in `html`."""
    return re.findall(r'<form method="post" action="([^"]+)" class="inline alert-action">', html)


def test_delete_message_offers_undo_that_restores_the_record(client, org):
    account = org.north_account
    client.force_login(org.vendedor_norte)
    response = client.post(reverse("accounts:delete", args=[account.pk]), follow=True)
    html = response.content.decode()
    restore_url = reverse("core:restore", args=["account", account.pk])
    assert undo_forms(html) == [restore_url]
    assert "Undo" in html and reverse("core:recycle_bin") in html
    assert not Account.objects.filter(pk=account.pk).exists()

    response = client.post(restore_url, follow=True)
    assert response.redirect_chain == [(account.get_absolute_url(), 302)]
    assert Account.objects.get(pk=account.pk).deleted_at is None
    assert "was restored" in response.content.decode() and undo_forms(response.content.decode()) == []


def test_undo_is_offered_once(client, org):
    client.force_login(org.vendedor_norte)
    client.post(reverse("contacts:delete", args=[org.north_contact.pk]))
    assert len(undo_forms(client.get(reverse("home")).content.decode())) == 1
    assert undo_forms(client.get(reverse("home")).content.decode()) == []


def test_outsider_cannot_undo_someone_elses_delete(client, org):
    contact = org.north_contact
    client.force_login(org.vendedor_norte)
    client.post(reverse("contacts:delete", args=[contact.pk]))
    client.force_login(org.vendedor_sur)
    assert client.post(reverse("core:restore", args=["contact", contact.pk])).status_code == 404
    assert Contact.all_objects.get(pk=contact.pk).deleted_at is not None


def test_read_only_teammate_cannot_undo_either(client, org):
    # vendedor.norte2 shares a role with the owner but is not above them: the account is not theirs to edit.
    soft_delete(org.north_account, by=org.vendedor_norte)
    client.force_login(org.vendedor_norte2)
    assert client.post(reverse("core:restore", args=["account", org.north_account.pk])).status_code == 404
    assert Account.all_objects.get(pk=org.north_account.pk).deleted_at is not None


def test_undo_needs_the_csrf_token(org):
    soft_delete(org.north_account, by=org.vendedor_norte)
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.vendedor_norte)
    assert client.post(reverse("core:restore", args=["account", org.north_account.pk])).status_code == 403
    assert Account.all_objects.get(pk=org.north_account.pk).deleted_at is not None


def test_undo_is_offered_only_for_types_the_recycle_bin_restores():
    from vinculo.core.records import record_types
    from vinculo.org.models import User
    from vinculo.sales.models import Quote

    assert record_types.restorable_key(Account) == "account"
    assert record_types.restorable_key(Quote) is None  # a deleted draft quote is not in the bin
    assert record_types.restorable_key(User) is None


def test_empty_recycle_bin_says_so_once(client, org):
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("core:recycle_bin")).content.decode()
    assert html.count("The recycle bin is empty.") == 1
    assert "<h2" not in html and "Nothing here." not in html


def test_recycle_bin_shows_only_the_types_it_holds(client, org):
    soft_delete(org.north_contact, by=org.vendedor_norte)
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("core:recycle_bin")).content.decode()
    assert re.findall(r'<h2 id="bin-([a-z_]+)">', html) == ["contact"]
    assert "The recycle bin is empty." not in html and "Nothing here." not in html
    assert reverse("core:restore", args=["contact", org.north_contact.pk]) in html
