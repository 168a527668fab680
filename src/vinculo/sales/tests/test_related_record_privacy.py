"""A deal shared through a sales team with a user who may not see its account: every rendering of the
deal and its quotes — the PDF (page and API), the deal's history, the quote form's "addressed to"
choices, the deal form's account — names the account and the contact only to readers who may see them,
and shows "a record you cannot see" to the others."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from vinculo.accounts.tests.factories import AccountFactory, AddressFactory
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core import services, subjects
from vinculo.core.access import may_see
from vinculo.core.tests.api_client import ApiClient
from vinculo.customer360.tests.factories import NoteFactory
from vinculo.org.models import SalesTeam, SalesTeamMember
from vinculo.sales import quoting, services_opportunities
from vinculo.sales.models import OpportunityContact

from .factories import OpportunityFactory
from .quote_fixtures import *  # noqa: F403  (fixtures: frozen, deal, reader, catalogue)
from .quote_fixtures import make_quote

pytestmark = pytest.mark.django_db

PLACEHOLDER = "a record you cannot see"  # the pages and PDFs here are rendered in English
# What the north account and its contact would leak: names, tax id, address, e-mail, phone.
SECRETS = ("Minera Norte Grande SpA", "Araya", "araya@norte.cl", "Camino a Chuquicamata 1200", "912345678")


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def shared(org, catalogue, frozen):
    """vendedor.norte's deal on the north account, quoted to Araya, shared with vendedor.sur through a
    sales team: vendedor.sur sees (and edits) the deal and its quote, not the account nor the contact."""
    team = SalesTeam.objects.create(name="Equipo Minería")
    SalesTeamMember.objects.create(team=team, user=org.vendedor_sur)
    contact = org.north_contact
    contact.phone = "+56912345678"
    contact.save()
    AddressFactory(account=org.north_account, street="Camino a Chuquicamata 1200", city="Calama")
    deal = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, sales_team=team,
                              name="Flota 2026")
    quote = make_quote(deal, org.vendedor_norte, catalogue, contact=contact)
    assert not may_see(org.vendedor_sur, org.north_account) and not may_see(org.vendedor_sur, contact)
    return type("Shared", (), {"deal": deal, "quote": quote, "contact": contact})


def _assert_hidden(text):
    for secret in SECRETS:
        assert secret not in text, secret


# ---------- The quote's PDF ----------

def test_the_pdf_page_hides_the_account_and_contact_from_a_team_member_who_cannot_see_them(client, org, shared):
    client.force_login(org.vendedor_sur)
    response = client.get(reverse("sales:quote_pdf", args=[shared.quote.pk]))
    assert response.status_code == 200
    text = text_of(response.content)
    assert shared.quote.number in text and "Bomba centrífuga 100" in text
    _assert_hidden(text)
    assert PLACEHOLDER in text


def test_the_pdf_api_hides_them_too(org, shared):
    response = ApiClient(org.vendedor_sur).get(f"/quotes/{shared.quote.pk}/pdf")
    assert response.status_code == 200
    text = text_of(response.content)
    _assert_hidden(text)
    assert PLACEHOLDER in text
    body = ApiClient(org.vendedor_sur).get(f"/quotes/{shared.quote.pk}").json()
    assert body["account"] is None and body["contact"] is None


def test_the_owner_still_gets_the_whole_customer_block(client, org, shared):
    client.force_login(org.vendedor_norte)
    text = text_of(client.get(reverse("sales:quote_pdf", args=[shared.quote.pk])).content)
    for secret in ("Minera Norte Grande SpA", "Araya", "araya@norte.cl", "Camino a Chuquicamata 1200"):
        assert secret in text
    assert PLACEHOLDER not in text


def test_a_visible_account_with_an_unseen_contact_shows_the_account_only(org, shared):
    # The contact belongs to another account vendedor.sur cannot see, linked to the deal's account.
    from vinculo.contacts.models import ContactAccountLink
    from vinculo.sales import pdf

    deal = OpportunityFactory(account=org.south_account, owner=org.vendedor_sur, name="Redes")
    stranger = ContactFactory(account=org.north_account, last_name="Zamorano", email="z@norte.cl")
    ContactAccountLink.objects.create(contact=stranger, account=org.south_account)
    quote = quoting.create_quote(deal, org.admin, contact=stranger)
    text = text_of(pdf.render_quote(quote, reader=org.vendedor_sur))
    assert "Pesquera Sur Austral SpA" in text
    assert "Zamorano" not in text and "z@norte.cl" not in text and PLACEHOLDER in text


# ---------- The deal's history ----------

def test_the_deal_history_names_only_the_contacts_the_reader_may_see(client, org, shared):
    visible = ContactFactory(account=org.south_account, last_name="Bustamante")
    roles = [OpportunityContact(contact=shared.contact, role=OpportunityContact.Role.DECISION_MAKER),
             OpportunityContact(contact=visible, role=OpportunityContact.Role.USER)]
    services_opportunities.replace_contacts(shared.deal, roles, by=org.admin)
    services_opportunities.remove_contact(shared.deal, shared.deal.contact_roles.get(contact=shared.contact),
                                          by=org.admin)
    client.force_login(org.vendedor_sur)
    page = client.get(shared.deal.get_absolute_url()).content.decode()
    assert "Araya" not in page
    assert "Bustamante" in page and PLACEHOLDER in page
    client.force_login(org.vendedor_norte)
    assert "Araya" in client.get(shared.deal.get_absolute_url()).content.decode()


def test_a_foreign_key_change_in_history_names_only_records_the_reader_may_see(client, org, shared):
    hidden = AccountFactory(owner=org.gerente_norte, legal_name="Cobre Escondido Ltda")
    deal = shared.deal
    deal.account = hidden
    services.update_record(deal, by=org.admin)
    services.bulk_update([deal], {"account": org.south_account}, by=org.admin)
    client.force_login(org.vendedor_sur)
    page = client.get(deal.get_absolute_url()).content.decode()
    assert "Minera Norte Grande SpA" not in page and "Cobre Escondido Ltda" not in page
    assert page.count(PLACEHOLDER) >= 3  # north → hidden, hidden → south
    assert "Pesquera Sur Austral SpA" in page
    client.force_login(org.admin)
    page = client.get(deal.get_absolute_url()).content.decode()
    assert "Cobre Escondido Ltda" in page and PLACEHOLDER not in page


# ---------- Form choices ----------

def test_the_quote_form_does_not_name_an_addressee_the_editor_cannot_see(client, org, shared):
    client.force_login(org.vendedor_sur)
    page = client.get(reverse("sales:quote_edit", args=[shared.quote.pk])).content.decode()
    assert "Araya" not in page and PLACEHOLDER in page
    client.force_login(org.vendedor_norte)
    page = client.get(reverse("sales:quote_edit", args=[shared.quote.pk])).content.decode()
    assert "Araya" in page and PLACEHOLDER not in page


def test_a_new_quote_is_not_addressed_by_default_to_a_primary_contact_its_author_cannot_see(org, shared):
    services_opportunities.set_contact_role(shared.deal, shared.contact, OpportunityContact.Role.CHAMPION,
                                            by=org.admin, is_primary=True)
    assert quoting.create_quote(shared.deal, org.vendedor_sur).contact is None
    assert quoting.create_quote(shared.deal, org.vendedor_norte).contact == shared.contact


def test_the_deal_form_does_not_name_an_account_the_editor_cannot_see(client, org, shared):
    client.force_login(org.vendedor_sur)
    page = client.get(reverse("sales:opportunity_edit", args=[shared.deal.pk])).content.decode()
    assert "Minera Norte Grande SpA" not in page and PLACEHOLDER in page


# ---------- Notes and files about the deal ----------

def test_a_note_about_the_deal_does_not_name_its_account_in_the_list_or_on_its_page(client, org, shared):

    note = NoteFactory.build(account=None, title="Llamar por la flota")
    subjects.attach(note, shared.deal)
    note.save()
    client.force_login(org.vendedor_sur)
    listed = client.get(reverse("accounts:note_list")).content.decode()
    assert "Llamar por la flota" in listed and "Minera Norte Grande SpA" not in listed
    page = client.get(reverse("accounts:note_detail", args=[note.pk])).content.decode()
    assert "Llamar por la flota" in page and "Minera Norte Grande SpA" not in page
    client.force_login(org.vendedor_norte)
    assert "Minera Norte Grande SpA" in client.get(reverse("accounts:note_list")).content.decode()
    # The API: the note is listed and read, its account null for the team member, named for the owner.
    api = ApiClient(org.vendedor_sur)
    assert [(item["id"], item["account"]) for item in api.get("/notes").json()["items"]] == [(note.pk, None)]
    assert api.get(f"/notes/{note.pk}").json()["account"] is None
    assert ApiClient(org.vendedor_norte).get(f"/notes/{note.pk}").json()["account"]["id"] == org.north_account.pk


def test_an_activity_about_the_deal_does_not_name_its_account_on_its_pages_or_in_its_form(client, org, shared):
    import datetime

    from vinculo.activities.models import Activity

    call = Activity.objects.create(
        subject="Revisión de la propuesta", owner=org.vendedor_norte, account=org.north_account,
        opportunity=shared.deal, occurred_at=datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.timezone.utc))
    client.force_login(org.vendedor_sur)
    for url in (reverse("activities:detail", args=[call.pk]), reverse("activities:edit", args=[call.pk]),
                reverse("activities:list")):
        page = client.get(url).content.decode()
        assert "Revisión de la propuesta" in page or "Flota 2026" in page, url
        assert "Minera Norte Grande SpA" not in page, url
