"""Exchange rates: CSV import (all or nothing), the pages, the API (CRUD, import, convert), and the account
page's sales figures converted to the account's currency."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from vinculo.accounts.models import Invoice
from vinculo.accounts.sales import sales_summary
from vinculo.accounts.tests.factories import AccountFactory, InvoiceFactory
from vinculo.core.tests.api_client import BASE, ApiClient, error_fields
from vinculo.org.models import ExchangeRate
from vinculo.org.services import RateImportError, import_rates, parse_decimal

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.date(2026, 11, 23)


def stored():
    return {(rate.currency, rate.date): rate.rate for rate in ExchangeRate.objects.all()}


def rate_manager():
    from vinculo.org.tests.factories import UserFactory

    user = UserFactory(username="tesoreria")
    user.user_permissions.add(Permission.objects.get(codename="change_exchangerate"))
    return user


# Import

def test_import_reads_both_date_formats_decimal_comma_and_point_and_uf():
    result = import_rates(
        "date;currency;rate\n"
        "2026-11-23;UF;39.643,59\n"
        "23-11-2026;USD;948,12\n"
        "24/11/2026;EUR;1012.4\n"
        "2026-11-24;clf;39650.01\n"
    )
    assert (result.created, result.updated) == (4, 0)
    assert stored() == {
        ("CLF", DAY): D("39643.59"), ("USD", DAY): D("948.12"),
        ("EUR", datetime.date(2026, 11, 24)): D("1012.4"), ("CLF", datetime.date(2026, 11, 24)): D("39650.01"),
    }


def test_import_accepts_comma_separated_files_without_header_and_unquoted_decimal_commas():
    result = import_rates(b"2026-11-23,USD,948.12\r\n2026-11-24,USD,950,5\r\n\r\n")
    assert result.created == 2
    assert stored()[("USD", datetime.date(2026, 11, 24))] == D("950.5")


def test_import_updates_an_existing_currency_and_day_instead_of_duplicating():
    ExchangeRate.objects.create(currency="USD", date=DAY, rate=D("900"))
    result = import_rates("fecha;moneda;valor\n23-11-2026;USD;948,12\n23-11-2026;EUR;1000\n", source="BCCh")
    assert (result.created, result.updated) == (1, 1)
    assert ExchangeRate.objects.filter(currency="USD").count() == 1
    assert ExchangeRate.objects.get(currency="USD").rate == D("948.12")
    assert ExchangeRate.objects.get(currency="USD").source == "BCCh"


def test_a_bad_row_stores_nothing_and_every_problem_names_its_row_and_field():
    ExchangeRate.objects.create(currency="USD", date=DAY, rate=D("900"))
    with pytest.raises(RateImportError) as caught:
        import_rates(
            "date,currency,rate\n"
            "2026-11-23,USD,948.12\n"     # row 2: fine, but must not be stored
            "2026-13-40,EUR,1000\n"       # row 3: date
            "2026-11-23,GBP,1200\n"       # row 4: currency
            "2026-11-23,EUR,abc\n"        # row 5: rate
            "2026-11-23,EUR,-3\n"         # row 6: rate
            "2026-11-23,USD,950\n"        # row 7: duplicates row 2
            "2026-11-23\n"                # row 8: columns
        )
    problems = {(row, field) for row, field, _message in caught.value.problems}
    assert problems == {(3, "date"), (4, "currency"), (5, "rate"), (6, "rate"), (7, "date"), (8, "row")}
    assert stored() == {("USD", DAY): D("900")}
    assert any(message.startswith("Row 4, ") and "GBP" in message for message in caught.value.messages)


def test_empty_files_and_files_without_rows_are_refused():
    for content in ("", "date;currency;rate\n", b"\xff\xfe\x00\x00garbage"):
        with pytest.raises(RateImportError):
            import_rates(content)
    assert not ExchangeRate.objects.exists()


def test_a_file_with_a_nul_character_is_refused_as_not_text_on_every_python():
    # Python 3.10's csv module raises its own error at a NUL; 3.11+ reads on: the import refuses it first.
    for content in (b"2026-11-23;USD;950\x00\n", "2026-11-23;USD;950\n\x00"):
        with pytest.raises(RateImportError) as caught:
            import_rates(content)
        assert caught.value.problems == [(None, "file", "The file is not text (CSV in UTF-8 or Windows-1252).")]
    assert not ExchangeRate.objects.exists()


@pytest.mark.parametrize(("text", "value"), [
    ("948,12", "948.12"), ("948.12", "948.12"), ("39.643,59", "39643.59"), ("39,643.59", "39643.59"),
    ("1.234.567,5", "1234567.5"), (" 1 000,5 ", "1000.5"),
])
def test_parse_decimal_understands_comma_and_point(text, value):
    assert parse_decimal(text) == D(value)


# Pages

def test_rate_list_shows_latest_rate_per_currency_and_filters_history(client, org):
    for day, rate in [(datetime.date(2026, 11, 20), "940"), (DAY, "950")]:
        ExchangeRate.objects.create(currency="USD", date=day, rate=D(rate))
    ExchangeRate.objects.create(currency="EUR", date=DAY, rate=D("1010"))
    client.force_login(org.vendedor_norte)
    response = client.get(reverse("org:exchange_rate_list"))
    latest = {card["currency"]: card for card in response.context["latest"]}
    assert latest["USD"]["rate"].rate == D("950") and latest["USD"]["previous"].rate == D("940")
    assert latest["EUR"]["previous"] is None
    assert reverse("org:exchange_rate_create") not in response.content.decode()
    filtered = client.get(reverse("org:exchange_rate_list"), {"currency": "EUR"})
    assert [rate.currency for rate in filtered.context["page"].object_list] == ["EUR"]
    fragment = client.get(reverse("org:exchange_rate_list"), {"currency": "USD"}, HTTP_HX_REQUEST="true")
    assert fragment.content.decode().lstrip().startswith('<div id="rate-history">')


def test_rate_list_queries_are_bounded(client, org, django_assert_max_num_queries):
    client.force_login(org.admin)
    ExchangeRate.objects.create(currency="USD", date=DAY, rate=D("950"))
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("org:exchange_rate_list"))
    for offset in range(1, 120):
        for currency in ("USD", "EUR", "CLF"):
            ExchangeRate.objects.create(currency=currency, date=DAY - datetime.timedelta(days=offset), rate=D("10"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("org:exchange_rate_list")).status_code == 200


def test_only_permitted_users_change_rates(client, org):
    rate = ExchangeRate.objects.create(currency="USD", date=DAY, rate=D("950"))
    client.force_login(org.vendedor_norte)
    for url in (reverse("org:exchange_rate_create"), reverse("org:exchange_rate_edit", args=[rate.pk]),
                reverse("org:exchange_rate_import")):
        assert client.get(url).status_code == 403
    assert client.post(reverse("org:exchange_rate_delete", args=[rate.pk])).status_code == 403
    assert ExchangeRate.objects.filter(pk=rate.pk).exists()


def test_entering_a_rate_with_a_decimal_comma_and_refusing_a_duplicate_day(client):
    client.force_login(rate_manager())
    url = reverse("org:exchange_rate_create")
    response = client.post(url, {"currency": "CLF", "date": "2026-11-23", "rate": "39.643,59", "source": "SII"})
    assert response.status_code == 302
    assert stored() == {("CLF", DAY): D("39643.59")}
    response = client.post(url, {"currency": "CLF", "date": "2026-11-23", "rate": "39700"})
    assert response.status_code == 200
    assert "already a rate" in response.content.decode()
    response = client.post(url, {"currency": "USD", "date": "2026-11-23", "rate": "0"})
    assert "rate" in response.context["form"].errors
    response = client.post(url, {"currency": "CLP", "date": "2026-11-23", "rate": "1"})
    assert "currency" in response.context["form"].errors


def test_editing_and_deleting_a_rate(client):
    rate = ExchangeRate.objects.create(currency="USD", date=DAY, rate=D("950"))
    client.force_login(rate_manager())
    client.post(reverse("org:exchange_rate_edit", args=[rate.pk]), {"currency": "USD", "date": "2026-11-23",
                                                                     "rate": "951,5"})
    rate.refresh_from_db()
    assert rate.rate == D("951.5")
    client.post(reverse("org:exchange_rate_delete", args=[rate.pk]))
    assert not ExchangeRate.objects.exists()


def test_import_page_reports_counts_or_the_rows_in_error(client):
    client.force_login(rate_manager())
    url = reverse("org:exchange_rate_import")
    bad = SimpleUploadedFile("rates.csv", b"date;currency;rate\n2026-11-23;USD;948,12\n2026-11-23;XXX;1\n")
    response = client.post(url, {"file": bad})
    assert response.status_code == 200
    assert "Row 3, currency" in response.content.decode()
    assert not ExchangeRate.objects.exists()
    good = SimpleUploadedFile("rates.csv", b"date;currency;rate\n2026-11-23;USD;948,12\n2026-11-23;UF;39643,59\n")
    response = client.post(url, {"file": good}, follow=True)
    assert "2 new, 0 updated" in response.content.decode()


# API

def test_api_lists_rates_with_filters(org):
    for currency, day in [("USD", DAY), ("USD", datetime.date(2026, 10, 1)), ("EUR", DAY)]:
        ExchangeRate.objects.create(currency=currency, date=day, rate=D("1000"))
    api = ApiClient(org.vendedor_norte)
    assert api.get("/exchange-rates").json()["count"] == 3
    assert api.get("/exchange-rates", currency="USD").json()["count"] == 2
    items = api.get("/exchange-rates", date_from="2026-11-01", date_to="2026-11-30").json()["items"]
    assert {item["currency"] for item in items} == {"USD", "EUR"} and len(items) == 2
    assert api.get("/exchange-rates", currency="GBP").status_code == 422


def test_api_rate_writes_need_the_permission(org):
    rate = ExchangeRate.objects.create(currency="USD", date=DAY, rate=D("950"))
    rep = ApiClient(org.vendedor_norte)
    assert rep.post("/exchange-rates", {"currency": "EUR", "date": "2026-11-23", "rate": "1000"}).status_code == 403
    assert rep.patch(f"/exchange-rates/{rate.pk}", {"rate": "1"}).status_code == 403
    assert rep.delete(f"/exchange-rates/{rate.pk}").status_code == 403
    api = ApiClient(rate_manager())
    response = api.post("/exchange-rates", {"currency": "EUR", "date": "2026-11-23", "rate": "1000.5"})
    assert response.status_code == 201 and D(response.json()["rate"]) == D("1000.5")
    response = api.post("/exchange-rates", {"currency": "EUR", "date": "2026-11-23", "rate": "1001"})
    assert response.status_code == 422 and error_fields(response) == {"date"}
    response = api.post("/exchange-rates", {"currency": "USD", "date": "2026-11-24", "rate": "-1"})
    assert response.status_code == 422 and error_fields(response) == {"rate"}
    assert api.patch(f"/exchange-rates/{rate.pk}", {"rate": "960"}).json()["rate"] in ("960", "960.000000")
    assert api.delete(f"/exchange-rates/{rate.pk}").status_code == 204


def test_api_import_is_all_or_nothing(org):
    api = ApiClient(rate_manager())
    bad = SimpleUploadedFile("r.csv", b"date,currency,rate\n2026-11-23,USD,948.12\n2026-11-23,USD,abc\n")
    response = api.client.post(f"{BASE}/exchange-rates/import", {"file": bad})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "date" or "rate" in error_fields(response)
    assert any("Row 3" in error["message"] for error in response.json()["detail"])
    assert not ExchangeRate.objects.exists()
    good = SimpleUploadedFile("r.csv", b"date,currency,rate\n2026-11-23,USD,948.12\n")
    response = api.client.post(f"{BASE}/exchange-rates/import", {"file": good})
    assert response.json() == {"created": 1, "updated": 0}
    rep = ApiClient(org.vendedor_norte)
    again = SimpleUploadedFile("r.csv", b"2026-11-23,USD,948.12\n")
    assert rep.client.post(f"{BASE}/exchange-rates/import", {"file": again}).status_code == 403


def test_api_converts_with_the_rate_of_the_day(org):
    ExchangeRate.objects.create(currency="USD", date=datetime.date(2026, 11, 1), rate=D("950"))
    ExchangeRate.objects.create(currency="EUR", date=datetime.date(2026, 11, 1), rate=D("1045"))
    api = ApiClient(org.vendedor_norte)
    response = api.get("/exchange-rates/convert", amount="100", **{"from": "EUR", "to": "USD", "date": "2026-11-20"})
    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"], D(body["result"]), D(body["rate"])) == ("EUR", "USD", D("110.00"), D("1.1"))
    response = api.get("/exchange-rates/convert", amount="100", **{"from": "USD", "to": "CLP", "date": "2026-10-01"})
    assert response.status_code == 422 and error_fields(response) == {"from"}


# The account page's sales figures

def test_sales_figures_convert_each_invoice_currency_at_its_month_rate(org):
    today = datetime.date(2026, 11, 23)
    ExchangeRate.objects.create(currency="USD", date=datetime.date(2026, 9, 1), rate=D("900"))
    ExchangeRate.objects.create(currency="USD", date=datetime.date(2026, 11, 1), rate=D("1000"))
    account = AccountFactory(owner=org.vendedor_norte, currency="CLP")
    InvoiceFactory(account=account, issue_date=datetime.date(2026, 10, 5), due_date=datetime.date(2026, 10, 30),
                   amount=D("100"), currency="USD", balance=D("0"))  # October: 900 CLP per USD
    InvoiceFactory(account=account, issue_date=datetime.date(2026, 11, 5), due_date=datetime.date(2026, 11, 10),
                   amount=D("100"), currency="USD")  # November: 1,000 CLP; still owed, overdue
    InvoiceFactory(account=account, issue_date=datetime.date(2026, 11, 6), due_date=datetime.date(2026, 12, 6),
                   amount=D("50000"), currency="CLP")
    summary = sales_summary([account.pk], today, "CLP")
    assert summary.month == D("150000")
    assert summary.quarter == summary.year == D("240000")
    assert summary.outstanding == D("150000") and summary.overdue == D("100000")
    assert summary.unconverted == []
    in_usd = sales_summary([account.pk], today, "USD")
    assert in_usd.month == D("150.00") and in_usd.year == D("250.00")


def test_sales_figures_leave_out_and_name_a_currency_without_rate(client, org):
    account = org.north_account
    today = datetime.date.today()
    InvoiceFactory(account=account, issue_date=today, due_date=today, amount=D("100"), currency="EUR",
                   status=Invoice.Status.ISSUED)
    InvoiceFactory(account=account, issue_date=today, due_date=today, amount=D("5000"), currency="CLP")
    summary = sales_summary([account.pk], today, "CLP")
    assert summary.month == D("5000") and summary.unconverted == ["EUR"]
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert "Invoices in EUR are left out" in html
