"""A contact's links to accounts other than its main one, changed from the contact page and the API.

The rules, as users read them: whoever may edit the contact may link it to an account they can see (a role
per account) and unlink it; a reader of the contact gets 403, anyone else 404. Links to accounts the user
cannot see are neither listed nor removable by them (404). Each change is in the contact's and the account's
history, the other side's name shown only to those who may see it.

Standing users (conftest `org`): north_contact belongs to north_account, both owned by vendedor.norte; the
director and the admin see both accounts, vendedor.norte does not see south_account.
"""

import pytest
from django.urls import reverse

from vinculo.accounts.models import AccountTeamMember
from vinculo.accounts.tests.factories import AccountFactory, AccountTeamMemberFactory
from vinculo.contacts.models import ContactAccountLink
from vinculo.core.access import HIDDEN_RECORD
from vinculo.core.tests.api_client import ApiClient, error_fields
from vinculo.core.views import visible_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def other(org):
    """A second account the contact's editors can see."""
    return AccountFactory(owner=org.vendedor_norte, legal_name="Consultora Atacama SpA")


# user → status of the API's POST and DELETE of a link to `other`; vendedor.norte2 reads north_account only.
MATRIX = {
    "vendedor_norte": (201, 204),  # owns the contact's account and the other account
    "gerente_norte": (201, 204),
    "admin": (201, 204),
    "vendedor_norte2": (403, 403),  # reads the contact through a read-only team membership
    "vendedor_sur": (404, 404),  # cannot see the contact
}


@pytest.fixture
def reader(org, other):
    for account in (org.north_account, other):
        AccountTeamMemberFactory(account=account, user=org.vendedor_norte2, access=AccountTeamMember.Access.READ)


@pytest.mark.parametrize("who", MATRIX)
def test_api_links_follow_the_contact_editors(org, other, reader, who):
    contact = org.north_contact
    added, removed = MATRIX[who]
    api = ApiClient(getattr(org, who))
    response = api.post(f"/contacts/{contact.pk}/accounts", {"account": other.pk, "role": "Asesor externo"})
    assert response.status_code == added
    if added == 201:
        assert response.json()["account"] == {"id": other.pk, "name": "Consultora Atacama SpA"}
        assert response.json()["role"] == "Asesor externo"
    link = ContactAccountLink.objects.get_or_create(contact=contact, account=other)[0]
    assert api.delete(f"/contacts/{contact.pk}/accounts/{link.pk}").status_code == removed
    assert ContactAccountLink.objects.filter(pk=link.pk).exists() is (removed != 204)


@pytest.mark.parametrize("who", MATRIX)
def test_page_links_follow_the_contact_editors(client, org, other, reader, who):
    contact = org.north_contact
    added, removed = MATRIX[who]
    client.force_login(getattr(org, who))
    response = client.post(reverse("contacts:account_link_add", args=[contact.pk]),
                           {"link-account": other.pk, "link-role": "Asesor externo"})
    assert response.status_code == {201: 302, 403: 403, 404: 404}[added]
    assert ContactAccountLink.objects.filter(contact=contact, account=other).exists() is (added == 201)
    link = ContactAccountLink.objects.get_or_create(contact=contact, account=other)[0]
    response = client.post(reverse("contacts:account_link_remove", args=[contact.pk, link.pk]))
    assert response.status_code == {204: 302, 403: 403, 404: 404}[removed]


