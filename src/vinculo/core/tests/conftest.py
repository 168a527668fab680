import datetime
import os
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


# Database 15 of the machine's Redis, which nothing else uses; each test takes a queue named for it alone.
REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis():
    """A connection to the machine's Redis. Skipped only when Redis is unreachable outside CI."""
    from redis import Redis
    from redis.exceptions import ConnectionError

    connection = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except ConnectionError:
        if os.environ.get("CI"):
            pytest.fail("Redis is not answering on 127.0.0.1:6379: .ci/run starts it")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    yield connection
    connection.close()
