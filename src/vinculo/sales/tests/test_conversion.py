"""Lead conversion (sales.conversion): everything the lead had moves to the account, contact and deal;
matches are offered; converting twice is refused and changes nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from vinculo.accounts.models import Account, AccountTeamMember
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.activities.models import Activity
from vinculo.activities.services import log_activity
from vinculo.activities.timeline import timeline
from vinculo.contacts.models import Contact
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core.models import ChangeLog
from vinculo.core.services import create_record, soft_delete
from vinculo.customer360 import services as customer360_services
from vinculo.customer360.models import Document, Note
from vinculo.marketing.models import CampaignMember
from vinculo.sales.conversion import company_key, conversion_candidates, convert_lead
from vinculo.sales.models import Lead, Opportunity, PipelineStage

from .factories import CampaignFactory, default_pipeline

pytestmark = pytest.mark.django_db

RUT = "76.086.428-5"
RUT_STORED = "760864285"  # as Account.clean normalises it
NOW = datetime.datetime(2026, 3, 2, 15, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def make_lead(owner, **fields):
    values = {"first_name": "Carla", "last_name": "Fuentes", "title": "Gerenta de operaciones",
              "email": "carla.fuentes@andes.cl", "phone": "+56 9 8765 4321", "company": "Constructora Andes SpA",
              "company_tax_id": RUT, "city": "Antofagasta", "owner": owner, **fields}
    return create_record(Lead(**values), by=owner)


def rich_lead(org):
    """A lead with 3 interactions, 2 notes, a file (with a version) and a campaign (source and member)."""
    owner = org.vendedor_norte
    campaign = CampaignFactory(owner=owner, name="Feria Expomin 2026")
    lead = make_lead(owner, campaign=campaign, source="trade_fair")
    for subject, kind in (("Llamada inicial", "call"), ("Visita a obra", "visit"), ("Enviar catálogo", "email")):
        log_activity(Activity(lead=lead, owner=owner, subject=subject, kind=kind, occurred_at=NOW), by=owner)
    for body in ("Interesados en arriendo de equipos.", "Presupuesto aprobado para Q3."):
        create_record(Note(lead=lead, body=body), by=owner)
    document = Document(lead=lead, title="Requerimientos")
    customer360_services.add_document_version(
        document, SimpleUploadedFile("req.pdf", b"%PDF-1.4\n% req\n%%EOF\n", content_type="application/pdf"), by=owner)
    CampaignMember.objects.create(campaign=campaign, member=lead, response=CampaignMember.Response.ATTENDED)
    return lead


def left_on(lead) -> dict:
    return {
        "activities": Activity.all_objects.filter(lead=lead).count(),
        "notes": Note.all_objects.filter(lead=lead).count(),
        "documents": Document.all_objects.filter(lead=lead).count(),
        "memberships": CampaignMember.objects.filter(lead=lead).count(),
    }


def test_converting_a_lead_creates_account_contact_and_deal_and_moves_everything(org):
    lead = rich_lead(org)
    result = convert_lead(lead, by=org.vendedor_norte, opportunity_name="Arriendo de grúas", amount=Decimal("25000000"),
                          currency="CLP", expected_close_date=datetime.date(2026, 6, 30))

    account, contact, opportunity = result.account, result.contact, result.opportunity
    assert result.account_created and result.contact_created
    assert (account.legal_name, account.tax_id, account.account_type, account.owner) == (
        "Constructora Andes SpA", "760864285", Account.Type.PROSPECT, org.vendedor_norte)
    assert (contact.full_name, contact.email, contact.account, contact.title) == (
        "Carla Fuentes", "carla.fuentes@andes.cl", account, "Gerenta de operaciones")
    assert (opportunity.name, opportunity.amount, opportunity.account, opportunity.owner) == (
        "Arriendo de grúas", Decimal("25000000"), account, org.vendedor_norte)
    assert opportunity.campaign == lead.campaign
    assert opportunity.source == "trade_fair"
    assert opportunity.stage == PipelineStage.objects.filter(is_active=True).order_by("order").first()
    assert list(opportunity.contacts.all()) == [contact]

    # Interactions and tasks: on the account, with the contact, under the deal (and on the timeline).
    activities = Activity.objects.filter(account=account)
    assert activities.count() == 3
    assert all(list(activity.contacts.all()) == [contact] for activity in activities)
    assert set(activities.values_list("opportunity", flat=True)) == {opportunity.pk}
    assert timeline(account, org.vendedor_norte, limit=10)[1] == 3 + 2  # activities and notes
    # Notes and the file (with its version) on the account; notes about the contact.
    assert Note.objects.filter(account=account, contact=contact).count() == 2
    document = Document.objects.get(account=account)
    assert document.versions.count() == 1
    # The campaign membership now belongs to the contact.
    membership = CampaignMember.objects.get(contact=contact)
    assert (membership.campaign, membership.response) == (lead.campaign, CampaignMember.Response.ATTENDED)
    # Nothing left on the lead, which is marked converted with links to what it became.
    assert left_on(lead) == {"activities": 0, "notes": 0, "documents": 0, "memberships": 0}
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONVERTED and lead.is_converted
    assert (lead.converted_account, lead.converted_contact, lead.converted_opportunity, lead.converted_by) == (
        account, contact, opportunity, org.vendedor_norte)
    changed = {change["field"] for change in lead.history().first().changes}
    assert {"status", "converted_account", "converted_contact", "converted_opportunity"} <= changed
    # Moved records say so in their history.
    note_history = Note.objects.filter(account=account).first().history().first()
    assert {change["field"] for change in note_history.changes} == {"lead", "account"}


def test_converting_twice_is_refused_and_changes_nothing(org):
    lead = rich_lead(org)
    first = convert_lead(lead, by=org.vendedor_norte)
    counts = (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count(), ChangeLog.objects.count())
    with pytest.raises(ValidationError, match="already converted"):
        convert_lead(lead, by=org.vendedor_norte)
    with pytest.raises(ValidationError, match="already converted"):
        convert_lead(lead, by=org.vendedor_norte, account=first.account)
    assert counts == (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count(),
                      ChangeLog.objects.count())
    lead.refresh_from_db()
    assert lead.converted_opportunity == first.opportunity


def test_a_stale_copy_of_the_lead_cannot_convert_it_again(org):
    """The service reads the lead under a row lock, not the caller's copy: a second request holding the
    lead as it was before the first conversion is refused."""
    lead = rich_lead(org)
    stale = Lead.objects.get(pk=lead.pk)
    convert_lead(lead, by=org.vendedor_norte)
    assert not stale.is_converted
    with pytest.raises(ValidationError, match="already converted"):
        convert_lead(stale, by=org.vendedor_norte)
    assert Opportunity.objects.count() == 1


def test_tax_id_match_is_offered_and_choosing_it_attaches_instead_of_creating(org):
    existing = AccountFactory(owner=org.vendedor_norte, legal_name="Constructora Los Andes S.A.", tax_id=RUT_STORED)
    ContactFactory(account=existing, first_name="Otra", last_name="Persona", email="otra@andes.cl")
    lead = rich_lead(org)
    candidates = conversion_candidates(lead, org.vendedor_norte)
    assert [(c.record, c.reasons) for c in candidates.accounts] == [(existing, ["tax_id"])]

    accounts_before = Account.objects.count()
    result = convert_lead(lead, by=org.vendedor_norte, account=existing)
    assert not result.account_created and result.account == existing
    assert Account.objects.count() == accounts_before
    assert result.contact.account == existing
    assert Activity.objects.filter(account=existing).count() == 3
    assert Note.objects.filter(account=existing).count() == 2
    assert Document.objects.filter(account=existing).count() == 1


def test_email_match_offers_the_contact_and_choosing_it_merges_the_membership(org):
    existing = ContactFactory(account=org.north_account, first_name="Carla", last_name="Fuentes",
                              email="carla.fuentes@andes.cl")
    lead = rich_lead(org)
    CampaignMember.objects.create(campaign=lead.campaign, contact=existing, response=CampaignMember.Response.SENT)
    candidates = conversion_candidates(lead, org.vendedor_norte)
    assert [c.record for c in candidates.contacts] == [existing]
    assert candidates.contacts[0].reasons == ["email", "name"]

    result = convert_lead(lead, by=org.vendedor_norte, contact=existing)
    # The contact's account is used when no account is chosen.
    assert (result.account, result.contact, result.account_created, result.contact_created) == (
        org.north_account, existing, False, False)
    membership = CampaignMember.objects.get(campaign=lead.campaign, contact=existing)
    assert membership.response == CampaignMember.Response.ATTENDED  # the furthest response wins
    assert CampaignMember.objects.filter(campaign=lead.campaign).count() == 1
    assert left_on(lead)["memberships"] == 0


def test_an_unsubscribe_survives_the_merge(org):
    existing = ContactFactory(account=org.north_account, email="carla.fuentes@andes.cl")
    lead = rich_lead(org)
    CampaignMember.objects.create(campaign=lead.campaign, contact=existing,
                                  response=CampaignMember.Response.UNSUBSCRIBED)
    convert_lead(lead, by=org.vendedor_norte, contact=existing)
    assert CampaignMember.objects.get(contact=existing).response == CampaignMember.Response.UNSUBSCRIBED


def test_name_match_ignores_case_accents_and_legal_form(org):
    named = AccountFactory(owner=org.vendedor_norte, legal_name="CONSTRUCTORA ÁNDES LTDA.", tax_id="")
    AccountFactory(owner=org.vendedor_norte, legal_name="Constructora Andes del Sur SpA")
    lead = make_lead(org.vendedor_norte, company_tax_id="")
    candidates = conversion_candidates(lead, org.vendedor_norte)
    assert [(c.record, c.reasons) for c in candidates.accounts] == [(named, ["name"])]
    assert company_key("Minera Atacama S.A.") == company_key("minera atacama spa") == "minera atacama"
    assert company_key("SpA") == "spa"  # a name that is only a legal form stays


def test_phone_matches_accounts_and_contacts(org):
    account = AccountFactory(owner=org.vendedor_norte, legal_name="Otra Razón Social", tax_id="", phone="+56987654321")
    contact = ContactFactory(account=org.north_account, mobile="+56987654321", email="")
    lead = make_lead(org.vendedor_norte, company_tax_id="")
    candidates = conversion_candidates(lead, org.vendedor_norte)
    assert [(c.record, c.reasons) for c in candidates.accounts] == [(account, ["phone"])]
    assert [(c.record, c.reasons) for c in candidates.contacts] == [(contact, ["phone"])]


def test_a_name_alone_does_not_make_a_contact_candidate_but_name_at_a_matching_account_does(org):
    existing = AccountFactory(owner=org.vendedor_norte, legal_name="Constructora Andes SpA", tax_id=RUT_STORED)
    elsewhere = ContactFactory(account=org.north_account, first_name="Carla", last_name="Fuentes", email="")
    there = ContactFactory(account=existing, first_name="Carla", last_name="Fuentes", email="")
    lead = make_lead(org.vendedor_norte, email="", phone="")
    contacts = conversion_candidates(lead, org.vendedor_norte).contacts
    assert [(c.record, c.reasons) for c in contacts] == [(there, ["name", "company"])]
    assert elsewhere not in [c.record for c in contacts]


def test_candidates_are_only_records_the_user_may_see(org):
    AccountFactory(owner=org.vendedor_sur, legal_name="Constructora Andes SpA", tax_id=RUT_STORED)
    ContactFactory(account=org.south_account, email="carla.fuentes@andes.cl")
    lead = make_lead(org.vendedor_norte)
    candidates = conversion_candidates(lead, org.vendedor_norte)
    assert (candidates.accounts, candidates.contacts) == ([], [])
    # The tax id is taken by an account the rep may not see: creating one is refused, nothing is written.
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        convert_lead(lead, by=org.vendedor_norte)
    assert refused.value.message_dict["account"] == [
        "New account, Tax id: Another account already has this tax id."]
    lead.refresh_from_db()
    assert not lead.is_converted
    assert Account.objects.filter(owner=org.vendedor_norte).count() == 1  # only the fixture's


def test_refusal_leaves_nothing_half_written(org):
    lead = rich_lead(org)
    inactive = PipelineStage.objects.create(name="Antigua", order=99, is_active=False)
    counts = (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count())
    with pytest.raises(ValidationError) as refused:
        convert_lead(lead, by=org.vendedor_norte, stage=inactive)
    assert "stage" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        convert_lead(lead, by=org.vendedor_norte, amount=Decimal("-1"))
    assert "amount" in refused.value.message_dict
    assert counts == (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count())
    assert left_on(lead) == {"activities": 3, "notes": 2, "documents": 1, "memberships": 1}


def test_an_existing_account_must_be_editable_by_the_converter(org):
    AccountTeamMember.objects.create(account=org.south_account, user=org.vendedor_norte,
                                     access=AccountTeamMember.Access.READ)
    lead = rich_lead(org)
    with pytest.raises(ValidationError) as refused:
        convert_lead(lead, by=org.vendedor_norte, account=org.south_account)
    assert "account" in refused.value.message_dict
    assert left_on(lead)["activities"] == 3


def test_only_who_may_edit_the_lead_converts_it(org):
    lead = rich_lead(org)
    with pytest.raises(PermissionDenied):
        convert_lead(lead, by=org.vendedor_norte2)
    assert not Lead.objects.get(pk=lead.pk).is_converted
    convert_lead(lead, by=org.gerente_norte, create_opportunity=False)  # the manager above may
    lead.refresh_from_db()
    assert lead.converted_by == org.gerente_norte and lead.converted_opportunity is None


def test_a_company_only_lead_becomes_an_account_alone_and_keeps_its_memberships(org):
    campaign = CampaignFactory(owner=org.vendedor_norte)
    lead = create_record(Lead(company="Pesquera Austral Ltda", owner=org.vendedor_norte, campaign=campaign),
                         by=org.vendedor_norte)
    CampaignMember.objects.create(campaign=campaign, member=lead)
    result = convert_lead(lead, by=org.vendedor_norte)
    assert result.contact is None and result.account.legal_name == "Pesquera Austral Ltda"
    assert result.opportunity.contacts.count() == 0
    # A membership needs a lead or a contact: without a contact it stays with the (converted) lead.
    assert CampaignMember.objects.filter(lead=lead).count() == 1


def test_a_person_only_lead_becomes_an_account_named_after_the_person(org):
    lead = make_lead(org.vendedor_norte, company="", company_tax_id="")
    result = convert_lead(lead, by=org.vendedor_norte)
    assert result.account.legal_name == "Carla Fuentes"


def test_deleted_records_of_the_lead_move_too(org):
    lead = rich_lead(org)
    note = Note.objects.filter(lead=lead).first()
    soft_delete(note, by=org.vendedor_norte)
    result = convert_lead(lead, by=org.vendedor_norte)
    assert Note.all_objects.get(pk=note.pk).account == result.account


def test_mark_as_customer_is_a_tracked_transition_for_who_may_edit_the_account(client, org):
    prospect = AccountFactory(owner=org.vendedor_norte, account_type=Account.Type.PROSPECT)
    url = reverse("accounts:make_customer", args=[prospect.pk])
    client.force_login(org.vendedor_norte)
    assert url in client.get(prospect.get_absolute_url()).content.decode()
    client.force_login(org.vendedor_sur)
    assert client.post(url).status_code == 404
    client.force_login(org.vendedor_norte)
    assert client.post(url).status_code == 302
    prospect.refresh_from_db()
    assert prospect.account_type == Account.Type.CUSTOMER
    change = prospect.history().first().changes
    assert {"field": "account_type", "old": "Prospect", "new": "Customer"}.items() <= change[0].items()
    assert url not in client.get(prospect.get_absolute_url()).content.decode()


def test_read_only_account_user_sees_no_mark_as_customer_and_gets_403(client, org):
    prospect = AccountFactory(owner=org.vendedor_norte, account_type=Account.Type.PROSPECT)
    AccountTeamMember.objects.create(account=prospect, user=org.vendedor_sur, access=AccountTeamMember.Access.READ)
    url = reverse("accounts:make_customer", args=[prospect.pk])
    client.force_login(org.vendedor_sur)
    assert url not in client.get(prospect.get_absolute_url()).content.decode()
    assert client.post(url).status_code == 403
    prospect.refresh_from_db()
    assert prospect.account_type == Account.Type.PROSPECT


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_conversions_cannot_both_pass(org):
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs row locks and concurrent connections (PostgreSQL)")
    default_pipeline()
    lead = make_lead(org.vendedor_norte)
    barrier = threading.Barrier(2)
    outcomes = []

    def convert():
        try:
            barrier.wait()
            convert_lead(Lead.objects.get(pk=lead.pk), by=org.vendedor_norte)
            outcomes.append("converted")
        except ValidationError as exc:
            outcomes.append("refused" if exc.code == "already_converted" else repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=convert) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["converted", "refused"]
    assert Opportunity.objects.count() == 1 and Account.objects.filter(legal_name="Constructora Andes SpA").count() == 1
