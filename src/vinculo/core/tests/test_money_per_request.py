"""Exchange rates read once per request (core.money.rates_read_once, RatesMiddleware): a page converting money
in several places reads each currency's rates once, and a rate written within the request, or between two
requests, is the one the next conversion uses."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from vinculo.core import money
from vinculo.core.money import MissingRate, RateHistory, RatesMiddleware, convert, rates_on, rates_read_once
from vinculo.org.models import ExchangeRate
from vinculo.org.services import import_rates

D = Decimal
OCT_31, NOV_1, NOV_14 = datetime.date(2026, 10, 31), datetime.date(2026, 11, 1), datetime.date(2026, 11, 14)
NOV_15, NOV_20, NOV_30 = datetime.date(2026, 11, 15), datetime.date(2026, 11, 20), datetime.date(2026, 11, 30)
DEC_10 = datetime.date(2026, 12, 10)


def queries(action) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as captured:
        result = action()
    return result, len(captured)


def test_a_currency_read_for_a_period_is_not_read_again_for_that_period_or_a_part_of_it(rates):
    with rates_read_once():
        history, first = queries(lambda: RateHistory(["USD", "EUR"], NOV_1, NOV_30))
        assert first == 3  # the period's rows, and each currency's rate before it
        again, count = queries(lambda: RateHistory(["EUR", "USD", "CLP"], NOV_15, NOV_20))
        assert count == 0
        assert (again.rate("USD", NOV_15), again.rate("EUR", NOV_20)) == (D("1000"), D("1100"))
        found, count = queries(lambda: rates_on(["USD", "EUR"], NOV_14))
        assert (found, count) == ({"USD": D("950"), "EUR": D("1050")}, 0)
        assert history.rate("USD", NOV_14) == D("950")


def test_a_wider_period_reads_the_currency_again_and_a_day_outside_once(rates):
    with rates_read_once():
        RateHistory(["USD"], NOV_15, NOV_20)
        wider, count = queries(lambda: RateHistory(["USD"], NOV_1, NOV_30))
        assert count == 2
        assert (wider.rate("USD", NOV_1), wider.rate("USD", NOV_30)) == (D("950"), D("1000"))
        assert queries(lambda: RateHistory(["USD"], NOV_15, NOV_20))[1] == 0  # the wider period holds it
        assert queries(lambda: rates_on(["USD"], DEC_10)) == ({"USD": D("1000")}, 1)
        assert queries(lambda: rates_on(["USD"], DEC_10)) == ({"USD": D("1000")}, 0)
        with pytest.raises(MissingRate):  # no rate yet on October 31, whether read or remembered
            rates_on(["USD"], OCT_31)
        with pytest.raises(MissingRate):
            RateHistory(["USD"], OCT_31, NOV_30).rate("USD", OCT_31)


def test_the_same_figures_with_and_without_the_memo(rates):
    days = [NOV_1 + datetime.timedelta(days=n) for n in range(30)]
    plain = [
        RateHistory(["USD", "EUR", "CLF"], NOV_1, NOV_30).convert(D("123.45"), "EUR", "CLF", day)
        for day in days
    ]
    with rates_read_once():
        RateHistory(["CLF"], NOV_15, NOV_30)  # a narrower read first: the wider one replaces it
        remembered = [
            RateHistory(["USD", "EUR", "CLF"], NOV_1, NOV_30).convert(D("123.45"), "EUR", "CLF", day)
            for day in days
        ]
        assert [convert(D("100"), "USD", "CLP", day) for day in days] == [D("95000")] * 14 + [
            D("100000")
        ] * 16
    assert remembered == plain


def test_a_rate_saved_or_deleted_within_the_request_is_the_one_used_next(rates):
    with rates_read_once():
        assert RateHistory(["USD"], NOV_1, NOV_30).rate("USD", NOV_20) == D("1000")
        assert rates_on(["USD"], DEC_10) == {"USD": D("1000")}
        new = ExchangeRate.objects.create(currency="USD", date=NOV_20, rate=D("980"))
        assert RateHistory(["USD"], NOV_1, NOV_30).rate("USD", NOV_20) == D("980")
        assert rates_on(["USD"], DEC_10) == {"USD": D("980")}
        new.rate = D("990")
        new.save()
        assert rates_on(["USD"], NOV_30) == {"USD": D("990")}
        new.delete()
        assert RateHistory(["USD"], NOV_1, NOV_30).rate("USD", NOV_20) == D("1000")


def test_rates_imported_in_bulk_within_the_request_are_the_ones_used_next(rates):
    with rates_read_once():
        assert rates_on(["EUR"], NOV_20) == {"EUR": D("1100")}
        import_rates("date,currency,rate\n2026-11-20,EUR,1200\n2026-11-15,EUR,1150\n")
        assert rates_on(["EUR"], NOV_20) == {"EUR": D("1200")}
        assert RateHistory(["EUR"], NOV_15, NOV_30).rate("EUR", NOV_15) == D("1150")


def test_each_request_reads_the_rates_as_they_are_when_it_runs(rates):
    seen = []

    def page(request):
        seen.append(
            (RateHistory(["USD"], NOV_1, NOV_30).rate("USD", NOV_20), rates_on(["USD"], NOV_20)["USD"])
        )
        return None

    middleware = RatesMiddleware(page)
    middleware(RequestFactory().get("/"))
    ExchangeRate.objects.filter(currency="USD", date=NOV_15).update(rate=D("1010"))  # no signal: a raw write
    middleware(RequestFactory().get("/"))
    assert seen == [(D("1000"), D("1000")), (D("1010"), D("1010"))]
    assert money._rates_memo.get() is None  # nothing kept outside a request


@pytest.mark.django_db
def test_outside_a_request_every_conversion_reads_the_table(rates):
    assert queries(lambda: RateHistory(["USD"], NOV_1, NOV_30))[1] == 2
    assert queries(lambda: RateHistory(["USD"], NOV_1, NOV_30))[1] == 2
    assert queries(lambda: rates_on(["USD"], NOV_20))[1] == 1
    assert queries(lambda: rates_on(["USD"], NOV_20))[1] == 1
