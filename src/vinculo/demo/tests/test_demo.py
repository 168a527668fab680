from collections import Counter
from datetime import timedelta

import phonenumbers
from django.contrib.auth import authenticate
from django.core.files.storage import default_storage
from django.db.models import Count, Min, Sum
from stdnum.cl import rut
from stdnum.es import cif

from vinculo.accounts.models import Account, AccountTeamMember, Address, Invoice, Payment
from vinculo.accounts.services import register_payment
from vinculo.activities.models import Activity
from vinculo.activities.timeline import timeline
from vinculo.contacts.models import Contact, ContactAccountLink
from vinculo.core import clock
from vinculo.core.access import AccessLevel
from vinculo.core.search import search
from vinculo.customer360.filetypes import detect_content_type
from vinculo.customer360.models import ContentDelivery, Contract, CustomerAsset, DocumentVersion, Note
from vinculo.demo import phrases
from vinculo.demo.builders import SIZES, load_demo
from vinculo.demo.records import ACCOUNT_FIELDS, AccountContext, People, RecordBuilder
from vinculo.demo.records import MODELS as RECORD_MODELS
from vinculo.org.models import OrgDefault
from vinculo.sales.models import Lead, Opportunity

BOOKKEEPING = ["created_by", "updated_by", "deleted_by"]
BILLED = {Account.Type.CUSTOMER, Account.Type.PARTNER}


def test_a_database_loaded_before_the_customer_records_existed_gets_them_on_the_next_run(demo):
    accounts = set(Account.objects.values_list("pk", "legal_name"))
    delete_records_of_customer_360()

    second = load_demo(SIZES["small"])
    third = load_demo(SIZES["small"])

    assert second.created and not third.created
    assert set(Account.objects.values_list("pk", "legal_name")) == accounts
    assert Activity.objects.count() == 2500 and Invoice.objects.count() == 700
    assert Payment.objects.exists() and DocumentVersion.objects.exists()


def delete_records_of_customer_360():
    """The state of a database loaded by the demo of the Foundation issue: companies, no related records."""
    Activity.contacts.through.objects.all().delete()
    Activity.participants.through.objects.all().delete()
    DocumentVersion.objects.all().delete()
    for model in reversed(RECORD_MODELS):
        model.all_objects.all().delete()
    assert not Invoice.all_objects.exists() and not Activity.all_objects.exists()


def test_reset_replaces_the_records_with_a_fresh_demo_set(demo):
    Account.objects.filter(legal_name="Minera Atacama SpA").update(legal_name="Renamed SpA")

    load_demo(SIZES["small"], reset=True)

    # Converted leads added a contact each to the 250 of the companies.
    converted = Lead.objects.filter(status=Lead.Status.CONVERTED).count()
    assert Account.objects.count() == 60 and Contact.objects.count() == 250 + converted
    assert Opportunity.objects.count() == 400 and Lead.objects.count() == 150
    assert Account.objects.filter(legal_name="Minera Atacama SpA").exists()
    assert not Account.all_objects.filter(legal_name="Renamed SpA").exists()


def test_every_demo_account_has_a_valid_tax_id_and_phone(demo):
    accounts = list(Account.objects.all())

    assert {account.country for account in accounts} == {"CL", "ES"}
    for account in accounts:
        valid_tax_id = rut.is_valid(account.tax_id) if account.country == "CL" else cif.is_valid(account.tax_id)
        assert valid_tax_id, account.tax_id
        assert phonenumbers.is_valid_number(phonenumbers.parse(account.phone)), account.phone
        assert account.phone.startswith({"CL": "+56", "ES": "+34"}[account.country])


def test_demo_records_pass_model_validation(demo):
    for record in [*Account.objects.all(), *Contact.objects.all(), *Address.objects.all()]:
        record.full_clean(exclude=BOOKKEEPING)
    for model in RECORD_MODELS:
        # Foreign keys are the database's to check; a query per key and record would make this slow.
        keys = [field.name for field in model._meta.fields if field.is_relation]
        for record in model.objects.all():
            record.full_clean(exclude=keys + BOOKKEEPING)


