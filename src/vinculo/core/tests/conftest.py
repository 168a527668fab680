import datetime
from decimal import Decimal

import pytest

from vinculo.org.models import ExchangeRate


@pytest.fixture
def rates(db):
    """USD 950 from Nov 1 2026, 1,000 from Nov 15; EUR 1,050 then 1,100; UF 39,000 then 40,000 (in pesos)."""
    nov_1, nov_15 = datetime.date(2026, 11, 1), datetime.date(2026, 11, 15)
    for currency, day, rate in [
        ("USD", nov_1, "950"), ("USD", nov_15, "1000"),
        ("EUR", nov_1, "1050"), ("EUR", nov_15, "1100"),
        ("CLF", nov_1, "39000"), ("CLF", nov_15, "40000"),
    ]:
        ExchangeRate.objects.create(currency=currency, date=day, rate=Decimal(rate))
