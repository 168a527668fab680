"""Money: rounding per currency, conversion with dated rates, formatting per locale."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from vinculo.core.money import MissingRate, RateHistory, convert, format_money, quantize, rates_on, total_in

D = Decimal
NOV_1, NOV_15, NOV_30 = datetime.date(2026, 11, 1), datetime.date(2026, 11, 15), datetime.date(2026, 11, 30)


def test_quantize_rounds_half_up_to_the_currency_minor_unit():
    assert quantize(D("1234.5"), "CLP") == D("1235")
    assert quantize(D("-1234.5"), "CLP") == D("-1235")
    assert quantize(D("12.345"), "CLF") == D("12.35")
    assert quantize(D("0.005"), "USD") == D("0.01")


def test_conversions_between_every_pair_use_the_rates_through_the_base_currency(rates):
    assert convert(D("100"), "USD", "CLP", NOV_15) == D("100000")
    assert convert(D("100000"), "CLP", "USD", NOV_15) == D("100.00")
    assert convert(D("100"), "EUR", "USD", NOV_15) == D("110.00")
    assert convert(D("110"), "USD", "EUR", NOV_15) == D("100.00")
    assert convert(D("1"), "CLF", "CLP", NOV_15) == D("40000")
    assert convert(D("1000000"), "CLP", "CLF", NOV_15) == D("25.00")
    assert convert(D("40"), "USD", "CLF", NOV_15) == D("1.00")
    assert convert(D("2.5"), "CLF", "EUR", NOV_15) == D("90.91")  # 100,000 / 1,100


def test_conversion_uses_the_latest_rate_on_or_before_the_day(rates):
    assert rates_on(["USD"], NOV_1)["USD"] == D("950")
    assert rates_on(["USD"], NOV_15 - datetime.timedelta(days=1))["USD"] == D("950")
    assert rates_on(["USD"], NOV_15)["USD"] == D("1000")
    assert rates_on(["USD"], NOV_30)["USD"] == D("1000")
    assert convert(D("10"), "USD", "CLP", datetime.date(2026, 11, 10)) == D("9500")


def test_a_day_before_any_rate_raises_missing_rate_naming_currency_and_day(rates):
    with pytest.raises(MissingRate) as caught:
        convert(D("10"), "USD", "CLP", datetime.date(2026, 10, 31))
    assert (caught.value.currency, caught.value.on) == ("USD", datetime.date(2026, 10, 31))


def test_same_currency_needs_no_rate(db):
    assert convert(D("10.555"), "USD", "USD", NOV_1) == D("10.56")
    assert rates_on(["CLP"], NOV_1) == {"CLP": D(1)}


def test_total_in_adds_amounts_of_several_currencies_at_the_day_rates(rates):
    amounts = {"CLP": D("500000"), "USD": D("100"), "EUR": D("100"), "CLF": D("0")}
    assert total_in(amounts, "CLP", NOV_15) == D("710000")
    assert total_in(amounts, "USD", NOV_15) == D("710.00")
    assert total_in(amounts, "CLF", NOV_15) == D("17.75")


def test_rate_history_gives_the_same_rates_as_rates_on_for_every_day(rates, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        history = RateHistory(["USD", "EUR", "CLF", "CLP"], datetime.date(2026, 11, 5), NOV_30)
    day = datetime.date(2026, 11, 5)
    while day <= NOV_30:
        for currency in ("USD", "EUR", "CLF"):
            assert history.rate(currency, day) == rates_on([currency], day)[currency]
        day += datetime.timedelta(days=1)
    assert history.convert(D("100"), "EUR", "USD", NOV_30) == D("110.00")


def test_rate_history_without_an_earlier_rate_raises_missing_rate(rates):
    history = RateHistory(["USD"], datetime.date(2026, 10, 1), NOV_30)
    with pytest.raises(MissingRate):
        history.rate("USD", datetime.date(2026, 10, 20))
    assert history.rate("USD", NOV_1) == D("950")


NBSP = "\u00a0"


# Written by hand from CLDR's currency patterns (babel's), with CLDR's currency spacing: a symbol made of
# letters is kept apart from the digits by a no-break space.
@pytest.mark.parametrize(("amount", "currency", "locale", "text"), [
    ("1234567.5", "CLP", "es_CL", "$1.234.568"),
    ("12.5", "CLF", "es_CL", f"UF{NBSP}12,50"),
    ("39643.59", "CLF", "es_CL", f"UF{NBSP}39.643,59"),
    ("1234.5", "USD", "es_CL", "US$1.234,50"),
    ("1234.5", "EUR", "es_ES", f"1.234,50{NBSP}€"),
    ("1234567.5", "CLP", "en", f"CLP{NBSP}1,234,568"),
    ("1234.5", "USD", "en", "$1,234.50"),
    ("12.5", "CLF", "en", f"UF{NBSP}12.50"),
    ("-12.345", "CLF", "es_CL", "UF-12,35"),
])
def test_money_is_formatted_per_locale_with_the_currency_decimals(amount, currency, locale, text):
    assert format_money(D(amount), currency, locale) == text


def test_format_money_follows_the_active_language():
    with translation.override("es"):
        assert format_money(D("1234567"), "CLP") == "$1.234.567"
    with translation.override("en"):
        assert format_money(D("1234.5"), "USD") == "$1,234.50"
    assert format_money(None, "CLP") == ""