def test_every_demo_account_has_the_records_that_fit_it(demo):
    everyone = [Contact, Activity, Note, ContentDelivery]
    billed_only = [CustomerAsset, Contract, Invoice, Payment]
    having = {model: set(model.objects.values_list("account", flat=True)) for model in everyone + billed_only}
    having[DocumentVersion] = set(DocumentVersion.objects.values_list("document__account", flat=True))
    accounts = list(Account.objects.all())
    # Prospects that just won their first deal are customers not billed yet.
    first_won = dict(Opportunity.objects.filter(status=Opportunity.Status.WON).values("account")
                     .annotate(first=Min("closed_on")).values_list("account", "first"))
    newly_won = {pk for pk, first in first_won.items() if first >= clock.today() - timedelta(days=90)}

    for account in accounts:
        for model in [*everyone, DocumentVersion]:
            assert account.pk in having[model], (account, model)
        for model in billed_only:  # only the companies we sell to buy, sign and pay
            billed = account.account_type in BILLED and not (account.pk in newly_won and account.pk not in having[Invoice])
            assert (account.pk in having[model]) == billed, (account, model)
    assert {account.account_type for account in accounts} >= {Account.Type.CUSTOMER, Account.Type.PROSPECT}
    assert min(Activity.objects.values("account").annotate(n=Count("pk")).values_list("n", flat=True)) >= 3


def test_invoice_balances_equal_amount_minus_payments_and_statuses_follow_the_payments(demo):
    today = clock.today()
    paid = {invoice.pk: invoice.paid for invoice in Invoice.objects.annotate(paid=Sum("payments__amount"))}
    invoices = list(Invoice.objects.all())

    for invoice in invoices:
        payments = paid[invoice.pk] or 0
        assert invoice.balance == invoice.amount - payments, invoice
        assert invoice.amount > 0 and invoice.due_date in (
            invoice.issue_date + timedelta(days=30), invoice.issue_date + timedelta(days=60))
        expected = {invoice.amount: Invoice.Status.ISSUED, 0: Invoice.Status.PAID}.get(
            invoice.balance, Invoice.Status.PARTIALLY_PAID)
        if invoice.status not in (Invoice.Status.DRAFT, Invoice.Status.CANCELLED):
            assert invoice.status == expected, invoice
        else:
            assert not payments, invoice
    for payment in Payment.objects.select_related("invoice"):
        assert payment.account_id == payment.invoice.account_id
        assert payment.invoice.issue_date <= payment.paid_on <= today
    statuses = Counter(invoice.status for invoice in invoices)
    assert statuses[Invoice.Status.PAID] > len(invoices) / 2
    assert statuses[Invoice.Status.PARTIALLY_PAID] and statuses[Invoice.Status.ISSUED]
    assert Invoice.objects.overdue(today).count() >= 3
    assert {invoice.currency for invoice in invoices} == {"CLP", "EUR"}
    assert min(invoice.issue_date for invoice in invoices) >= today - timedelta(days=731)


def test_the_payment_service_settles_a_demo_invoice_like_any_other(demo):
    invoice = Invoice.objects.filter(status=Invoice.Status.PARTIALLY_PAID).first()

    register_payment(Payment(invoice=invoice, amount=invoice.balance, paid_on=clock.today()), by=demo["finanzas"])

    invoice.refresh_from_db()
    assert invoice.balance == 0 and invoice.status == Invoice.Status.PAID