def test_only_an_account_the_user_sees_may_be_linked(client, org, other):
    contact = org.north_contact
    api = ApiClient(org.vendedor_norte)
    refused = api.post(f"/contacts/{contact.pk}/accounts", {"account": org.south_account.pk})
    assert refused.status_code == 422 and error_fields(refused) == {"account"}
    main = api.post(f"/contacts/{contact.pk}/accounts", {"account": org.north_account.pk})
    assert main.status_code == 422 and error_fields(main) == {"account"}
    assert api.post(f"/contacts/{contact.pk}/accounts", {"account": other.pk}).status_code == 201
    assert api.post(f"/contacts/{contact.pk}/accounts", {"account": other.pk}).status_code == 409
    client.force_login(org.vendedor_norte)
    form = client.get(contact.get_absolute_url()).context["link_form"]
    choices = set(form.fields["account"].queryset.values_list("pk", flat=True))
    assert other.pk in choices and org.south_account.pk not in choices and org.north_account.pk not in choices
    response = client.post(reverse("contacts:account_link_add", args=[contact.pk]),
                           {"link-account": org.south_account.pk}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "account" in response.context["link_form"].errors


def test_a_link_to_an_account_the_user_cannot_see_is_not_listed_nor_removable(org, other):
    contact = org.north_contact
    hidden = ContactAccountLink.objects.create(contact=contact, account=org.south_account, role="Auditor")
    ContactAccountLink.objects.create(contact=contact, account=other, role="Asesor")
    api = ApiClient(org.vendedor_norte)
    listed = api.get(f"/contacts/{contact.pk}/accounts").json()
    assert listed["count"] == 1 and [item["account"]["id"] for item in listed["items"]] == [other.pk]
    assert api.delete(f"/contacts/{contact.pk}/accounts/{hidden.pk}").status_code == 404
    assert ContactAccountLink.objects.filter(pk=hidden.pk).exists()
    assert ApiClient(org.admin).get(f"/contacts/{contact.pk}/accounts").json()["count"] == 2


def test_links_are_in_both_histories_naming_only_what_the_reader_sees(org):
    contact = org.north_contact
    api = ApiClient(org.admin)
    link = api.post(f"/contacts/{contact.pk}/accounts", {"account": org.south_account.pk, "role": "Auditor"}).json()
    api.delete(f"/contacts/{contact.pk}/accounts/{link['id']}")
    entries = visible_history(contact, org.admin)
    assert [(e.changes[0]["label"], e.changes[0]["old"], e.changes[0]["new"]) for e in entries[:2]] == [
        ("Account unlinked", "Pesquera Sur Austral SpA (Auditor)", ""),
        ("Account linked", "", "Pesquera Sur Austral SpA (Auditor)"),
    ]
    # vendedor.norte sees the contact but not the south account: its name is kept from him.
    seen = visible_history(contact, org.vendedor_norte)
    assert [(e.changes[0]["old"], e.changes[0]["new"]) for e in seen[:2]] == [
        (str(HIDDEN_RECORD), ""), ("", str(HIDDEN_RECORD))]
    account_side = visible_history(org.south_account, org.admin)
    assert [e.changes[0]["label"] for e in account_side[:2]] == ["Contact unlinked", "Contact linked"]
    assert account_side[1].changes[0]["new"] == f"{contact} (Auditor)"


def test_the_contact_page_links_and_unlinks_in_place(client, org, other):
    contact = org.north_contact
    client.force_login(org.vendedor_norte)
    response = client.post(reverse("contacts:account_link_add", args=[contact.pk]),
                           {"link-account": other.pk, "link-role": "Asesor externo"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="accounts"' in html and "Consultora Atacama SpA" in html and "Asesor externo" in html
    link = ContactAccountLink.objects.get(contact=contact, account=other)
    assert reverse("contacts:account_link_remove", args=[contact.pk, link.pk]) in html
    response = client.post(reverse("contacts:account_link_remove", args=[contact.pk, link.pk]),
                           headers={"HX-Request": "true"})
    assert "Consultora Atacama SpA" not in response.content.decode()
    # The link made the contact appear among the other account's contacts; unlinked, it is gone.
    page = client.get(other.get_absolute_url()).content.decode()
    contacts = page[page.index('id="contacts"'):]
    assert contact.last_name not in contacts[:contacts.index("</section>")]


def test_a_reader_sees_the_links_without_the_forms(client, org, other, reader):
    ContactAccountLink.objects.create(contact=org.north_contact, account=other, role="Asesor")
    client.force_login(org.vendedor_norte2)
    html = client.get(org.north_contact.get_absolute_url()).content.decode()
    assert "Consultora Atacama SpA" in html
    assert reverse("contacts:account_link_add", args=[org.north_contact.pk]) not in html
