import datetime

import pytest

from vinculo.core import clock

TODAY = datetime.date(2026, 4, 15)
NOW = datetime.datetime(2026, 4, 15, 15, tzinfo=datetime.timezone.utc)  # 11:00 in Santiago


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
