"""The limits of exchange rates at, below and above each one, with the numbers written by hand: an imported
CSV may weigh 2 MB (2,097,152 bytes) and hold 20,000 rows (a header row not counted); the rate history
page shows 30 rates a page."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from vinculo.org.forms import ExchangeRateImportForm
from vinculo.org.models import ExchangeRate
from vinculo.org.services import RateImportError, read_rates_csv

TWO_MB = 2 * 1024 * 1024  # 2,097,152


@pytest.mark.parametrize("size, valid", [(TWO_MB - 1, True), (TWO_MB, True), (TWO_MB + 1, False)])
def test_an_import_file_may_weigh_2_mb_and_not_a_byte_more(size, valid):
    line = b"2026-11-23;USD;950,5\n"
    content = (line * (size // len(line) + 1))[:size]
    form = ExchangeRateImportForm({}, {"file": SimpleUploadedFile("tasas.csv", content, content_type="text/csv")})
    assert form.is_valid() is valid
    if not valid:
        assert list(form.errors) == ["file"]


def rows_csv(count: int, header: bool = False) -> str:
    start = datetime.date(1970, 1, 1)
    lines = ["fecha;moneda;valor"] if header else []
    lines += [f"{start + datetime.timedelta(days=n)};USD;950" for n in range(count)]
    return "\n".join(lines)


@pytest.mark.parametrize("header", [False, True])
def test_an_import_may_hold_20000_rows(header):
    rows = read_rates_csv(rows_csv(20_000, header=header))
    assert len(rows) == 20_000
    # 1 January 1970 + 19,999 days: 54 years with 13 leap days are 19,723 days, then 276 days into 2024.
    assert rows[-1][1:] == ("USD", datetime.date(2024, 10, 3), Decimal("950"))


def test_an_import_of_20001_rows_is_refused_naming_the_limit():
    with pytest.raises(RateImportError) as refused:
        read_rates_csv(rows_csv(20_001))
    assert [(row, field) for row, field, _message in refused.value.problems] == [(None, "file")]
    assert "more than 20000 rows" in refused.value.problems[0][2]


@pytest.mark.django_db
@pytest.mark.parametrize("rates, on_first, pages", [(30, 30, 1), (31, 30, 2)])
def test_the_rate_history_shows_30_rates_a_page(client, org, rates, on_first, pages):
    ExchangeRate.objects.bulk_create(
        ExchangeRate(currency="USD", date=datetime.date(2026, 1, 1) + datetime.timedelta(days=n), rate=Decimal("950"))
        for n in range(rates)
    )
    client.force_login(org.vendedor_norte)
    page = client.get(reverse("org:exchange_rate_list")).context["page"]
    assert (len(page.object_list), page.paginator.num_pages) == (on_first, pages)