def test_minera_atacama_is_the_richest_account_with_a_renewal_due_and_an_overdue_invoice(demo):
    today = clock.today()
    minera = Account.objects.get(legal_name="Minera Atacama SpA")
    busiest = Activity.objects.values("account").annotate(n=Count("pk")).order_by("-n").first()

    renewals = Contract.objects.renewals_due(today).filter(account=minera)
    # Both kinds of notice period: 45 days (expires in 30) and 90 days (expires in 100, decided in 10).
    assert {(contract.days_to_expiry(today), contract.notice_days) for contract in renewals} >= {(30, 45), (100, 90)}
    assert Invoice.objects.overdue(today).filter(account=minera).exists()
    assert busiest["account"] == minera.pk and busiest["n"] >= 400
    assert minera.notes.count() >= 20 and minera.customerassets.count() >= 10
    assert Activity.objects.filter(account=minera, status=Activity.Status.PLANNED, occurred_at__gt=clock.now()).exists()
    entries, total = timeline(minera, demo["vendedor.norte"], limit=20)
    assert len(entries) == 20 and total >= 400


def test_activities_are_spread_over_two_years_and_involve_the_accounts_people(demo):
    now = clock.now()
    activities = list(Activity.objects.select_related("account", "lead", "opportunity")
                      .prefetch_related("contacts", "participants"))
    team = {(member.account_id, member.user_id) for member in AccountTeamMember.objects.all()}
    linked = set(ContactAccountLink.objects.values_list("account_id", "contact_id"))

    assert min(a.occurred_at for a in activities) >= now - timedelta(days=733)
    assert {a.kind for a in activities} == set(Activity.Kind.values)
    for activity in activities:
        account = activity.account
        if account is None:  # a lead's interaction, done by its owner
            assert activity.lead.owner_id == activity.owner_id and not activity.lead.is_converted, activity
            assert not activity.contacts.all()
            continue
        deal_owner = activity.opportunity.owner_id if activity.opportunity else None
        assert activity.owner_id in {account.owner_id, account.supervisor_id, account.support_user_id, deal_owner} or (
            (account.pk, activity.owner_id) in team), activity
        assert activity.opportunity is None or activity.opportunity.account_id == account.pk
        assert (activity.occurred_at > now) == (activity.status == Activity.Status.PLANNED), activity
        assert activity.created_at <= now and activity.subject
        for contact in activity.contacts.all():
            assert contact.account_id == account.pk or (account.pk, contact.pk) in linked
    planned = sum(a.status == Activity.Status.PLANNED for a in activities)
    with_contacts = sum(bool(a.contacts.all()) for a in activities)
    assert 0 < planned < len(activities) / 10
    assert len(activities) / 3 < with_contacts < len(activities)
    assert Activity.participants.through.objects.exists()
    assert {a.kind for a in activities} <= set(Activity.Kind.values)
    assert sum(a.opportunity_id is not None for a in activities) > 100
    assert sum(a.lead_id is not None for a in activities) > 50


def test_demo_files_are_small_real_files_that_the_upload_check_accepts(demo):
    versions = list(DocumentVersion.objects.select_related("document"))

    assert {version.content_type for version in versions} == {"application/pdf", "text/csv", "text/plain"}
    assert any(version.number > 1 for version in versions)
    assert sum(version.size for version in versions) < 1024 * 1024
    for version in versions:
        with default_storage.open(version.file.name) as stored:
            assert stored.size == version.size
            stored.name = version.original_name
            assert detect_content_type(stored) == version.content_type, version


