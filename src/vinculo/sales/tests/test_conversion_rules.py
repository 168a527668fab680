"""The rules of lead conversion, case by case: which accounts and contacts are offered as matches and in
what order, what the new account, contact and deal are made of, when a conversion is refused and how,
and what happens to everything the lead had."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from vinculo.accounts.models import Account
from vinculo.accounts.tests.factories import AccountFactory, IndustryFactory
from vinculo.activities.models import Activity
from vinculo.activities.services import log_activity
from vinculo.contacts.models import Contact
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core.models import ChangeLog
from vinculo.core.services import create_record, soft_delete
from vinculo.customer360.models import Document, Note
from vinculo.marketing.models import CampaignMember
from vinculo.org.tests.factories import TerritoryFactory
from vinculo.sales.conversion import company_key, conversion_candidates, convert_lead
from vinculo.sales.models import Lead, Opportunity, OpportunityContact, PipelineStage

from .factories import CampaignFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

RUT = "76.086.428-5"
RUT_STORED = "760864285"
PHONE = "+56 9 8765 4321"
PHONE_STORED = "+56987654321"
# 15:30 UTC is 12:30 in Santiago (summer time, UTC-3, until April).
NOW = datetime.datetime(2026, 3, 2, 15, 30, tzinfo=datetime.timezone.utc)


@pytest.fixture
def now(monkeypatch):
    monkeypatch.setattr("vinculo.core.clock.now", lambda: NOW)
    return NOW


def make_lead(owner, **fields):
    values = {"first_name": "Carla", "last_name": "Fuentes", "title": "Gerenta de operaciones",
              "email": "carla.fuentes@andes.cl", "phone": PHONE, "company": "Constructora Andes SpA",
              "company_tax_id": RUT, "city": "Antofagasta", "owner": owner, **fields}
    return create_record(Lead(**values), by=owner)


def offered(candidates) -> list[tuple[str, list[str]]]:
    return [(str(candidate.record), candidate.reasons) for candidate in candidates]


# --- Company names: what counts as "the same name" ------------------------------------------------------

@pytest.mark.parametrize(("name", "key"), [
    ("Minera Atacama SpA", "minera atacama"),
    ("Minera Atacama S.p.A.", "minera atacama"),
    ("Minera Atacama SA", "minera atacama"),
    ("Minera Atacama S.A.", "minera atacama"),
    ("Minera Atacama Sociedad Anónima", "minera atacama"),
    ("Transportes Ñuble Ltda.", "transportes nuble"),
    ("Transportes Ñuble Limitada", "transportes nuble"),
    ("Comercial Pérez EIRL", "comercial perez"),
    ("Comercial Pérez E.I.R.L.", "comercial perez"),
    ("Distribuidora Lima SAC", "distribuidora lima"),
    ("Distribuidora Lima S.A.C.", "distribuidora lima"),
    ("Talleres Bilbao SL", "talleres bilbao"),
    ("Talleres Bilbao S.L.", "talleres bilbao"),
    ("Talleres Bilbao SLU", "talleres bilbao"),
    ("Talleres Bilbao S.L.U.", "talleres bilbao"),
    ("Importadora Quito Cía.", "importadora quito"),
    ("Acme Inc.", "acme"),
    ("Acme LLC", "acme"),
    ("Acme Ltd", "acme"),
    ("Acme GmbH", "acme"),
    ("Acme SRL", "acme"),
])
def test_a_company_name_is_compared_without_its_legal_form(name, key):
    assert company_key(name) == key


def test_case_accents_and_punctuation_do_not_make_another_company():
    assert company_key("CONSTRUCTORA  ÁNDES, S.A.") == company_key("constructora andes spa") == "constructora andes"


def test_y_cia_is_a_legal_form_like_ltda():
    # Chilean and Spanish partnerships: "Pérez y Cía. Ltda." is the same company as "Pérez Ltda.".
    assert company_key("Comercial Pérez y Cía. Ltda.") == company_key("Comercial Pérez Ltda.") == "comercial perez"
    assert company_key("Comercial Pérez y Cía.") == "comercial perez"


def test_srl_with_dots_is_a_legal_form():
    assert company_key("Distribuidora Plata S.R.L.") == company_key("Distribuidora Plata SRL") == "distribuidora plata"


def test_a_name_ending_in_two_legal_forms_loses_both():
    # Ecuador's usual "Compañía Limitada".
    assert company_key("Constructora Sur Cía. Ltda.") == "constructora sur"


@pytest.mark.parametrize(("name", "key"), [
    ("SpA", "spa"),         # one word: nothing to strip
    ("S.A.", "s a"),        # exactly a legal form: stays
    ("Andes SpA", "andes"),  # two words: the form goes, the name stays
    ("Sociedad Anónima", "sociedad anonima"),
])
def test_a_name_that_is_only_a_legal_form_is_kept(name, key):
    assert company_key(name) == key


# --- Which accounts are offered ---------------------------------------------------------------------------

def test_an_account_whose_trade_name_is_the_leads_company_is_offered(org):
    AccountFactory(owner=org.vendedor_norte, legal_name="Inversiones Roble Hermanos Ltda",
                   trade_name="Ferretería El Roble", tax_id="")
    lead = make_lead(org.vendedor_norte, company="FERRETERIA EL ROBLE SpA", company_tax_id="", phone="",
                     email="")
    assert offered(conversion_candidates(lead, org.vendedor_norte).accounts) == [("Ferretería El Roble", ["name"])]


def test_a_lead_without_a_company_is_matched_by_name_to_no_account(org):
    AccountFactory(owner=org.vendedor_norte, legal_name="Carla Fuentes", tax_id="")
    lead = make_lead(org.vendedor_norte, company="", company_tax_id="", phone="", email="")
    assert conversion_candidates(lead, org.vendedor_norte).accounts == []


def test_the_same_tax_id_in_another_country_is_another_company(org):
    # Bolivia has no tax id validator: the id is kept as typed, so it can equal a Chilean RUT's digits.
    AccountFactory(owner=org.vendedor_norte, legal_name="Andes Bolivia SRL", country="BO", tax_id=RUT_STORED,
                   phone="")
    AccountFactory(owner=org.vendedor_norte, legal_name="Andes La Paz SRL", country="BO", tax_id="760864286",
                   phone=PHONE_STORED)
    chilean = make_lead(org.vendedor_norte, company="Constructora Los Andes SpA", email="")
    bolivian = make_lead(org.vendedor_norte, company="Constructora Los Andes SpA", email="", country="BO",
                         company_tax_id="760864286", phone="")
    assert offered(conversion_candidates(chilean, org.vendedor_norte).accounts) == [("Andes La Paz SRL", ["phone"])]
    assert offered(conversion_candidates(bolivian, org.vendedor_norte).accounts) == [("Andes La Paz SRL", ["tax_id"])]


def test_a_lead_with_a_tax_id_still_finds_a_namesake_account_recorded_without_one(org):
    AccountFactory(owner=org.vendedor_norte, legal_name="Constructora Andes S.A.", tax_id="")
    lead = make_lead(org.vendedor_norte, phone="", email="")
    assert offered(conversion_candidates(lead, org.vendedor_norte).accounts) == [
        ("Constructora Andes S.A.", ["name"])]


def test_an_account_email_matches_whatever_its_case(org):
    AccountFactory(owner=org.vendedor_norte, legal_name="Otra Razón Social", tax_id="", email="Contacto@Andes.CL")
    lead = make_lead(org.vendedor_norte, company="", company_tax_id="", phone="", email="contacto@andes.cl")
    assert offered(conversion_candidates(lead, org.vendedor_norte).accounts) == [("Otra Razón Social", ["email"])]


def test_empty_phone_email_and_tax_id_match_nothing(org):
    """A lead and an account that both lack a phone, an email or a tax id are not 'the same' on that."""
    AccountFactory(owner=org.vendedor_norte, legal_name="Constructora Andes SpA", tax_id="", phone="", email="")
    lead = make_lead(org.vendedor_norte, company_tax_id="", phone="", email="")
    assert offered(conversion_candidates(lead, org.vendedor_norte).accounts) == [
        ("Constructora Andes SpA", ["name"])]


def test_every_reason_is_given_strongest_first_with_its_label(org):
    AccountFactory(owner=org.vendedor_norte, legal_name="Constructora Andes Ltda.", tax_id=RUT_STORED,
                   phone=PHONE_STORED, email="carla.fuentes@andes.cl")
    [candidate] = conversion_candidates(make_lead(org.vendedor_norte), org.vendedor_norte).accounts
    assert candidate.reasons == ["tax_id", "email", "name", "phone"]
    assert candidate.reason_labels == ["same tax id", "same email", "same name", "same phone"]


def test_a_tax_id_match_outranks_one_on_email_name_and_phone_together(org):
    AccountFactory(owner=org.vendedor_norte, legal_name="Constructora Andes SpA", tax_id="",
                   phone=PHONE_STORED, email="carla.fuentes@andes.cl")
    AccountFactory(owner=org.vendedor_norte, legal_name="Zona Franca Andes Ltda", tax_id=RUT_STORED)
    candidates = conversion_candidates(make_lead(org.vendedor_norte), org.vendedor_norte).accounts
    assert offered(candidates) == [("Zona Franca Andes Ltda", ["tax_id"]),
                                   ("Constructora Andes SpA", ["email", "name", "phone"])]


def test_equal_matches_are_listed_by_name_whatever_its_case(org):
    for name in ("Maestranza Sur SpA", "iConstruye SpA", "Hormigones Norte SpA"):
        AccountFactory(owner=org.vendedor_norte, legal_name=name, tax_id="", phone=PHONE_STORED)
    lead = make_lead(org.vendedor_norte, company="", company_tax_id="", email="")
    assert [str(c.record) for c in conversion_candidates(lead, org.vendedor_norte).accounts] == [
        "Hormigones Norte SpA", "iConstruye SpA", "Maestranza Sur SpA"]


def test_ten_accounts_are_offered_the_tax_id_match_first(org):
    """A holding's switchboard number is shared by its twelve subsidiaries; the one with the lead's tax id
    comes first although its name sorts last, then nine of the others by name."""
    for n in range(1, 12):
        AccountFactory(owner=org.vendedor_norte, legal_name=f"Filial {n:02d} SpA", tax_id="", phone=PHONE_STORED)
    AccountFactory(owner=org.vendedor_norte, legal_name="Zeta Holding SpA", tax_id=RUT_STORED, phone=PHONE_STORED)
    lead = make_lead(org.vendedor_norte, company="", email="")
    accounts = conversion_candidates(lead, org.vendedor_norte).accounts
    assert [str(c.record) for c in accounts] == ["Zeta Holding SpA"] + [f"Filial {n:02d} SpA" for n in range(1, 10)]
    assert accounts[0].reasons == ["tax_id", "phone"]


# --- Which contacts are offered ---------------------------------------------------------------------------

def test_a_contact_email_matches_the_leads_email_whatever_its_case(org):
    ContactFactory(account=org.north_account, first_name="Carla", last_name="Fuentes Rojas",
                   email="carla.fuentes@andes.cl")
    lead = make_lead(org.vendedor_norte, email="Carla.Fuentes@Andes.CL", phone="", company="", company_tax_id="")
    assert offered(conversion_candidates(lead, org.vendedor_norte).contacts) == [("Carla Fuentes Rojas", ["email"])]


def test_a_contact_phone_or_mobile_matches_the_leads_phone(org):
    ContactFactory(account=org.north_account, first_name="Ana", last_name="Rivas", email="", phone=PHONE_STORED)
    ContactFactory(account=org.north_account, first_name="Berta", last_name="Soto", email="", mobile=PHONE_STORED)
    lead = make_lead(org.vendedor_norte, email="", company="", company_tax_id="")
    assert offered(conversion_candidates(lead, org.vendedor_norte).contacts) == [
        ("Ana Rivas", ["phone"]), ("Berta Soto", ["phone"])]


def test_a_lead_without_email_or_phone_matches_no_contact_on_the_missing_one(org):
    ContactFactory(account=org.north_account, first_name="Ana", last_name="Rivas", email="", phone=PHONE_STORED)
    ContactFactory(account=org.north_account, first_name="Berta", last_name="Soto", email="carla.fuentes@andes.cl")
    no_email = make_lead(org.vendedor_norte, email="", company="", company_tax_id="")
    no_phone = make_lead(org.vendedor_norte, phone="", company="", company_tax_id="")
    assert offered(conversion_candidates(no_email, org.vendedor_norte).contacts) == [("Ana Rivas", ["phone"])]
    assert offered(conversion_candidates(no_phone, org.vendedor_norte).contacts) == [("Berta Soto", ["email"])]


def test_a_lead_without_a_last_name_is_matched_by_name_to_no_contact(org):
    existing = AccountFactory(owner=org.vendedor_norte, legal_name="Constructora Andes SpA", tax_id=RUT_STORED)
    ContactFactory(account=existing, first_name="", last_name="Carla", email="")
    lead = make_lead(org.vendedor_norte, last_name="", email="", phone="")
    assert conversion_candidates(lead, org.vendedor_norte).contacts == []


def test_working_at_a_matching_account_adds_to_a_contacts_reasons(org):
    existing = AccountFactory(owner=org.vendedor_norte, legal_name="Constructora Andes SpA", tax_id=RUT_STORED)
    ContactFactory(account=existing, first_name="Carla", last_name="Fuentes", email="carla.fuentes@andes.cl")
    ContactFactory(account=existing, first_name="Pedro", last_name="Mora", email="")  # no reason of his own
    lead = make_lead(org.vendedor_norte, phone="")
    assert offered(conversion_candidates(lead, org.vendedor_norte).contacts) == [
        ("Carla Fuentes", ["email", "name", "company"])]


def test_a_namesake_at_the_matching_account_is_offered_when_the_lead_gave_another_email(org):
    """The lead wrote from a personal address; the contact has the work one."""
    existing = AccountFactory(owner=org.vendedor_norte, legal_name="Constructora Andes SpA", tax_id=RUT_STORED)
    ContactFactory(account=existing, first_name="Carla", last_name="Fuentes", email="cfuentes@andes.cl")
    lead = make_lead(org.vendedor_norte, email="carla.fuentes@gmail.com", phone="")
    assert offered(conversion_candidates(lead, org.vendedor_norte).contacts) == [
        ("Carla Fuentes", ["name", "company"])]


def test_an_email_match_outranks_name_phone_and_company_together(org):
    """A shared purchasing mailbox recorded on another person still beats a namesake at the lead's company
    with its phone: an email is the strongest sign for a person."""
    existing = AccountFactory(owner=org.vendedor_norte, legal_name="Constructora Andes SpA", tax_id=RUT_STORED)
    ContactFactory(account=existing, first_name="Carla", last_name="Fuentes", email="", phone=PHONE_STORED)
    ContactFactory(account=org.north_account, first_name="Tomás", last_name="Vidal", email="compras@andes.cl")
    lead = make_lead(org.vendedor_norte, email="compras@andes.cl")
    assert offered(conversion_candidates(lead, org.vendedor_norte).contacts) == [
        ("Tomás Vidal", ["email"]), ("Carla Fuentes", ["name", "phone", "company"])]


def test_a_contact_names_its_account_only_when_the_user_may_see_it(org):
    # Contacts the rep owns: at the rep's account, at a south account the rep may not see, at none.
    ContactFactory(account=org.north_account, owner=org.vendedor_norte, first_name="Ana", last_name="Rivas",
                   email="", phone=PHONE_STORED)
    ContactFactory(account=org.south_account, owner=org.vendedor_norte, first_name="Berta", last_name="Soto",
                   email="", mobile=PHONE_STORED)
    ContactFactory(account=None, owner=org.vendedor_norte, first_name="Clara", last_name="Ugarte",
                   email="", phone=PHONE_STORED)
    lead = make_lead(org.vendedor_norte, email="", company="", company_tax_id="")
    contacts = conversion_candidates(lead, org.vendedor_norte).contacts
    assert [(str(c.record), c.record.account_visible) for c in contacts] == [
        ("Ana Rivas", True), ("Berta Soto", False), ("Clara Ugarte", False)]


def test_finding_candidates_costs_the_same_queries_for_two_or_five_matches(org, django_assert_num_queries):
    """The convert page shows each account's owner and each contact's account: they come with the
    candidates, and the number of queries does not grow with the matches."""
    def add_namesakes(count):
        for _ in range(count):
            account = AccountFactory(owner=org.vendedor_norte, legal_name="Constructora Andes Ltda.")
            ContactFactory(account=account, first_name="Carla", last_name="Fuentes", email="")

    lead = make_lead(org.vendedor_norte, company_tax_id="", phone="", email="")
    add_namesakes(2)
    conversion_candidates(lead, org.vendedor_norte)  # warms the access caches
    with CaptureQueriesContext(connection) as two:
        candidates = conversion_candidates(lead, org.vendedor_norte)
    assert (len(candidates.accounts), len(candidates.contacts)) == (2, 2)
    add_namesakes(3)
    with CaptureQueriesContext(connection) as five:
        candidates = conversion_candidates(lead, org.vendedor_norte)
    assert (len(candidates.accounts), len(candidates.contacts)) == (5, 5)
    assert len(five) == len(two)
    with django_assert_num_queries(0):
        assert {str(c.record.owner) for c in candidates.accounts} == {"Usuario Vendedor Norte"}
        assert {str(c.record.account) for c in candidates.contacts} == {"Constructora Andes Ltda."}


# --- Refusals ---------------------------------------------------------------------------------------------

def test_a_second_conversion_is_refused_naming_who_converted_and_when(org, now):
    lead = make_lead(org.vendedor_norte)
    convert_lead(lead, by=org.vendedor_norte)
    with pytest.raises(ValidationError) as refused:
        convert_lead(lead, by=org.vendedor_norte)
    assert refused.value.code == "already_converted"
    assert refused.value.messages == [
        "This lead was already converted (by Usuario Vendedor Norte on 2026-03-02 12:30); "
        "it cannot be converted again."]


def test_a_lead_marked_converted_without_a_conversion_is_refused_too(org):
    """An imported lead may carry the converted status without the conversion's date and user."""
    lead = make_lead(org.vendedor_norte)
    Lead.objects.filter(pk=lead.pk).update(status=Lead.Status.CONVERTED)
    with pytest.raises(ValidationError) as refused:
        convert_lead(lead, by=org.vendedor_norte)
    assert refused.value.messages == [
        "This lead was already converted; it cannot be converted again."]
    assert Account.objects.filter(legal_name="Constructora Andes SpA").count() == 0


