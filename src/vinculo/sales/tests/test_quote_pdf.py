"""The quote PDF: rendered, and its text (extracted with pypdf) carries the company, the customer, the
lines and the totals as the reader's language writes them."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from vinculo.accounts.tests.factories import AddressFactory
from vinculo.core.tests.catalog import english_found_in
from vinculo.org.models import CompanyProfile
from vinculo.sales import pdf, quoting

from .factories import PriceListFactory, PriceListItemFactory, ProductFactory
from .quote_fixtures import *  # noqa: F403  (fixtures: frozen, deal, reader, catalogue)
from .quote_fixtures import make_quote

pytestmark = pytest.mark.django_db


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def company(db):
    profile = CompanyProfile.current()
    profile.name = "Vínculo Ingeniería"
    profile.legal_name = "Vínculo Ingeniería y Servicios SpA"
    profile.tax_id = "765432103"
    profile.address = "Av. Apoquindo 4501, Las Condes, Santiago"
    profile.phone = "+56223456789"
    profile.email = "ventas@vinculo.cl"
    profile.website = "https://vinculo.cl"
    profile.quote_terms = "Pago a 30 días desde la factura."
    profile.save()
    return profile


def test_the_pdf_names_the_company_the_customer_the_lines_and_the_total(org, deal, catalogue, company, frozen):
    AddressFactory(account=org.north_account, street="Camino a Chuquicamata 1200", city="Calama")
    quote = make_quote(deal, org.vendedor_norte, catalogue, contact=org.north_contact, notes="Entrega en faena.",
                       lines=[("pump", 2, 10), ("service", 16, 0)])
    data = pdf.render_quote(quote, language="es", reader=org.vendedor_norte)
    assert data.startswith(b"%PDF")
    text = text_of(data)
    assert "COT-2026-00001" in text
    assert "Vínculo Ingeniería y Servicios SpA" in text
    assert "76.543.210-3" in text  # the company's RUT, formatted
    assert "Minera Norte Grande SpA" in text
    assert org.north_account.tax_id_display in text
    assert "Camino a Chuquicamata 1200" in text
    assert "Araya" in text
    assert "Bomba centrífuga 100" in text and "Instalación en faena" in text
    # 2,250,000 + 720,000 net; IVA 564,300; total 3,534,300, in Chilean pesos without decimals.
    assert quote.total == Decimal(3534300)
    assert "$3.534.300" in text
    assert "Pago a 30 días desde la factura." in text and "Entrega en faena." in text
    assert "19%" in text


def test_the_pdf_follows_the_language_and_the_currency(org, deal, company, frozen):
    euros = PriceListFactory(currency="EUR")
    product = ProductFactory(name="Válvula de compuerta", tax_rate=Decimal(21))
    PriceListItemFactory(price_list=euros, product=product, unit_price=Decimal("1234.5"))
    quote = quoting.create_quote(deal, org.vendedor_norte, euros)
    quoting.add_line(quote, org.vendedor_norte, product=product, quantity=Decimal(1))
    english = text_of(pdf.render_quote(quote, language="en", reader=org.vendedor_norte)).replace("\xa0", " ")
    spanish = text_of(pdf.render_quote(quote, language="es", reader=org.vendedor_norte)).replace("\xa0", " ")
    # 1,234.50 + 21% (259.25) = 1,493.75.
    assert "€1,493.75" in english.replace("€ ", "€") and "Total" in english
    assert "1.493,75" in spanish
    assert "Tax 21%" in english


def test_a_draft_says_it_is_a_draft_and_a_quote_without_lines_still_renders(org, deal, company, frozen):
    quote = quoting.create_quote(deal, org.vendedor_norte)
    text = text_of(pdf.render_quote(quote, language="en", reader=org.vendedor_norte))
    assert "DRAFT" in text and "no lines" in text


def test_the_download_is_an_attachment_named_after_number_and_revision(client, org, deal, catalogue, company, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    client.force_login(org.vendedor_norte)
    response = client.get(reverse("sales:quote_pdf", args=[quote.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="COT-2026-00001-r1.pdf"'
    assert "Minera Norte Grande SpA" in text_of(response.content)


# ---------- A Spanish PDF has no English in it: every string it prints comes from the catalog ----------

def test_a_spanish_quote_pdf_contains_no_english_catalog_string(org, deal, catalogue, company, frozen):
    AddressFactory(account=org.north_account, street="Camino a Chuquicamata 1200", city="Calama")
    quote = make_quote(deal, org.vendedor_norte, catalogue, contact=org.north_contact, notes="Entrega en faena.",
                       lines=[("pump", 2, 10), ("service", 16, 0)])
    text = text_of(pdf.render_quote(quote, language="es", reader=org.vendedor_norte))
    assert english_found_in(text) == []
    assert "Id. fiscal:" in text and "Atención:" in text and "Imp. %" in text


def test_the_english_pdf_is_in_english(org, deal, catalogue, company, frozen):
    """The check above would pass on an empty document: the same quote in English shows the strings it
    looks for."""
    quote = make_quote(deal, org.vendedor_norte, catalogue, contact=org.north_contact, lines=[("pump", 2, 10)])
    text = text_of(pdf.render_quote(quote, language="en", reader=org.vendedor_norte))
    assert "Tax id:" in text and "Attention:" in text and "Unit price" in text
