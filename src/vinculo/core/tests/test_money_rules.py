"""Money rules pinned by hand: every conversion path rounds to the target currency's minor unit,
dated rates are read for the day asked (never today by accident), the base currency comes from the
settings, missing rates name the currency and the day, and money is written in the active language."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from vinculo.core.money import (
    MissingRate,
    RateHistory,
    base_currency,
    convert,
    current_locale,
    format_money,
    quantize,
    rates_on,
    total_in,
)
from vinculo.org.models import ExchangeRate

D = Decimal
OCT_1, OCT_20, OCT_31 = datetime.date(2026, 10, 1), datetime.date(2026, 10, 20), datetime.date(2026, 10, 31)
NOV_1, NOV_5, NOV_10 = datetime.date(2026, 11, 1), datetime.date(2026, 11, 5), datetime.date(2026, 11, 10)
NOV_15, NOV_20, NOV_30, DEC_1 = (datetime.date(2026, 11, 15), datetime.date(2026, 11, 20),
                                 datetime.date(2026, 11, 30), datetime.date(2026, 12, 1))


@pytest.fixture
def today_is_nov_30(monkeypatch):
    monkeypatch.setattr("vinculo.core.clock.now", lambda: timezone.make_aware(datetime.datetime(2026, 11, 30, 12)))


# ---------- The base currency ----------

def test_the_base_currency_is_the_one_configured(settings, db):
    # An organisation keeping its books in dollars: 1 peso = 0.00105 USD.
    settings.VINCULO = {**settings.VINCULO, "BASE_CURRENCY": "USD"}
    ExchangeRate.objects.create(currency="CLP", date=NOV_1, rate=D("0.00105"))
    assert base_currency() == "USD"
    assert rates_on(["USD"], NOV_1) == {"USD": D(1)}
    assert convert(D("100000"), "CLP", "USD", NOV_1) == D("105.00")
    assert convert(D("105"), "USD", "CLP", NOV_1) == D("100000")


def test_without_a_configured_base_the_peso_is_the_base(settings, rates):
    settings.VINCULO = {key: value for key, value in settings.VINCULO.items() if key != "BASE_CURRENCY"}
    assert base_currency() == "CLP"
    assert rates_on(["CLP", "USD"], NOV_15) == {"CLP": D(1), "USD": D("1000")}


# ---------- Rounding on every conversion path ----------

def test_same_currency_conversion_still_rounds_to_the_minor_unit(db):
    assert convert(D("10.5"), "CLP", "CLP", NOV_1) == D("11")
    assert convert(D("12.345"), "CLF", "CLF", NOV_1) == D("12.35")


def test_conversion_to_pesos_rounds_half_up_to_a_whole_peso(rates):
    # 10.01 USD × 950 = 9,509.5 pesos → 9,510, never 9,509.50.
    assert convert(D("10.01"), "USD", "CLP", NOV_1) == D("9510")
    assert total_in({"USD": D("10.01")}, "CLP", NOV_1) == D("9510")
    assert RateHistory(["USD"], NOV_1, NOV_30).convert(D("10.01"), "USD", "CLP", NOV_1) == D("9510")


def test_a_currency_without_a_known_minor_unit_gets_two_decimals():
    assert quantize(D("1.005"), "GBP") == D("1.01")
    assert format_money(D("1234.5"), "GBP", "en") == "£1,234.50"


# ---------- Sums in several currencies ----------

def test_total_in_uses_the_rates_of_the_day_asked_not_todays(rates, today_is_nov_30):
    # On Nov 1 the dollar was worth 950 pesos; today it is worth 1,000.
    assert total_in({"USD": D("100")}, "CLP", NOV_1) == D("95000")
    assert total_in({"USD": D("100")}, "CLP") == D("100000")


def test_total_in_with_rates_read_beforehand_makes_no_query(rates, django_assert_num_queries):
    day_rates = rates_on(["USD", "EUR", "CLP"], NOV_15)
    with django_assert_num_queries(0):
        # 100 × 1,000 + 100 × 1,100 = 210,000 pesos = 210 dollars; a zero UF amount needs no UF rate.
        assert total_in({"USD": D("100"), "EUR": D("100"), "CLF": D("0")}, "CLP", NOV_15, rates=day_rates) == D(
            "210000")
        assert total_in({"USD": D("100"), "EUR": D("100")}, "USD", NOV_15, rates=day_rates) == D("210.00")


def test_a_rate_missing_from_the_rates_given_names_the_currency_and_the_day(rates, today_is_nov_30):
    day_rates = rates_on(["USD", "CLP"], NOV_15)
    with pytest.raises(MissingRate) as caught:
        total_in({"USD": D("100"), "EUR": D("100")}, "CLP", NOV_15, rates=day_rates)
    assert (caught.value.currency, caught.value.on) == ("EUR", NOV_15)
    # Without a day, the rates were today's.
    with pytest.raises(MissingRate) as caught:
        total_in({"USD": D("100")}, "EUR", rates=day_rates)
    assert (caught.value.currency, caught.value.on) == ("EUR", NOV_30)


def test_a_missing_rate_says_which_currency_and_day_in_its_message(rates):
    with pytest.raises(MissingRate) as caught:
        convert(D("10"), "USD", "CLP", OCT_31)
    assert str(caught.value) == "No exchange rate for USD on or before 2026-10-31."


# ---------- Rates over a period ----------

def test_rate_history_converts_to_and_from_the_base(rates):
    history = RateHistory(["USD", "CLP"], NOV_1, NOV_30)
    assert history.rate("CLP", NOV_20) == D(1)
    assert history.convert(D("100"), "USD", "CLP", NOV_20) == D("100000")
    assert history.convert(D("95000"), "CLP", "USD", NOV_10) == D("100.00")


def test_rate_history_same_currency_value_is_the_amount_unrounded(rates):
    history = RateHistory(["USD"], NOV_1, NOV_30)
    assert history.value(D("12.345"), "USD", "USD", NOV_10) == D("12.345")
    assert history.convert(D("12.345"), "USD", "USD", NOV_10) == D("12.35")


def test_rate_history_refuses_a_currency_or_a_day_it_did_not_read(rates):
    history = RateHistory(["USD"], NOV_5, NOV_30)
    with pytest.raises(ValueError):
        history.rate("EUR", NOV_20)
    with pytest.raises(ValueError):
        history.rate("USD", NOV_1)
    with pytest.raises(ValueError):
        history.rate("USD", DEC_1)
    assert history.rate("USD", NOV_5) == D("950") and history.rate("USD", NOV_30) == D("1000")


def test_rate_history_before_any_rate_names_the_currency_and_the_day(rates):
    history = RateHistory(["USD"], OCT_1, NOV_30)
    with pytest.raises(MissingRate) as caught:
        history.rate("USD", OCT_20)
    assert (caught.value.currency, caught.value.on) == ("USD", OCT_20)


def test_rate_history_follows_the_days_whatever_order_the_rates_were_entered(db):
    # A rate back-filled after later ones (Nov 5 entered last) still applies from Nov 5 to Nov 14.
    for day, rate in [(NOV_15, "1000"), (NOV_1, "950"), (NOV_20, "1020"), (NOV_5, "960")]:
        ExchangeRate.objects.create(currency="USD", date=day, rate=D(rate))
    history = RateHistory(["USD"], NOV_1, NOV_30)
    assert [history.rate("USD", day) for day in (NOV_1, NOV_5, NOV_10, NOV_15, NOV_20, NOV_30)] == [
        D("950"), D("960"), D("960"), D("1000"), D("1020"), D("1020")]


# ---------- Writing money ----------

@pytest.mark.parametrize(("language", "locale"), [
    ("es", "es_CL"), ("es-cl", "es_CL"), ("en", "en"), ("en-us", "en"), ("en-gb", "en"),
    # A language Vínculo has no number format for is written as at home, in Chilean Spanish.
    ("pt-br", "es_CL"), ("fr", "es_CL"),
])
def test_numbers_are_written_in_the_format_of_the_active_language(language, locale):
    with translation.override(language):
        assert current_locale() == locale


def test_with_no_active_language_money_is_written_in_chilean_spanish():
    with translation.override(None):
        assert current_locale() == "es_CL"
        assert format_money(D("1234567"), "CLP") == "$1.234.567"


@pytest.mark.parametrize(("amount", "text"), [
    # Half a peso rounds up, as everywhere in Vínculo, never to the even peso.
    ("2.5", "$3"), ("1234568.5", "$1.234.569"), ("0.49", "$0"),
])
def test_whole_pesos_round_half_up_when_written(amount, text):
    assert format_money(D(amount), "CLP", "es_CL") == text