def test_a_converted_lead_whose_status_was_changed_back_stays_converted(org):
    lead = make_lead(org.vendedor_norte)
    convert_lead(lead, by=org.vendedor_norte)
    Lead.objects.filter(pk=lead.pk).update(status=Lead.Status.QUALIFIED)
    with pytest.raises(ValidationError) as refused:
        convert_lead(lead, by=org.vendedor_norte)
    assert refused.value.code == "already_converted"


def test_a_lead_in_the_recycle_bin_is_not_converted(org):
    lead = make_lead(org.vendedor_norte)
    soft_delete(lead, by=org.vendedor_norte)
    with pytest.raises(ValidationError) as refused:
        convert_lead(lead, by=org.vendedor_norte)
    assert refused.value.messages == ["This lead is in the recycle bin; restore it before converting it."]
    assert Account.objects.filter(legal_name="Constructora Andes SpA").count() == 0


def test_a_rep_who_may_not_edit_the_lead_is_told_so(org):
    lead = make_lead(org.vendedor_norte)
    with pytest.raises(PermissionDenied) as refused:
        convert_lead(lead, by=org.vendedor_sur)
    assert str(refused.value) == "You may read this lead but not convert it."


def test_every_refusal_is_reported_at_once_and_nothing_is_written(org):
    lead = make_lead(org.vendedor_norte)
    old_stage = PipelineStage.objects.create(name="Antigua", order=99, is_active=False)
    counts = (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count())
    with pytest.raises(ValidationError) as refused:
        convert_lead(lead, by=org.vendedor_norte, account=org.south_account, contact=org.south_contact,
                     stage=old_stage, amount=Decimal("-0.01"))
    assert refused.value.message_dict == {
        "account": ["You may not add records to the account “Pesquera Sur Austral SpA”."],
        "contact": [f"You may not change the contact “{org.south_contact}”."],
        "stage": ["Choose an active pipeline stage."],
        "amount": ["An amount cannot be negative."],
    }
    assert counts == (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count())
    assert not Lead.objects.get(pk=lead.pk).is_converted


