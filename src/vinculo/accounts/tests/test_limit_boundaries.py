"""The numeric limits of accounts at, just below and just above each one, with every number written by hand:

- a payment may be at most the unpaid balance (to the cent) and must be more than zero;
- an invoice amount may be zero but not negative; an invoice may fall due on its own date but not before;
  a contract may end on the day it starts but not before;
- a file may weigh exactly the upload limit, not one byte more, and not nothing;
- the account page lists 10 rows a list (and 10 timeline entries), names 10 child accounts and 5 renewals.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from vinculo.accounts import services
from vinculo.accounts.models import Invoice, Payment
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.core import clock
from vinculo.core.tests.api_client import BASE, ApiClient, error_fields
from vinculo.customer360 import services as customer360_services
from vinculo.customer360.models import Contract, CustomerAsset, Document, DocumentVersion, Note
from vinculo.customer360.tests.factories import ContractFactory

from .factories import InvoiceFactory

pytestmark = pytest.mark.django_db

SANTIAGO = datetime.timezone(datetime.timedelta(hours=-3))
TODAY = datetime.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime.datetime(2026, 3, 10, 12, 0, tzinfo=SANTIAGO))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def invoice(org):
    """USD 1,000.00 issued and unpaid."""
    return InvoiceFactory(account=org.north_account, number="F-USD-1", currency="USD", amount=Decimal("1000.00"),
                          issue_date=datetime.date(2026, 3, 1), due_date=datetime.date(2026, 3, 31))


def pay(invoice, amount, by):
    return services.register_payment(Payment(invoice_id=invoice.pk, paid_on=TODAY, amount=Decimal(amount)), by=by)


def stored(invoice):
    invoice = Invoice.objects.get(pk=invoice.pk)
    return invoice.balance, invoice.status


# ---------- Payments: more than zero, at most the balance ----------

@pytest.mark.parametrize("amount, balance, status", [
    ("999.99", Decimal("0.01"), Invoice.Status.PARTIALLY_PAID),  # one cent below: one cent still owed
    ("1000.00", Decimal("0.00"), Invoice.Status.PAID),  # exactly the balance
    ("0.01", Decimal("999.99"), Invoice.Status.PARTIALLY_PAID),  # the smallest payment
])
def test_a_payment_up_to_the_balance_is_registered(org, invoice, amount, balance, status):
    pay(invoice, amount, org.vendedor_norte)
    assert stored(invoice) == (balance, status)


@pytest.mark.parametrize("amount", ["1000.01", "0.00", "-0.01"])
def test_a_payment_over_the_balance_or_not_positive_is_refused(org, invoice, amount):
    with pytest.raises(ValidationError) as refused:
        pay(invoice, amount, org.vendedor_norte)
    assert list(refused.value.message_dict) == ["amount"]
    assert stored(invoice) == (Decimal("1000.00"), Invoice.Status.ISSUED)
    assert not Payment.all_objects.exists()


def test_the_last_cent_is_paid_exactly_and_not_a_cent_more(org, invoice):
    pay(invoice, "999.99", org.vendedor_norte)
    with pytest.raises(ValidationError):
        pay(invoice, "0.02", org.vendedor_norte)
    pay(invoice, "0.01", org.vendedor_norte)
    assert stored(invoice) == (Decimal("0.00"), Invoice.Status.PAID)


@pytest.mark.parametrize("amount, status", [("1000.01", 200), ("1000.00", 302)])
def test_the_payment_form_refuses_one_cent_over_the_balance(client, org, invoice, amount, status):
    client.force_login(org.vendedor_norte)
    response = client.post(reverse("accounts:payment_create", args=[invoice.pk]),
                           {"paid_on": "2026-03-10", "amount": amount, "method": "transfer"})
    assert response.status_code == status
    if status == 200:
        assert list(response.context["payment_form"].errors) == ["amount"]
    assert Payment.objects.count() == (1 if status == 302 else 0)


@pytest.mark.parametrize("amount, status", [("1000.01", 422), ("1000.00", 201), ("0", 422), ("0.01", 201)])
def test_the_api_refuses_a_payment_one_cent_over_the_balance_or_of_nothing(org, invoice, amount, status):
    response = ApiClient(org.vendedor_norte).post("/payments", {"invoice": invoice.pk, "paid_on": "2026-03-10",
                                                                "amount": amount})
    assert response.status_code == status, response.content
    if status == 422:
        assert error_fields(response) == {"amount"}


# ---------- Invoice and contract dates and amounts ----------

@pytest.mark.parametrize("changes, refused", [
    ({"due_date": "2026-03-01"}, set()),  # due on its own date
    ({"due_date": "2026-02-28"}, {"due_date"}),  # the day before
    ({"amount": "0"}, set()),
    ({"amount": "-0.01"}, {"amount"}),
])
def test_invoice_due_date_and_amount_boundaries(org, changes, refused):
    payload = {"account": org.north_account.pk, "number": "F-NEW", "issue_date": "2026-03-01",
               "due_date": "2026-03-31", "amount": "100", "currency": "CLP", **changes}
    response = ApiClient(org.vendedor_norte).post("/invoices", payload)
    assert (response.status_code, error_fields(response) if refused else set()) == (422 if refused else 201, refused)


@pytest.mark.parametrize("end_date, refused", [("2026-03-01", False), ("2026-02-28", True)])
def test_a_contract_may_end_on_the_day_it_starts_but_not_before(org, end_date, refused):
    response = ApiClient(org.vendedor_norte).post("/contracts", {
        "account": org.north_account.pk, "number": "CT-NEW", "start_date": "2026-03-01", "end_date": end_date})
    assert response.status_code == (422 if refused else 201)
    if refused:
        assert error_fields(response) == {"end_date"}


# ---------- File size: up to the limit, not one byte more ----------

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"
MEGABYTE = 1024 * 1024


def pdf_of(size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile("informe.pdf", PDF + b"0" * (size - len(PDF)), content_type="application/pdf")


@pytest.mark.parametrize("size, accepted", [(MEGABYTE - 1, True), (MEGABYTE, True), (MEGABYTE + 1, False)])
def test_a_file_of_exactly_the_upload_limit_is_accepted_one_byte_more_is_not(org, settings, size, accepted):
    settings.VINCULO = {**settings.VINCULO, "MAX_UPLOAD_MB": 1}
    document = Document(account=org.north_account, title="Informe")
    if accepted:
        assert customer360_services.add_document_version(document, pdf_of(size), by=org.vendedor_norte).size == size
    else:
        with pytest.raises(ValidationError) as refused:
            customer360_services.add_document_version(document, pdf_of(size), by=org.vendedor_norte)
        assert list(refused.value.message_dict) == ["file"]
        assert (Document.all_objects.count(), DocumentVersion.objects.count()) == (0, 0)


def test_an_empty_file_is_refused(org):
    response = ApiClient(org.vendedor_norte).client.post(f"{BASE}/files", {
        "account": org.north_account.pk, "file": SimpleUploadedFile("vacio.pdf", b"", "application/pdf")})
    assert response.status_code == 422 and error_fields(response) == {"file"}
    assert response.json()["detail"][0]["message"] == "The file is empty."


# ---------- What the account page shows at once ----------

def account_page(client, user, account, **params):
    client.force_login(user)
    response = client.get(account.get_absolute_url(), params)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("rows, first_page, pages", [(10, 10, 1), (11, 10, 2)])
def test_an_account_page_list_shows_10_rows_a_page(client, org, rows, first_page, pages):
    account = org.north_account
    CustomerAsset.objects.bulk_create(CustomerAsset(account=account, product_name=f"Compresor {n}") for n in range(rows))
    # The page loads the assets on demand, from their fragment URL.
    client.force_login(org.vendedor_norte)
    assets = client.get(reverse("accounts:related", args=[account.pk, "assets"])).context["assets"]
    assert (len(assets.rows), assets.total, assets.num_pages, assets.next is None) == (first_page, rows, pages,
                                                                                      pages == 1)
    if pages == 2:
        assert len(account_page(client, org.vendedor_norte, account, assets_page=2).context["assets"].rows) == 1


@pytest.mark.parametrize("entries, first_page, pages", [(10, 10, 1), (11, 10, 2)])
def test_the_timeline_shows_10_entries_a_page(client, org, entries, first_page, pages):
    account = org.north_account
    Note.objects.bulk_create(Note(account=account, body=f"Nota {n}", created_by=org.vendedor_norte)
                             for n in range(entries))
    timeline = account_page(client, org.vendedor_norte, account).context["timeline"]
    assert (len(timeline.rows), timeline.total, timeline.num_pages) == (first_page, entries, pages)


@pytest.mark.parametrize("children, more", [(10, False), (11, True)])
def test_the_account_page_names_10_child_accounts(client, org, children, more):
    for n in range(children):
        AccountFactory(owner=org.vendedor_norte, parent=org.north_account, legal_name=f"Filial {n:02d} SpA")
    response = account_page(client, org.vendedor_norte, org.north_account)
    assert (len(response.context["children"]), response.context["more_children"]) == (10, more)
    assert ("and more" in response.content.decode()) is more


@pytest.mark.parametrize("due, more", [(5, False), (6, True)])
def test_the_renewal_alert_names_5_contracts(client, org, due, more):
    for n in range(due):
        ContractFactory(account=org.north_account, number=f"CT-RENEW-{n}", start_date=datetime.date(2025, 1, 1),
                        end_date=datetime.date(2026, 4, 1) + datetime.timedelta(days=n), status=Contract.Status.ACTIVE)
    html = account_page(client, org.vendedor_norte, org.north_account).content.decode()
    alerts = html[html.index('class="c360-alerts"'):html.index('class="section-nav"')]
    assert sum(f"CT-RENEW-{n}<" in alerts for n in range(due)) == 5
    assert ("More renewals in the contracts list" in alerts) is more
