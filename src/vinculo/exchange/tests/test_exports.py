"""Exports: rows and fields the policy allows, neutralised formula cells, and the round trip through the
importer (vCard 4.0 and Outlook CSV read back: nothing created, nothing updated)."""

import openpyxl
import pytest

from vinculo.contacts.models import Contact
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.exchange import exporting, readers

from .helpers import rows_of

pytestmark = pytest.mark.django_db


def csv_text(kind, user) -> str:
    return "".join(exporting.stream_csv(exporting.rows(kind, user)))


def test_an_export_by_vendedor_sur_holds_none_of_vendedor_nortes_private_records(org):
    ContactFactory(account=org.north_account, last_name="Privado", email="privado@norte.cl")
    text = csv_text("contacts", org.vendedor_sur)
    assert "bustos@sur.cl" in text
    assert "araya@norte.cl" not in text and "privado@norte.cl" not in text
    accounts = csv_text("accounts", org.vendedor_sur)
    assert "Pesquera Sur Austral SpA" in accounts and "Minera Norte Grande SpA" not in accounts
    vcards = "".join(exporting.stream_vcards(org.vendedor_sur))
    assert "bustos@sur.cl" in vcards and "norte.cl" not in vcards


def test_financial_fields_only_with_the_permission(org):
    without = csv_text("accounts", org.vendedor_norte)
    assert "Minera Norte Grande SpA" in without
    assert "Bank details" not in without and "Banco de Chile 123" not in without
    with_permission = csv_text("accounts", org.finance)
    assert "Bank details" in with_permission and "Banco de Chile 123" in with_permission


def test_an_account_the_exporter_cannot_see_is_left_empty_on_a_contact_they_own(org):
    mine = ContactFactory(owner=org.vendedor_sur, account=org.north_account, last_name="Cruzado",
                          email="cruzado@x.cl")
    line = next(line for line in csv_text("contacts", org.vendedor_sur).splitlines() if mine.email in line)
    assert "Minera" not in line
    vcards = "".join(exporting.stream_vcards(org.vendedor_sur))
    assert "Minera" not in vcards


def test_formula_cells_are_neutralised_in_csv_xlsx_and_outlook(org):
    ContactFactory(owner=org.vendedor_norte, account=None, last_name="Fórmula", email="f@x.cl",
                   title="=HYPERLINK(\"http://evil\")", department="@SUM(A1)", city="-2+3")
    text = csv_text("contacts", org.vendedor_norte)
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text and "'-2+3" in text
    sheet = openpyxl.load_workbook(exporting.write_xlsx(exporting.rows("contacts", org.vendedor_norte, typed=True), "c")).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "'=HYPERLINK(\"http://evil\")" in values and not any(
        isinstance(value, str) and value.startswith(("=", "@")) for value in values)
    outlook = "".join(exporting.stream_csv(exporting.outlook_rows(org.vendedor_norte)))
    assert "'=HYPERLINK" in outlook


def test_xlsx_cells_are_typed(org):
    org.north_account.employees = 120
    org.north_account.save()
    sheet = openpyxl.load_workbook(exporting.write_xlsx(exporting.rows("accounts", org.vendedor_norte, typed=True), "a")).active
    header = [cell.value for cell in next(sheet.iter_rows())]
    row = [cell.value for cell in list(sheet.iter_rows())[1]]
    assert row[header.index("Employees")] == 120


@pytest.fixture
def contacts_to_round_trip(org):
    owner = org.vendedor_norte
    ContactFactory(owner=owner, account=org.north_account, first_name="María José", last_name="Núñez Soto",
                   email="mj@norte.cl", mobile="+56987654321", phone="+56223456789", title="Gerente, compras",
                   department="Compras", city="Antofagasta", country="CL", description="Línea 1\nLínea 2; con: signos")
    ContactFactory(owner=owner, account=None, first_name="", last_name="Vidal", email="", mobile="+56943218765",
                   phone="", title="=1+1", department="", city="", country="ES", description="")
    return owner


@pytest.mark.parametrize("fmt", ["vcard", "outlook-en", "outlook-es"])
def test_round_trip_export_then_import_creates_and_updates_nothing(org, run_import, contacts_to_round_trip, fmt):
    owner = contacts_to_round_trip
    if fmt == "vcard":
        data, name = "".join(exporting.stream_vcards(owner)).encode(), "c.vcf"
    else:
        language = fmt.split("-")[1]
        data = "".join(exporting.stream_csv(exporting.outlook_rows(owner, language))).encode()
        name = "c.csv"
        assert readers.read(data, name).format == "outlook"
    before = list(Contact.objects.values().order_by("pk"))
    job = run_import(owner, name, data, on_duplicate="overwrite")
    assert (job.created, job.updated, job.rejected) == (0, 0, 0)
    assert job.skipped == Contact.objects.visible_to(owner).count()
    assert list(Contact.objects.values().order_by("pk")) == before


def test_vcard_export_is_version_4_with_uri_phones(org, contacts_to_round_trip):
    text = "".join(exporting.stream_vcards(contacts_to_round_trip))
    assert text.count("BEGIN:VCARD") == Contact.objects.visible_to(contacts_to_round_trip).count()
    assert "VERSION:4.0" in text and "tel:+56987654321" in text and "VALUE=uri" in text
    assert len(rows_of(readers.read(text.encode(), "x.vcf"))) == text.count("BEGIN:VCARD")


def test_csv_export_of_leads_and_deals(org):
    from vinculo.sales.tests.factories import LeadFactory, OpportunityFactory

    LeadFactory(owner=org.vendedor_norte, last_name="Prospecto", email="p@x.cl")
    OpportunityFactory(owner=org.vendedor_norte, account=org.north_account, name="Faena norte")
    assert "p@x.cl" in csv_text("leads", org.vendedor_norte) and "p@x.cl" not in csv_text("leads", org.vendedor_sur)
    assert "Faena norte" in csv_text("deals", org.vendedor_norte)
    assert "Faena norte" not in csv_text("deals", org.vendedor_sur)


def test_export_memory_is_bounded_by_chunks(org, django_assert_max_num_queries):
    from vinculo.contacts.models import Contact as Model

    Model.objects.bulk_create([Model(owner=org.vendedor_norte, last_name=f"P{n}", email=f"p{n}@x.cl")
                               for n in range(2 * exporting.CHUNK + 5)])
    with django_assert_max_num_queries(12):
        lines = sum(1 for _line in exporting.stream_csv(exporting.rows("contacts", org.vendedor_norte)))
    assert lines == 1 + 1 + Model.objects.visible_to(org.vendedor_norte).count()  # the BOM, the header, rows