def test_with_no_active_stage_left_a_deal_cannot_be_created(org):
    PipelineStage.objects.update(is_active=False)
    lead = make_lead(org.vendedor_norte)
    with pytest.raises(ValidationError) as refused:
        convert_lead(lead, by=org.vendedor_norte)
    assert refused.value.message_dict == {"stage": ["Choose an active pipeline stage."]}
    assert convert_lead(lead, by=org.vendedor_norte, create_opportunity=False).opportunity is None


def test_without_a_deal_the_stage_and_amount_are_not_checked(org):
    lead = make_lead(org.vendedor_norte)
    old_stage = PipelineStage.objects.create(name="Antigua", order=99, is_active=False)
    result = convert_lead(lead, by=org.vendedor_norte, create_opportunity=False, stage=old_stage,
                          amount=Decimal("-5"))
    assert result.opportunity is None
    assert Opportunity.objects.filter(account=result.account).count() == 0


def test_a_contact_whose_account_the_rep_may_not_change_needs_an_account_chosen(org):
    # The rep owns the contact, but it works at a south account the rep may not change.
    contact = ContactFactory(account=org.south_account, owner=org.vendedor_norte, first_name="Berta",
                             last_name="Soto")
    lead = make_lead(org.vendedor_norte)
    with pytest.raises(ValidationError) as refused:
        convert_lead(lead, by=org.vendedor_norte, contact=contact)
    assert refused.value.message_dict == {"contact": [
        "The contact's account “Pesquera Sur Austral SpA” is not yours to change; choose an account too."]}
    result = convert_lead(lead, by=org.vendedor_norte, contact=contact, account=org.north_account)
    assert (result.account, result.contact) == (org.north_account, contact)


