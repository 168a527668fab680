"""Exchange-rate input the API used to answer with a 500 (issue 9): a CSV whose lines end in a lone CR
(old Mac exports), a CSV the csv module cannot read, and a conversion of an amount beyond any real one."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from vinculo.core.tests.api_client import BASE, ApiClient, error_fields
from vinculo.org.models import ExchangeRate
from vinculo.org.services import RateImportError, read_rates_csv

from .test_exchange_rates import rate_manager

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("end", ["\r", "\n", "\r\n"])
def test_rows_may_end_in_cr_lf_or_both(end):
    text = end.join(["date;currency;rate", "2026-11-23;USD;950,5", "2026-11-24;EUR;1045"]) + end
    assert [(currency, day, rate) for _n, currency, day, rate in read_rates_csv(text.encode())] == [
        ("USD", datetime.date(2026, 11, 23), Decimal("950.5")),
        ("EUR", datetime.date(2026, 11, 24), Decimal("1045")),
    ]


def test_a_file_the_csv_reader_cannot_read_is_a_file_problem():
    with pytest.raises(RateImportError) as refused:
        read_rates_csv(b'2026-11-23,USD,"950\x00')
    assert [name for _row, name, _message in refused.value.problems] == ["file"]


def test_the_api_imports_a_cr_only_csv(org):
    api = ApiClient(rate_manager())
    upload = SimpleUploadedFile("tasas.csv", b"2026-11-23,USD,948.12\r2026-11-24,USD,949\r")
    response = api.client.post(f"{BASE}/exchange-rates/import", {"file": upload})
    assert response.status_code == 200 and response.json() == {"created": 2, "updated": 0}
    assert ExchangeRate.objects.count() == 2


@pytest.mark.parametrize("amount, ok", [
    ("999999999999999999", True),  # 18 integer digits
    ("999999999999999999.999999", True),  # and 6 decimals: 24 digits
    ("1e308", False), ("-1.0641540836820693e+74", False), ("0.0000001", False),
    ("9999999999999999999", False),  # 19 integer digits
])
def test_convert_takes_amounts_of_up_to_24_digits_6_of_them_decimals(org, amount, ok):
    ExchangeRate.objects.create(currency="USD", date=datetime.date(2026, 11, 1), rate=Decimal("950"))
    response = ApiClient(org.vendedor_norte).get("/exchange-rates/convert", amount=amount, to="USD", date="2026-11-02",
                                                 **{"from": "CLP"})
    if ok:
        assert response.status_code == 200, response.json()
    else:
        assert response.status_code == 422 and error_fields(response) == {"amount"}
