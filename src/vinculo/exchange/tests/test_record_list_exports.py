"""The "Export" menu of the invoice, contract, customer asset, content delivery, note, file and price lists (issue #13, item 6): the file
holds the rows the page lists for the user, with its filters and shown columns, typed cells in XLSX; an
invoice's amount and balance (the policy's "amounts" group, when the org restricts it) never leave for a
user without the financial permission, whatever columns the address asks for."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from vinculo.accounts.tests.factories import InvoiceFactory
from vinculo.customer360 import services as customer360_services
from vinculo.customer360.models import Document
from vinculo.customer360.tests.factories import (
    ContentDeliveryFactory,
    ContractFactory,
    CustomerAssetFactory,
    NoteFactory,
)
from vinculo.exchange import exporting
from vinculo.sales.models import PriceList

from .helpers import csv_rows, export_links, xlsx_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.VINCULO = {**settings.VINCULO, "INVOICE_AMOUNTS_RESTRICTED": True}


@pytest.fixture
def english(org):
    for user in (org.vendedor_norte, org.vendedor_sur, org.finance):
        user.language = "en"
        user.save(update_fields=["language"])
    return org








# ---------- Invoices ----------

@pytest.fixture
def invoices(english):
    org = english
    return [
        InvoiceFactory(account=org.south_account, number="F-101", issue_date=datetime.date(2026, 3, 2),
                       due_date=datetime.date(2026, 4, 1), amount=Decimal("1234567.89"),
                       balance=Decimal("234567.89")),
        InvoiceFactory(account=org.south_account, number="F-102", issue_date=datetime.date(2026, 3, 20),
                       due_date=datetime.date(2026, 4, 19), amount=Decimal("987654.32"), balance=Decimal("0"),
                       status="paid"),
        # The north rep's private account: never the south rep's.
        InvoiceFactory(account=org.north_account, number="F-900", issue_date=datetime.date(2026, 3, 10),
                       due_date=datetime.date(2026, 4, 9), amount=Decimal("5555555.55")),
    ]


AMOUNT_TEXTS = ("1234567.89", "234567.89", "987654.32", "1234567", "987654", "234567")


@pytest.mark.parametrize("cols", ["", "number,amount,balance,status", "amount"])
def test_a_rep_without_the_financial_permission_exports_invoices_without_amounts(client, invoices, english, cols):
    client.force_login(english.vendedor_sur)
    page = reverse("accounts:invoice_list") + (f"?cols={cols}" if cols else "")
    links = export_links(client.get(page).content.decode())
    assert set(links) == {"csv", "xlsx"}
    response = client.get(links["csv"])
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert "Amount" not in rows[0] and "Balance" not in rows[0]
    # Newest first (the page's default sort); never the north's F-900.
    assert [row[0] for row in rows[1:]] == ["F-102", "F-101"]
    assert not any(amount in text for amount in AMOUNT_TEXTS) and "F-900" not in text
    sheet = xlsx_rows(client.get(links["xlsx"]))
    values = [value for row in sheet for value in row]
    assert not any(isinstance(value, (int, float)) and value > 1000 for value in values)
    assert "Amount" not in sheet[0] and "F-900" not in values


@pytest.mark.parametrize("cols", ["number,amount", "amount,balance", "unknown"])
def test_asking_for_the_amounts_directly_gives_them_to_no_rep(client, invoices, english, cols):
    client.force_login(english.vendedor_sur)
    response = client.get(reverse("exchange:export", args=["invoices", "csv"]) + f"?cols={cols}")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "F-101" in text
    assert not any(amount in text for amount in AMOUNT_TEXTS)


def test_every_field_of_an_invoice_less_its_amounts_for_a_rep(invoices, english):
    table = exporting.rows("invoices", english.vendedor_sur)
    assert [column.name for column in table.columns] == [
        "number", "account", "issue_date", "due_date", "currency", "status", "external_ref", "created_at"]
    assert [row[0] for row in table.rows] == ["F-101", "F-102"]  # without a page: by id; never F-900


def test_the_finance_user_exports_invoice_amounts_as_money(client, invoices, english):
    client.force_login(english.finance)
    html = client.get(reverse("accounts:invoice_list") + "?cols=number,issue_date,amount,balance").content.decode()
    links = export_links(html)
    rows = csv_rows(client.get(links["csv"]))
    assert rows[0] == ["Number", "Date", "Amount", "Balance"]
    # Finance reads every account: the three invoices, newest first.
    assert rows[1:] == [["F-102", "2026-03-20", "987654.32", "0.00"],
                        ["F-900", "2026-03-10", "5555555.55", "5555555.55"],
                        ["F-101", "2026-03-02", "1234567.89", "234567.89"]]
    sheet = xlsx_rows(client.get(links["xlsx"]))
    assert sheet[3][:4] == ["F-101", datetime.datetime(2026, 3, 2), 1234567.89, 234567.89]


# ---------- Contracts, assets, price lists ----------

def test_the_contract_export_holds_the_reps_listed_contracts_with_typed_dates(client, english):
    org = english
    ContractFactory(account=org.south_account, number="CT-1", end_date=datetime.date(2026, 9, 30))
    ContractFactory(account=org.south_account, number="CT-2", end_date=datetime.date(2026, 6, 30))
    ContractFactory(account=org.north_account, number="CT-9", end_date=datetime.date(2026, 5, 31))
    client.force_login(org.vendedor_sur)
    links = export_links(client.get(reverse("accounts:contract_list")).content.decode())
    rows = csv_rows(client.get(links["csv"]))
    # Soonest expiry first (the page's default sort); never the north's CT-9.
    assert [row[0] for row in rows[1:]] == ["CT-2", "CT-1"]
    sheet = xlsx_rows(client.get(links["xlsx"]))
    assert sheet[1][sheet[0].index("Expiry")] == datetime.datetime(2026, 6, 30)


def test_the_asset_export_holds_the_reps_listed_assets_with_typed_dates(client, english):
    org = english
    CustomerAssetFactory(account=org.south_account, product_name="Compresor A", sale_date=datetime.date(2025, 5, 2))
    CustomerAssetFactory(account=org.south_account, product_name="Compresor B", sale_date=datetime.date(2025, 8, 9))
    CustomerAssetFactory(account=org.north_account, product_name="Compresor Norte")
    client.force_login(org.vendedor_sur)
    links = export_links(client.get(reverse("accounts:asset_list")).content.decode())
    rows = csv_rows(client.get(links["csv"]))
    assert [row[0] for row in rows[1:]] == ["Compresor B", "Compresor A"]
    assert rows[1][rows[0].index("Account")] == "Pesquera Sur Austral SpA"
    sheet = xlsx_rows(client.get(links["xlsx"]))
    assert sheet[1][sheet[0].index("Sale date")] == datetime.datetime(2025, 8, 9)


def test_the_price_list_export_follows_its_filters_with_typed_cells(client, english):
    PriceList.objects.create(name="Mayoristas", currency="USD", valid_from=datetime.date(2026, 1, 1))
    PriceList.objects.create(name="Minoristas", currency="CLP", valid_from=datetime.date(2026, 2, 1))
    PriceList.objects.create(name="Antigua", currency="USD", is_active=False)
    client.force_login(english.vendedor_sur)
    html = client.get(reverse("sales:pricelist_list") + "?currency=USD&active=yes").content.decode()
    links = export_links(html)
    rows = csv_rows(client.get(links["csv"]))
    assert [row[0] for row in rows[1:]] == ["Mayoristas"]
    sheet = xlsx_rows(client.get(links["xlsx"]))
    assert sheet[1][sheet[0].index("Valid from")] == datetime.datetime(2026, 1, 1)
    assert sheet[1][sheet[0].index("Products")] == 0


def test_the_delivery_export_holds_the_reps_listed_deliveries_with_typed_dates(client, english):
    org = english
    ContentDeliveryFactory(account=org.south_account, title="Catálogo 2026", delivered_on=datetime.date(2026, 2, 3),
                           contact=org.south_contact)
    ContentDeliveryFactory(account=org.south_account, title="=Ficha técnica", delivered_on=datetime.date(2026, 3, 4))
    ContentDeliveryFactory(account=org.north_account, title="Catálogo Norte", delivered_on=datetime.date(2026, 3, 9))
    client.force_login(org.vendedor_sur)
    links = export_links(client.get(reverse("accounts:delivery_list")).content.decode())
    rows = csv_rows(client.get(links["csv"]))
    # Latest first; formula-like text neutralised; never the north's delivery.
    assert [row[0] for row in rows[1:]] == ["'=Ficha técnica", "Catálogo 2026"]
    contact = org.south_contact
    assert rows[2][rows[0].index("Delivered to")] == f"{contact.first_name} Bustos"
    sheet = xlsx_rows(client.get(links["xlsx"]))
    assert sheet[2][sheet[0].index("Delivered on")] == datetime.datetime(2026, 2, 3)


def test_the_note_export_holds_the_reps_listed_notes_only(client, english):
    org = english
    NoteFactory(account=org.south_account, title="Visita de marzo", body="Quiere renovar")
    NoteFactory(account=org.north_account, title="Nota privada del norte", body="Secreto")
    client.force_login(org.vendedor_sur)
    links = export_links(client.get(reverse("accounts:note_list")).content.decode())
    rows = csv_rows(client.get(links["csv"]))
    assert [row[:2] for row in rows[1:]] == [["Visita de marzo", "Pesquera Sur Austral SpA"]]
    text = "".join(exporting.stream_csv(exporting.rows("notes", org.vendedor_sur)))
    assert "Quiere renovar" in text and "Secreto" not in text and "Minera" not in text


def test_the_file_export_counts_each_files_versions_as_a_number(client, english):
    org = english

    def pdf(content):
        return SimpleUploadedFile("propuesta.pdf", content, content_type="application/pdf")

    document = customer360_services.add_document_version(
        Document(account=org.south_account, title="Propuesta"), pdf(b"%PDF-1.4\n% one\n%%EOF\n"), by=None).document
    customer360_services.add_document_version(document, pdf(b"%PDF-1.7\n% two, longer\n%%EOF\n"), by=None)
    customer360_services.add_document_version(
        Document(account=org.north_account, title="Propuesta Norte"), pdf(b"%PDF-1.4\n% n\n%%EOF\n"), by=None)
    client.force_login(org.vendedor_sur)
    links = export_links(client.get(reverse("accounts:document_list")).content.decode())
    sheet = xlsx_rows(client.get(links["xlsx"]))
    assert [row[0] for row in sheet[1:]] == ["Propuesta"]
    assert sheet[1][sheet[0].index("Versions")] == 2
    assert csv_rows(client.get(links["csv"]))[1][sheet[0].index("Versions")] == "2"


# ---------- The API's export jobs ----------

def test_an_api_invoice_export_by_a_rep_leaves_the_amounts_out_and_refuses_filtering_on_them(
        invoices, english, django_capture_on_commit_callbacks):
    from vinculo.core.tests.api_client import ApiClient, error_fields

    api = ApiClient(english.vendedor_sur)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/exports", {"kind": "invoices", "format": "csv",
                                         "columns": ["number", "amount", "balance"], "language": "en"})
    assert response.status_code == 201, response.content
    status = api.get(f"/exports/{response.json()['id']}").json()
    assert status["total"] == 2
    text = b"".join(api.client.get(status["download_url"]).streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [["Invoice number"], ["F-101"], ["F-102"]]
    # Filtering on an amount would reveal it row by row: refused, naming the filters.
    response = api.post("/exports", {"kind": "invoices", "filters": {"amount__gte": 1000000}})
    assert response.status_code == 422 and "filters" in error_fields(response)


def test_an_api_invoice_export_by_the_finance_user_holds_the_amounts(
        invoices, english, django_capture_on_commit_callbacks):
    from vinculo.core.tests.api_client import ApiClient

    api = ApiClient(english.finance)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/exports", {"kind": "invoices", "format": "csv", "columns": ["number", "amount"],
                                         "filters": {"amount__gte": 1000000}, "language": "en"})
    status = api.get(f"/exports/{response.json()['id']}").json()
    text = b"".join(api.client.get(status["download_url"]).streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [["Invoice number", "Amount"], ["F-101", "1234567.89"],
                                                   ["F-900", "5555555.55"]]