# --- Errors of the records the conversion creates ---------------------------------------------------------

def test_a_contact_that_cannot_be_created_is_reported_under_contact(org):
    """A lead imported before phones were checked: the contact refuses its phone."""
    lead = Lead.objects.create(first_name="Carla", last_name="Fuentes", phone="12", owner=org.vendedor_norte,
                               company="Constructora Andes SpA")
    with pytest.raises(ValidationError) as refused:
        convert_lead(lead, by=org.vendedor_norte, account=org.north_account)
    assert refused.value.message_dict == {"contact": ["New contact, Phone: “12” is not a valid phone number."]}
    assert not Contact.objects.filter(last_name="Fuentes").exists()


@pytest.mark.parametrize(("fields", "key"), [
    ({"opportunity_name": "x" * 201}, "opportunity_name"),
    ({"amount": Decimal("0.125")}, "amount"),
    ({"currency": "XYZ"}, "currency"),
])
def test_a_deal_refused_is_reported_under_the_field_the_user_filled_in(org, fields, key):
    lead = make_lead(org.vendedor_norte)
    with pytest.raises(ValidationError) as refused:
        convert_lead(lead, by=org.vendedor_norte, **fields)
    assert list(refused.value.message_dict) == [key]
    assert not Account.objects.filter(legal_name="Constructora Andes SpA").exists()


