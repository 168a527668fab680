"""Money: rounding per currency, conversion with dated exchange rates, and formatting per locale (babel)."""

import datetime
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency
from django.conf import settings
from django.utils import translation

from . import clock

# Minor units we round to. CLP has no decimals; the UF (ISO code CLF) is quoted with two here, as
# Chilean quotes and invoices do (ISO says four, which nobody prints).
MINOR_DIGITS = {"CLP": 0, "CLF": 2, "USD": 2, "EUR": 2}
SYMBOLS = {"CLF": "UF"}


class MissingRate(LookupError):
    def __init__(self, currency: str, on: datetime.date):
        self.currency, self.on = currency, on
        super().__init__(f"No exchange rate for {currency} on or before {on}.")


def base_currency() -> str:
    return settings.VINCULO.get("BASE_CURRENCY", "CLP")


def quantize(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded half-up to the currency's minor unit."""
    exponent = Decimal(1).scaleb(-MINOR_DIGITS.get(currency, 2))
    return Decimal(amount).quantize(exponent, rounding=ROUND_HALF_UP)


def rates_on(currencies: Iterable[str], on: datetime.date | None = None) -> dict[str, Decimal]:
    """The latest rate on or before `on` of each currency (one query per currency; the base is 1)."""
    from vinculo.org.models import ExchangeRate

    on = on or clock.today()
    base = base_currency()
    rates = {}
    for currency in set(currencies):
        if currency == base:
            rates[currency] = Decimal(1)
            continue
        rate = (
            ExchangeRate.objects.filter(currency=currency, date__lte=on).order_by("-date").values_list("rate", flat=True)
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


def total_in(amounts: Mapping[str, Decimal], to_currency: str, on: datetime.date | None = None) -> Decimal:
    """The sum of per-currency amounts ({"CLP": …, "USD": …}) in `to_currency`, at the rates of `on`."""
    amounts = {currency: amount for currency, amount in amounts.items() if amount}
    rates = rates_on([*amounts, to_currency], on)
    total = sum((Decimal(amount) * rates[currency] for currency, amount in amounts.items()), Decimal(0))
    return quantize(total / rates[to_currency], to_currency)


def format_money(amount: Decimal | None, currency: str, locale: str | None = None) -> str:
    """`amount` as the active language writes it: "$ 1.234.567" (es-CL), "UF 12,50", "€1,234.50"."""
    if amount is None:
        return ""
    locale = locale or {"es": "es_CL", "en": "en_US"}.get((translation.get_language() or "es")[:2], "es_CL")
    digits = MINOR_DIGITS.get(currency, 2)
    pattern = "¤ #,##0" + ("." + "0" * digits if digits else "")
    text = format_currency(quantize(amount, currency), currency, format=pattern, locale=locale, currency_digits=False)
    return text.replace(currency, SYMBOLS.get(currency, currency)) if currency in SYMBOLS else text