def test_demo_users_form_the_sales_hierarchy_and_log_in_with_demo(demo):
    director, gerente_norte, vendedor_norte = demo["director"], demo["gerente.norte"], demo["vendedor.norte"]

    assert gerente_norte.manager == director and vendedor_norte.manager == gerente_norte
    assert vendedor_norte.role.parent == gerente_norte.role and gerente_norte.role.parent == director.role
    assert demo["vendedor.sur"].role.name == "Rep South"
    assert demo["admin"].is_superuser
    assert demo["finanzas"].can_view_financial_data and not vendedor_norte.can_view_financial_data
    assert vendedor_norte.language == "es" and vendedor_norte.office.name == "Antofagasta"
    for username in ("admin", "director", "gerente.norte", "vendedor.norte", "vendedor.sur", "finanzas", "catalogo"):
        assert authenticate(username=username, password="demo") == demo[username]
    # Only the catalogue manager (and the admin) may change the catalogue: the permission matters.
    assert demo["catalogo"].has_perm("sales.manage_catalogue") and demo["admin"].has_perm("sales.manage_catalogue")
    assert not demo["director"].has_perm("sales.manage_catalogue")
    assert set(OrgDefault.objects.values_list("record_type", "access")) == {
        ("accounts.account", AccessLevel.PRIVATE), ("contacts.contact", AccessLevel.PRIVATE),
        ("marketing.campaign", AccessLevel.PUBLIC_READ), ("sales.lead", AccessLevel.PRIVATE),
        ("sales.opportunity", AccessLevel.PRIVATE), ("sales.quote", AccessLevel.PRIVATE),
    }


def test_zone_manager_sees_his_reps_accounts_but_not_the_other_zones(demo):
    north_owned = set(Account.objects.filter(owner=demo["vendedor.norte"]).values_list("pk", flat=True))
    south_owned = set(Account.objects.filter(owner=demo["vendedor.sur"]).values_list("pk", flat=True))
    seen_by_manager = set(Account.objects.visible_to(demo["gerente.norte"]).values_list("pk", flat=True))

    assert north_owned and south_owned
    assert north_owned <= seen_by_manager
    assert not south_owned & seen_by_manager
    assert Account.objects.visible_to(demo["director"]).count() == 60


def test_each_rep_sees_a_believable_subset_including_the_named_accounts(demo):
    minera = Account.objects.get(legal_name="Minera Atacama SpA")
    pesquera = Account.objects.get(legal_name="Pesquera Austral Ltda.")

    for username in ("vendedor.norte", "vendedor.sur"):
        assert 8 <= Account.objects.visible_to(demo[username]).count() <= 30
        assert Contact.objects.visible_to(demo[username]).count() >= 30
    assert minera.owner == demo["vendedor.norte"] and pesquera.owner == demo["vendedor.sur"]
    assert list(search(Account, demo["vendedor.norte"], "minera atacama")) == [minera]
    assert not search(Account, demo["vendedor.sur"], "minera atacama").exists()
    assert minera.parent.legal_name == "Grupo Atacama S.A."
    assert minera.contacts.count() >= 5 and minera.addresses.count() >= 1


def test_every_phrase_fills_in_for_accounts_of_both_countries_and_every_business_unit(demo):
    builder = RecordBuilder(SIZES["small"], seed=1)
    templates = [*phrases.DESCRIPTIONS, *phrases.CUSTOMER_DESCRIPTIONS, *phrases.NOTES, *phrases.CUSTOMER_NOTES,
                 *phrases.NOTE_TITLES, *phrases.CUSTOMER_NOTE_TITLES, *(title for title, *_ in phrases.MATERIAL),
                 *(description for _, description in phrases.CONTRACTS), *(title for title, *_ in phrases.DOCUMENTS),
                 *(subject for pool in (phrases.SUBJECTS, phrases.CUSTOMER_SUBJECTS) for kind in pool
                   for subject in pool[kind])]
    facts = Account.objects.order_by("pk").values_list(*ACCOUNT_FIELDS, named=True)
    examples = {(row.country, row.business_unit__name): row for row in facts}
    contact = Contact.objects.values_list("account_id", "pk", "first_name", "last_name", "title", "department",
                                          named=True).first()

    assert {country for country, _ in examples} == {"CL", "ES"} and len({unit for _, unit in examples}) == 3
    for row in examples.values():
        context = AccountContext(builder, row, People(contacts=[contact], users=[row.owner_id]))
        for template in templates:
            text = context.fill(template, day="01-02-2026")
            assert "{" not in text and "}" not in text, template