def test_every_refusal_of_the_deal_is_reported_at_once(org):
    lead = make_lead(org.vendedor_norte)
    with pytest.raises(ValidationError) as refused:
        convert_lead(lead, by=org.vendedor_norte, opportunity_name="x" * 201, currency="XYZ")
    assert sorted(refused.value.message_dict) == ["currency", "opportunity_name"]


def test_a_deal_of_amount_zero_is_accepted(org):
    result = convert_lead(make_lead(org.vendedor_norte), by=org.vendedor_norte, amount=Decimal("0"))
    assert result.opportunity.amount == Decimal("0")


def test_a_deal_name_of_200_characters_is_accepted(org):
    result = convert_lead(make_lead(org.vendedor_norte), by=org.vendedor_norte, opportunity_name="x" * 200)
    assert result.opportunity.name == "x" * 200


# --- What the new records are made of ---------------------------------------------------------------------

def test_the_new_account_carries_the_leads_company_data(org):
    industry = IndustryFactory(name="Construcción")
    territory = TerritoryFactory(name="Antofagasta")
    org.vendedor_norte.currency = "USD"
    org.vendedor_norte.save()
    lead = make_lead(org.vendedor_norte, website="https://andes.cl", industry=industry, territory=territory,
                     description="Arriendo de maquinaria pesada.")
    # The manager converts the rep's lead: the rep still owns what it becomes.
    account = convert_lead(lead, by=org.gerente_norte, create_opportunity=False).account
    assert (account.legal_name, account.account_type, account.tax_id, account.country) == (
        "Constructora Andes SpA", Account.Type.PROSPECT, RUT_STORED, "CL")
    assert (account.phone, account.email, account.website) == (PHONE_STORED, "carla.fuentes@andes.cl",
                                                               "https://andes.cl")
    assert (account.industry, account.territory, account.owner) == (industry, territory, org.vendedor_norte)
    assert account.description == "Arriendo de maquinaria pesada."
    assert account.currency == "CLP"  # the converter's (the manager's), not the owner's


