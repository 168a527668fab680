"""Money and dates in each locale's form where users read them: a rendered page and the quote PDF, in
es-CL (a rep of a Chilean office), es-ES (a rep of the Madrid office) and en, for CLP, UF, USD and EUR;
dates typed dd-mm-aaaa in a Spanish form. The API keeps numbers raw. README "Formats"."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from vinculo.core.tests.api_client import ApiClient
from vinculo.org.tests.factories import OfficeFactory
from vinculo.sales import pdf, quoting
from vinculo.sales.models import Quote

from .factories import OpportunityFactory
from .quote_fixtures import *  # noqa: F403  (fixtures: frozen, deal, reader, catalogue)
from .quote_fixtures import make_quote
from .test_quote_pdf import text_of

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
AMOUNT = Decimal("5801888.20")
# Written by hand from CLDR: babel's currency patterns, CLDR's currency spacing, the UF with two decimals.
EXPECTED = {
    "es-CL": {"CLP": "$5.801.888", "CLF": f"UF{NBSP}5.801.888,20", "USD": "US$5.801.888,20",
              "EUR": f"EUR{NBSP}5.801.888,20"},
    "es-ES": {"CLP": f"5.801.888{NBSP}CLP", "CLF": f"5.801.888,20{NBSP}UF", "USD": f"5.801.888,20{NBSP}US$",
              "EUR": f"5.801.888,20{NBSP}€"},
    "en": {"CLP": f"CLP{NBSP}5,801,888", "CLF": f"UF{NBSP}5,801,888.20", "USD": "$5,801,888.20",
           "EUR": "€5,801,888.20"},
}
LOCALES = list(EXPECTED)


def as_reader(user, locale: str):
    """`user` reading in `locale`: the language, and the office whose country Spanish follows."""
    language, _, country = locale.partition("-")
    user.language = language
    user.office = OfficeFactory(name=f"Office {country or 'none'}", country=country or "CL")
    user.save()
    return user


@pytest.mark.parametrize("locale", LOCALES)
def test_the_deals_list_writes_each_currency_in_the_readers_form(client, org, locale, django_assert_max_num_queries):
    for currency in EXPECTED[locale]:
        OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, name=f"Negocio {currency}",
                           amount=AMOUNT, currency=currency)
    client.force_login(as_reader(org.vendedor_norte, locale))
    with django_assert_max_num_queries(25):
        page = client.get(reverse("sales:opportunity_list")).content.decode()
    for currency, text in EXPECTED[locale].items():
        assert text in page, (currency, text)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("currency", ["CLP", "CLF", "USD", "EUR"])
def test_the_quote_pdf_writes_money_in_the_readers_form(org, deal, frozen, locale, currency):
    quote = quoting.create_quote(deal, org.vendedor_norte, currency=currency)
    quoting.add_line(quote, org.vendedor_norte, description="Servicio", quantity=Decimal(1), unit_price=AMOUNT,
                     tax_rate=Decimal(0))
    quote.refresh_from_db()
    reader = as_reader(org.vendedor_norte, locale)
    text = text_of(pdf.render_quote(quote, language=reader.language, reader=reader))
    # pypdf reads the no-break space back as a space. The unit price, the net amount, the subtotal, the total.
    assert text.count(EXPECTED[locale][currency].replace(NBSP, " ")) == 4, text


def test_the_quote_pdf_downloaded_follows_the_readers_office(client, org, deal, frozen):
    quote = quoting.create_quote(deal, org.vendedor_norte, currency="EUR")
    quoting.add_line(quote, org.vendedor_norte, description="Servicio", quantity=Decimal(1), unit_price=AMOUNT,
                     tax_rate=Decimal(0))
    client.force_login(as_reader(org.vendedor_norte, "es-ES"))
    text = text_of(client.get(reverse("sales:quote_pdf", args=[quote.pk])).content)
    assert text.count("5.801.888,20 €") == 4 and "EUR 5" not in text


def test_the_api_keeps_amounts_raw(org, deal, frozen):
    quote = quoting.create_quote(deal, org.vendedor_norte, currency="EUR")
    quoting.add_line(quote, org.vendedor_norte, description="Servicio", quantity=Decimal(1), unit_price=AMOUNT,
                     tax_rate=Decimal(0))
    body = ApiClient(as_reader(org.vendedor_norte, "es-ES")).get(f"/quotes/{quote.pk}").json()
    assert (body["total"], body["currency"]) == ("5801888.20", "EUR")


# ---------- Dates typed in a Spanish form ----------

def test_a_spanish_form_reads_31_12_2026_and_shows_it_back_so(client, org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    client.force_login(as_reader(org.vendedor_norte, "es-CL"))
    form = client.get(reverse("sales:quote_edit", args=[quote.pk])).content.decode()
    assert 'value="10-03-2026"' in form and 'type="date"' not in form
    response = client.post(reverse("sales:quote_edit", args=[quote.pk]), {
        "version": quote.version, "price_list": quote.price_list_id, "currency": "", "contact": "",
        "issued_on": "10/03/2026", "valid_until": "31-12-2026", "notes": "", "terms": "",
    })
    assert response.status_code == 302
    quote.refresh_from_db()
    assert (quote.issued_on, quote.valid_until) == (datetime.date(2026, 3, 10), datetime.date(2026, 12, 31))
    page = client.get(reverse("sales:quote_detail", args=[quote.pk])).content.decode()
    assert "31-12-2026" in page


def test_a_date_that_does_not_exist_is_a_field_error_and_nothing_is_saved(client, org, deal, catalogue, frozen):
    quote = make_quote(deal, org.vendedor_norte, catalogue)
    before = quote.valid_until
    client.force_login(as_reader(org.vendedor_norte, "es-CL"))
    response = client.post(reverse("sales:quote_edit", args=[quote.pk]), {
        "version": quote.version, "price_list": quote.price_list_id, "currency": "", "contact": "",
        "issued_on": "10-03-2026", "valid_until": "31-02-2026", "notes": "", "terms": "",
    })
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["valid_until"]
    # The message names the format with an example (its words come from the catalog).
    assert "31-12-2026" in errors["valid_until"][0]
    assert 'value="31-02-2026"' in response.content.decode()  # what was typed stays in the box
    quote.refresh_from_db()
    assert quote.valid_until == before and Quote.objects.count() == 1


def test_the_readers_office_is_read_once_and_only_by_a_page_with_money(client, org, django_assert_max_num_queries):
    for currency in ("EUR", "USD"):
        OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, amount=AMOUNT, currency=currency)
    client.force_login(as_reader(org.vendedor_norte, "es-ES"))

    def office_reads(captured):
        return [query["sql"] for query in captured if '"org_office"' in query["sql"]]

    with django_assert_max_num_queries(25) as deals:
        client.get(reverse("sales:opportunity_list"))
    assert len(office_reads(deals.captured_queries)) == 1
    with django_assert_max_num_queries(25) as contacts:
        client.get(reverse("contacts:list"))
    assert office_reads(contacts.captured_queries) == []
