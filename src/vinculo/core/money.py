"""Money: rounding per currency, conversion with dated exchange rates, and formatting per locale (babel)."""

import bisect
import datetime
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency
from django.conf import settings
from django.db import models
from django.utils import translation

from . import clock

# Minor units we round to. CLP has no decimals; the UF (ISO code CLF) is quoted with two here, as
# Chilean quotes and invoices do (ISO says four, which nobody prints).
MINOR_DIGITS = {"CLP": 0, "CLF": 2, "USD": 2, "EUR": 2}
SYMBOLS = {"CLF": "UF"}


class Currency(models.TextChoices):
    """The currencies Vínculo records amounts in; the UF is stored under its ISO code, CLF."""

    CLP = "CLP", "CLP"
    UF = "CLF", "UF"
    USD = "USD", "USD"
    EUR = "EUR", "EUR"


class MissingRate(LookupError):
    def __init__(self, currency: str, on: datetime.date):
        self.currency, self.on = currency, on
        super().__init__(f"No exchange rate for {currency} on or before {on}.")


_rate_table = None


def register_rate_table(model) -> None:
    """The model holding the dated rates (`currency`, `date`, `rate`): the organisation's exchange-rate
    table, registered by the org app, which sits above the kernel."""
    global _rate_table
    _rate_table = model


def _rates():
    if _rate_table is None:
        raise LookupError("No exchange-rate table is registered (the org app registers it in its ready()).")
    return _rate_table.objects


def base_currency() -> str:
    return settings.VINCULO.get("BASE_CURRENCY", "CLP")


def quantize(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded half-up to the currency's minor unit."""
    exponent = Decimal(1).scaleb(-MINOR_DIGITS.get(currency, 2))
    return Decimal(amount).quantize(exponent, rounding=ROUND_HALF_UP)


def rates_on(currencies: Iterable[str], on: datetime.date | None = None) -> dict[str, Decimal]:
    """The latest rate on or before `on` of each currency (one query per currency; the base is 1)."""
    on = on or clock.today()
    base = base_currency()
    rates = {}
    for currency in set(currencies):
        if currency == base:
            rates[currency] = Decimal(1)
            continue
        rate = (
            _rates().filter(currency=currency, date__lte=on).order_by("-date").values_list("rate", flat=True)
        ).first()
        if rate is None:
            raise MissingRate(currency, on)
        rates[currency] = rate
    return rates


def convert(amount: Decimal, from_currency: str, to_currency: str, on: datetime.date | None = None) -> Decimal:
    if from_currency == to_currency:
        return quantize(amount, to_currency)
    rates = rates_on([from_currency, to_currency], on)
    return quantize(Decimal(amount) * rates[from_currency] / rates[to_currency], to_currency)


def total_in(amounts: Mapping[str, Decimal], to_currency: str, on: datetime.date | None = None,
             rates: Mapping[str, Decimal] | None = None) -> Decimal:
    """The sum of per-currency amounts ({"CLP": …, "USD": …}) in `to_currency`, at the rates of `on`.
    Pass `rates` (from `rates_on`) to convert many sums with the same few queries."""
    amounts = {currency: amount for currency, amount in amounts.items() if amount}
    if rates is None:
        rates = rates_on([*amounts, to_currency], on)
    elif missing := [currency for currency in (*amounts, to_currency) if currency not in rates]:
        raise MissingRate(missing[0], on or clock.today())
    total = sum((Decimal(amount) * rates[currency] for currency, amount in amounts.items()), Decimal(0))
    return quantize(total / rates[to_currency], to_currency)


class RateHistory:
    """The rates of some currencies over a period, read at once, for converting many amounts of different
    days (a sales chart by month): two queries at most per currency, whatever the number of amounts.

    `rate(currency, on)` is the latest rate on or before `on`, as `rates_on` gives it; MissingRate when
    there is none."""

    def __init__(self, currencies: Iterable[str], start: datetime.date, end: datetime.date):
        self.base = base_currency()
        self.start, self.end = start, end
        self._days: dict[str, list[datetime.date]] = {}
        self._rates: dict[str, list[Decimal]] = {}
        others = sorted(set(currencies) - {self.base})
        if not others:
            return
        rows = list(
            _rates().filter(currency__in=others, date__gte=start, date__lte=end)
            .order_by("currency", "date").values_list("currency", "date", "rate")
        )
        for currency in others:
            # The rate in force on `start` may have been set before it.
            earlier = (
                _rates().filter(currency=currency, date__lt=start).order_by("-date").values_list("date", "rate")
            ).first()
            self._days[currency], self._rates[currency] = ([earlier[0]], [earlier[1]]) if earlier else ([], [])
        for currency, day, rate in rows:
            self._days[currency].append(day)
            self._rates[currency].append(rate)

    def rate(self, currency: str, on: datetime.date) -> Decimal:
        if currency == self.base:
            return Decimal(1)
        if currency not in self._days or not self.start <= on <= self.end:
            raise ValueError(f"{currency} on {on} is outside the rates read ({self.start} to {self.end}).")
        index = bisect.bisect_right(self._days[currency], on) - 1
        if index < 0:
            raise MissingRate(currency, on)
        return self._rates[currency][index]

    def value(self, amount: Decimal, from_currency: str, to_currency: str, on: datetime.date) -> Decimal:
        """`amount` in `to_currency`, unrounded: for adding up before rounding once."""
        if from_currency == to_currency:
            return Decimal(amount)
        return Decimal(amount) * self.rate(from_currency, on) / self.rate(to_currency, on)

    def convert(self, amount: Decimal, from_currency: str, to_currency: str, on: datetime.date) -> Decimal:
        return quantize(self.value(amount, from_currency, to_currency, on), to_currency)


# Number formats: Chilean Spanish for "es" (Vínculo's home market), plain English for "en".
LOCALES = {"es": "es_CL", "en": "en_US"}


def current_locale() -> str:
    """The babel locale numbers and money are written in for the active language."""
    return LOCALES.get((translation.get_language() or "es").split("-")[0], "es_CL")


def format_money(amount: Decimal | None, currency: str, locale: str | None = None) -> str:
    """`amount` as the active language writes it: "$ 1.234.567" (es-CL), "UF 12,50", "€1,234.50"."""
    if amount is None:
        return ""
    locale = locale or current_locale()
    digits = MINOR_DIGITS.get(currency, 2)
    pattern = "¤ #,##0" + ("." + "0" * digits if digits else "")
    text = format_currency(quantize(amount, currency), currency, format=pattern, locale=locale, currency_digits=False)
    return text.replace(currency, SYMBOLS.get(currency, currency)) if currency in SYMBOLS else text