def test_the_new_account_takes_the_converters_currency(org):
    org.vendedor_norte.currency = "USD"
    org.vendedor_norte.save()
    account = convert_lead(make_lead(org.vendedor_norte), by=org.vendedor_norte, create_opportunity=False).account
    assert account.currency == "USD"


def test_a_lead_with_only_a_last_name_names_the_account_after_it(org):
    lead = make_lead(org.vendedor_norte, first_name="", company="", company_tax_id="")
    assert convert_lead(lead, by=org.vendedor_norte).account.legal_name == "Fuentes"


def test_the_new_contact_carries_the_leads_person_data(org):
    # An Argentinian lead: the country is not the default one.
    lead = make_lead(org.vendedor_norte, country="AR", company_tax_id="", city="Mendoza")
    result = convert_lead(lead, by=org.gerente_norte, create_opportunity=False)
    contact = result.contact
    assert (contact.first_name, contact.last_name, contact.title) == ("Carla", "Fuentes", "Gerenta de operaciones")
    assert (contact.email, contact.phone, contact.country, contact.city) == (
        "carla.fuentes@andes.cl", PHONE_STORED, "AR", "Mendoza")
    assert result.account.country == "AR"
    assert (contact.account, contact.owner) == (result.account, org.vendedor_norte)
    assert (result.account_created, result.contact_created) == (True, True)


def test_a_company_only_lead_creates_no_contact(org):
    lead = create_record(Lead(company="Pesquera Austral Ltda", owner=org.vendedor_norte), by=org.vendedor_norte)
    result = convert_lead(lead, by=org.vendedor_norte)
    assert (result.contact, result.account_created, result.contact_created) == (None, True, False)
    assert Lead.objects.get(pk=lead.pk).converted_contact is None


def test_the_deal_is_named_owned_and_priced_from_the_choices_and_the_lead(org):
    stage = PipelineStage.objects.create(name="Negociación", order=50, probability=35)
    campaign = CampaignFactory(owner=org.vendedor_norte)
    lead = make_lead(org.vendedor_norte, source="trade_fair", campaign=campaign)
    result = convert_lead(lead, by=org.gerente_norte, opportunity_name="  Arriendo de grúas  ", stage=stage,
                          amount=Decimal("12500000.50"), currency="USD", expected_close_date=datetime.date(2026, 6, 30))
    deal = result.opportunity
    assert (deal.name, deal.owner, deal.account, deal.stage, deal.probability) == (
        "Arriendo de grúas", org.vendedor_norte, result.account, stage, 35)
    assert (deal.amount, deal.currency, deal.expected_close_date) == (
        Decimal("12500000.50"), "USD", datetime.date(2026, 6, 30))
    assert (deal.source, deal.campaign) == ("trade_fair", campaign)
    link = OpportunityContact.objects.get(opportunity=deal)
    assert (link.contact, link.is_primary, link.role) == (result.contact, True, OpportunityContact.Role.DECISION_MAKER)


def test_a_deal_without_name_amount_or_currency_takes_the_accounts_name_zero_and_the_converters_currency(org):
    org.gerente_norte.currency = "EUR"
    org.gerente_norte.save()
    deal = convert_lead(make_lead(org.vendedor_norte), by=org.gerente_norte, opportunity_name="   ").opportunity
    assert (deal.name, deal.amount, deal.currency) == ("Constructora Andes SpA", Decimal("0"), "EUR")


def test_the_deal_starts_in_the_first_active_stage(org):
    PipelineStage.objects.create(name="Retirada", order=0, probability=1, is_active=False)
    first = PipelineStage.objects.create(name="Primer contacto", order=0, probability=5)
    PipelineStage.objects.create(name="Segundo contacto", order=0, probability=7)
    deal = convert_lead(make_lead(org.vendedor_norte), by=org.vendedor_norte).opportunity
    assert (deal.stage, deal.probability) == (first, 5)


def test_the_lead_records_who_converted_it_when_and_into_what(org, now):
    result = convert_lead(make_lead(org.vendedor_norte), by=org.gerente_norte)
    lead = Lead.objects.get(pk=result.lead.pk)
    assert (lead.status, lead.converted_at, lead.converted_by) == (Lead.Status.CONVERTED, NOW, org.gerente_norte)
    assert (lead.converted_account, lead.converted_contact, lead.converted_opportunity) == (
        result.account, result.contact, result.opportunity)


def test_the_records_the_conversion_creates_are_created_by_the_converter(org):
    result = convert_lead(make_lead(org.vendedor_norte), by=org.gerente_norte)
    for record in (result.account, result.contact, result.opportunity):
        record = type(record).objects.get(pk=record.pk)
        assert (record.created_by, record.owner) == (org.gerente_norte, org.vendedor_norte), record
        assert record.history().last().user == org.gerente_norte, record


# --- Attaching to existing records ------------------------------------------------------------------------

def test_a_chosen_contact_without_an_account_joins_the_chosen_account(org):
    contact = ContactFactory(account=None, owner=org.vendedor_norte, first_name="Carla", last_name="Fuentes")
    result = convert_lead(make_lead(org.vendedor_norte), by=org.vendedor_norte, contact=contact,
                          account=org.north_account)
    assert Contact.objects.get(pk=contact.pk).account == org.north_account
    assert (result.account_created, result.contact_created) == (False, False)


def test_a_chosen_contact_without_an_account_joins_the_new_account(org):
    contact = ContactFactory(account=None, owner=org.vendedor_norte, first_name="Carla", last_name="Fuentes")
    result = convert_lead(make_lead(org.vendedor_norte), by=org.vendedor_norte, contact=contact)
    assert result.account_created
    assert Contact.objects.get(pk=contact.pk).account == result.account
    assert result.account.legal_name == "Constructora Andes SpA"


def test_a_chosen_contact_working_elsewhere_stays_there(org):
    other = AccountFactory(owner=org.vendedor_norte, legal_name="Inmobiliaria Costa SpA")
    contact = ContactFactory(account=other, first_name="Carla", last_name="Fuentes")
    result = convert_lead(make_lead(org.vendedor_norte), by=org.vendedor_norte, contact=contact,
                          account=org.north_account)
    assert result.account == org.north_account
    assert Contact.objects.get(pk=contact.pk).account == other


# --- What moves, and the history it leaves ----------------------------------------------------------------

def test_moved_records_are_stamped_and_say_so_in_their_history(org, now):
    lead = make_lead(org.vendedor_norte)
    activity = log_activity(Activity(lead=lead, owner=org.vendedor_norte, subject="Llamada inicial", kind="call",
                                     occurred_at=NOW), by=org.vendedor_norte)
    note = create_record(Note(lead=lead, body="Interesados en arriendo de equipos."), by=org.vendedor_norte)
    document = create_record(Document(lead=lead, title="Requerimientos"), by=org.vendedor_norte)
    versions = {"activity": activity.version, "note": note.version, "document": document.version}

    result = convert_lead(lead, by=org.gerente_norte)

    expected_changes = [
        {"field": "lead", "label": "lead", "old": "Carla Fuentes (Constructora Andes SpA)", "new": ""},
        {"field": "account", "label": "account", "old": "", "new": "Constructora Andes SpA"},
    ]
    for name, model, record, label in (("activity", Activity, activity, "Call: Llamada inicial"),
                                       ("note", Note, note, "Interesados en arriendo de equipos."),
                                       ("document", Document, document, "Requerimientos")):
        moved = model.all_objects.get(pk=record.pk)
        assert (moved.lead, moved.account) == (None, result.account), name
        assert (moved.version, moved.updated_at, moved.updated_by) == (
            versions[name] + 1, NOW, org.gerente_norte), name
        entry = moved.history().first()
        assert (entry.action, entry.user, entry.at, entry.record_label) == (
            ChangeLog.Action.UPDATE, org.gerente_norte, NOW, label), name
        assert entry.changes == expected_changes, name


def test_an_interaction_already_under_a_deal_stays_under_it(org):
    lead = make_lead(org.vendedor_norte)
    other_deal = OpportunityFactory(account=org.north_account, name="Mantención anual")
    on_deal = log_activity(Activity(lead=lead, owner=org.vendedor_norte, subject="Visita técnica", kind="visit",
                                    occurred_at=NOW, opportunity=other_deal), by=org.vendedor_norte)
    loose = log_activity(Activity(lead=lead, owner=org.vendedor_norte, subject="Llamada", kind="call",
                                  occurred_at=NOW), by=org.vendedor_norte)
    not_the_leads = log_activity(Activity(account=org.north_account, owner=org.vendedor_norte, subject="Cobranza",
                                          kind="call", occurred_at=NOW), by=org.vendedor_norte)
    result = convert_lead(lead, by=org.vendedor_norte)
    assert Activity.objects.get(pk=on_deal.pk).opportunity == other_deal
    assert Activity.objects.get(pk=loose.pk).opportunity == result.opportunity
    assert Activity.objects.get(pk=not_the_leads.pk).opportunity is None


def test_without_a_deal_interactions_stay_without_one(org):
    lead = make_lead(org.vendedor_norte)
    activity = log_activity(Activity(lead=lead, owner=org.vendedor_norte, subject="Llamada", kind="call",
                                     occurred_at=NOW), by=org.vendedor_norte)
    result = convert_lead(lead, by=org.vendedor_norte, create_opportunity=False)
    moved = Activity.objects.get(pk=activity.pk)
    assert (moved.account, moved.opportunity) == (result.account, None)


def test_an_interaction_already_with_the_chosen_contact_keeps_it_once(org):
    contact = ContactFactory(account=org.north_account, first_name="Carla", last_name="Fuentes")
    lead = make_lead(org.vendedor_norte)
    activity = log_activity(Activity(lead=lead, owner=org.vendedor_norte, subject="Reunión", kind="meeting",
                                     occurred_at=NOW), by=org.vendedor_norte, contacts=[contact])
    convert_lead(lead, by=org.vendedor_norte, contact=contact)
    assert list(Activity.objects.get(pk=activity.pk).contacts.all()) == [contact]


def test_a_note_already_about_a_contact_keeps_it(org):
    lead = make_lead(org.vendedor_norte)
    colleague = ContactFactory(account=org.north_account, first_name="Pedro", last_name="Mora")
    about_colleague = create_record(Note(lead=lead, contact=colleague, body="Pedro firma las órdenes."),
                                    by=org.vendedor_norte)
    loose = create_record(Note(lead=lead, body="Prefiere correo."), by=org.vendedor_norte)
    not_the_leads = create_record(Note(account=org.north_account, body="Paga a 60 días."), by=org.vendedor_norte)
    result = convert_lead(lead, by=org.vendedor_norte)
    assert Note.objects.get(pk=about_colleague.pk).contact == colleague
    assert Note.objects.get(pk=loose.pk).contact == result.contact
    assert Note.objects.get(pk=not_the_leads.pk).contact is None


def test_a_lead_with_files_but_no_notes_moves_its_files(org):
    lead = make_lead(org.vendedor_norte)
    document = create_record(Document(lead=lead, title="Requerimientos"), by=org.vendedor_norte)
    result = convert_lead(lead, by=org.vendedor_norte)
    assert (Document.objects.get(pk=document.pk).account, Document.objects.get(pk=document.pk).lead) == (
        result.account, None)


# --- Campaign memberships ---------------------------------------------------------------------------------

R = CampaignMember.Response


@pytest.mark.parametrize(("contact_had", "lead_had", "kept"), [
    (R.PLANNED, R.SENT, R.SENT),
    (R.SENT, R.PLANNED, R.SENT),
    (R.SENT, R.RESPONDED, R.RESPONDED),
    (R.ATTENDED, R.RESPONDED, R.ATTENDED),
    (R.RESPONDED, R.ATTENDED, R.ATTENDED),
    (R.PLANNED, R.PLANNED, R.PLANNED),
    (R.ATTENDED, R.UNSUBSCRIBED, R.UNSUBSCRIBED),
    (R.UNSUBSCRIBED, R.ATTENDED, R.UNSUBSCRIBED),
    (R.UNSUBSCRIBED, R.PLANNED, R.UNSUBSCRIBED),
])
def test_a_membership_merged_on_conversion_keeps_the_furthest_response_but_an_unsubscribe(
        org, contact_had, lead_had, kept):
    contact = ContactFactory(account=org.north_account, first_name="Carla", last_name="Fuentes")
    campaign = CampaignFactory(owner=org.vendedor_norte)
    lead = make_lead(org.vendedor_norte)
    CampaignMember.objects.create(campaign=campaign, contact=contact, response=contact_had)
    CampaignMember.objects.create(campaign=campaign, member=lead, response=lead_had)
    convert_lead(lead, by=org.vendedor_norte, contact=contact)
    assert list(CampaignMember.objects.filter(campaign=campaign).values_list("contact", "lead", "response")) == [
        (contact.pk, None, kept)]


def test_a_membership_in_another_campaign_moves_to_the_contact_unchanged(org):
    contact = ContactFactory(account=org.north_account, first_name="Carla", last_name="Fuentes")
    shared, only_lead = CampaignFactory(owner=org.vendedor_norte), CampaignFactory(owner=org.vendedor_norte)
    lead = make_lead(org.vendedor_norte)
    CampaignMember.objects.create(campaign=shared, contact=contact, response=R.SENT)
    CampaignMember.objects.create(campaign=shared, member=lead, response=R.RESPONDED)
    CampaignMember.objects.create(campaign=only_lead, member=lead, response=R.PLANNED)
    convert_lead(lead, by=org.vendedor_norte, contact=contact)
    assert sorted(CampaignMember.objects.filter(contact=contact).values_list("campaign", "response")) == sorted([
        (shared.pk, R.RESPONDED), (only_lead.pk, R.PLANNED)])
    assert not CampaignMember.objects.filter(lead=lead).exists()
