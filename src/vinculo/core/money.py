"""Money: rounding per currency, conversion with dated exchange rates, and formatting per locale (babel)."""

import bisect
import contextlib
import contextvars
import datetime
import functools
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale, localedata
from babel.numbers import get_currency_symbol, get_decimal_symbol, get_group_symbol, parse_pattern
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
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


# ---- The currencies the organisation uses ----
#
# Of the supported currencies above, the organisation enables those it works in and names a default one (for
# new records and reports); the org app keeps them (OrgSettings) and registers where to read them. Every
# currency choice in a form goes through CurrencyFormField, which offers the enabled ones plus the value the
# record being edited already has: disabling a currency never changes or loses a stored amount.

CURRENCIES_CACHE_KEY = "vinculo:currencies"
_currency_settings_source: "Callable[[], tuple[list[str], str]] | None" = None


def register_currency_settings(source: "Callable[[], tuple[list[str], str]]") -> None:
    """`source()` gives the enabled currency codes and the default one (one query); the org app registers it."""
    global _currency_settings_source
    _currency_settings_source = source


def forget_currency_settings() -> None:
    """After the settings change: every worker reads them again."""
    cache.delete(CURRENCIES_CACHE_KEY)


def _currency_settings() -> tuple[list[str], str]:
    if _currency_settings_source is None:  # before the apps are ready
        return list(Currency.values), Currency.CLP
    stored = cache.get(CURRENCIES_CACHE_KEY)
    if stored is None:
        stored = _currency_settings_source()
        cache.set(CURRENCIES_CACHE_KEY, stored, 300)
    return stored


def enabled_currencies() -> list[str]:
    """The codes of the currencies the organisation uses, in the supported currencies' order."""
    enabled = set(_currency_settings()[0])
    return [code for code in Currency.values if code in enabled]


def default_currency() -> str:
    """The organisation's currency for new records and reports."""
    return _currency_settings()[1]


def currency_choices(keep: str | None = None, blank: str | None = None) -> list[tuple[str, str]]:
    """The enabled currencies as choices; `keep` (a record's stored currency) stays among them even if it
    was disabled since; `blank` labels an empty first choice."""
    enabled = set(enabled_currencies())
    choices = [(code, label) for code, label in Currency.choices if code in enabled or code == keep]
    return [("", blank), *choices] if blank is not None else choices


class CurrencyFormField(forms.TypedChoiceField):
    """A record's currency: the organisation's enabled currencies, plus the one the record being edited has
    (a form with an `instance` that has a pk). A new record starts in the organisation's default currency
    unless the form preset another enabled one (the account's, the user's).

    `blank` labels an empty choice ("the price list's"); `exclude_base` leaves out the base currency (the
    exchange rates' own); `preset_by_form`: the form sets a new record's currency itself (a contract takes its
    account's), kept when in use even if it is the model's default."""

    def __init__(self, *, blank=None, exclude_base: bool = False, preset_by_form: bool = False, **kwargs):
        for name in ("choices", "max_length", "min_length", "strip"):
            kwargs.pop(name, None)
        kwargs.setdefault("coerce", str)
        self.blank, self.exclude_base, self.preset_by_form, self.kept = blank, exclude_base, preset_by_form, None
        super().__init__(choices=self._current_choices, **kwargs)

    def _current_choices(self):
        choices = currency_choices(keep=self.kept, blank=self.blank)
        if self.exclude_base:
            choices = [(code, label) for code, label in choices if code != base_currency()]
        return choices

    def get_bound_field(self, form, field_name):
        instance = getattr(form, "instance", None)
        if instance is not None and instance.pk is not None:
            self.kept = getattr(instance, field_name, None) or form.initial.get(field_name)
        else:
            preset = form.initial.get(field_name, self.initial)
            if preset in ("", None) and self.blank is not None:
                pass
            elif preset not in enabled_currencies() or (
                    not self.preset_by_form and preset == _model_default(instance, field_name, self.initial)):
                form.initial[field_name] = self._first_choice(default_currency())
        # Fixed for this form from here on, on the field and its widget alike (a widget's copy would otherwise
        # still ask the class's field).
        self.choices = self._current_choices()
        return super().get_bound_field(form, field_name)

    def _first_choice(self, preferred: str) -> str:
        codes = [code for code, _label in self._current_choices() if code]
        return preferred if preferred in codes or not codes else codes[0]


def _model_default(instance, field_name: str, declared):
    """The value a new record has when no one chose: the model field's default, else the form field's."""
    if instance is not None:
        try:
            field = instance._meta.get_field(field_name)
        except FieldDoesNotExist:  # a form's own field
            return declared
        if field.has_default():
            return field.get_default()
    return declared


class CurrencyField(models.CharField):
    """A record's currency, one of the supported ones (Currency); its form field offers the enabled ones
    (CurrencyFormField). Stored and migrated as the CharField it is: migrations do not see the difference."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("choices", Currency.choices)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs

    def formfield(self, **kwargs):
        return super().formfield(**{"choices_form_class": CurrencyFormField, **kwargs})


class MissingRate(LookupError):
    def __init__(self, currency: str, on: datetime.date):
        self.currency, self.on = currency, on
        super().__init__(f"No exchange rate for {currency} on or before {on}.")


_rate_table = None


def register_rate_table(model) -> None:
    """The model holding the dated rates (`currency`, `date`, `rate`): the organisation's exchange-rate
    table, registered by the org app, which sits above the kernel. A rate saved or deleted through the model
    is seen by the rest of the request that wrote it (`forget_rates`); a bulk write calls `forget_rates`."""
    global _rate_table
    from django.db.models.signals import post_delete, post_save

    _rate_table = model
    for signal in (post_save, post_delete):
        signal.connect(_rate_written, sender=model, dispatch_uid="core.money.forget_rates")


# ---- Rates read once per request ----
#
# A page converts money in several places (a plan's revenue, its objectives', the account's sales target and
# chart): within one request (`rates_read_once`, opened by `RatesMiddleware`) each currency's rates are read
# once, for the widest period asked so far, and the later conversions use them. Outside such a block every
# conversion reads the table, as it always did.

_rates_memo: contextvars.ContextVar = contextvars.ContextVar("vinculo_rates", default=None)


@dataclass
class _RateSeries:
    """A currency's rates dated `start` to `end`, with the one in force on `start` when set before it."""

    start: datetime.date
    end: datetime.date
    days: list[datetime.date]
    rates: list[Decimal]

    def covers(self, start: datetime.date, end: datetime.date) -> bool:
        return self.start <= start and end <= self.end


@contextlib.contextmanager
def rates_read_once():
    """Within this block each currency's rates are read once (the widest period asked is kept)."""
    token = _rates_memo.set({})
    try:
        yield
    finally:
        _rates_memo.reset(token)


def forget_rates() -> None:
    """After rates are written: the rest of the request reads them again."""
    memo = _rates_memo.get()
    if memo is not None:
        memo.clear()


def _rate_written(**kwargs) -> None:
    forget_rates()


class RatesMiddleware:
    """Every request reads each currency's exchange rates once (see `rates_read_once`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with rates_read_once():
            return self.get_response(request)


def _read_series(currencies: list[str], start: datetime.date, end: datetime.date) -> dict[str, _RateSeries]:
    """The rates of `currencies` from `start` to `end`, each with the rate in force on `start`: one query for
    the period, one per currency for the rate before it."""
    series = {}
    for currency in currencies:
        earlier = (
            _rates().filter(currency=currency, date__lt=start).order_by("-date").values_list("date", "rate")
        ).first()
        series[currency] = _RateSeries(start, end, *(([earlier[0]], [earlier[1]]) if earlier else ([], [])))
    rows = (_rates().filter(currency__in=currencies, date__gte=start, date__lte=end)
            .order_by("currency", "date").values_list("currency", "date", "rate"))
    for currency, day, rate in rows:
        series[currency].days.append(day)
        series[currency].rates.append(rate)
    return series


def _series(currencies: Iterable[str], start: datetime.date, end: datetime.date) -> dict[str, _RateSeries]:
    """`_read_series`, through the request's memo when there is one: a currency read for a period holding
    this one is not read again; one read for another period is read again for both together."""
    currencies = sorted(set(currencies))
    memo = _rates_memo.get()
    if memo is None:
        return _read_series(currencies, start, end) if currencies else {}
    stored = memo.setdefault("series", {})
    missing = [currency for currency in currencies if currency not in stored or not stored[currency].covers(start, end)]
    if missing:
        wider = [stored[currency] for currency in missing if currency in stored]
        first = min([start, *(series.start for series in wider)])
        last = max([end, *(series.end for series in wider)])
        stored.update(_read_series(missing, first, last))
    return {currency: stored[currency] for currency in currencies}


def _latest_rate(currency: str, on: datetime.date) -> Decimal | None:
    """The latest rate of `currency` on or before `on` (None without one): from the request's memo when it
    holds the day, else one query (kept for the rest of the request)."""
    memo = _rates_memo.get()
    if memo is not None:
        series = memo.get("series", {}).get(currency)
        if series is not None and series.covers(on, on):
            index = bisect.bisect_right(series.days, on) - 1
            return series.rates[index] if index >= 0 else None
        days = memo.setdefault("days", {})
        if (currency, on) in days:
            return days[currency, on]
    rate = _rates().filter(currency=currency, date__lte=on).order_by("-date").values_list("rate", flat=True).first()
    if memo is not None:
        days[currency, on] = rate
    return rate


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
    """The latest rate on or before `on` of each currency (one query per currency, none for one already read
    within the request; the base is 1)."""
    on = on or clock.today()
    base = base_currency()
    rates = {}
    for currency in set(currencies):
        if currency == base:
            rates[currency] = Decimal(1)
            continue
        rate = _latest_rate(currency, on)
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
    days (a sales chart by month): two queries at most per currency, whatever the number of amounts, and
    none for a currency already read for the period within the request (`rates_read_once`).

    `rate(currency, on)` is the latest rate on or before `on`, as `rates_on` gives it; MissingRate when
    there is none."""

    def __init__(self, currencies: Iterable[str], start: datetime.date, end: datetime.date):
        self.base = base_currency()
        self.start, self.end = start, end
        self._days: dict[str, list[datetime.date]] = {}
        self._rates: dict[str, list[Decimal]] = {}
        for currency, series in _series(set(currencies) - {self.base}, start, end).items():
            self._days[currency], self._rates[currency] = series.days, series.rates

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


# ---- Formatting: babel's currency pattern of the reader's locale, built once per (locale, currency) ----
#
# The locale is the active language with a country: Spanish is written as the country the reader works in
# writes it (es_CL: "$5.801.888", "US$1.234,50"; es_ES: "5.801.888,20 €"), English as babel's "en"
# ("€5,801,888.20", "CLP 5,801,888") whatever the country. The country is the one activated for the request
# (`activate_country`: the org app's middleware gives the reader's office country) or else the
# organisation's, settings.VINCULO["LOCALE_COUNTRY"] (VINCULO_LOCALE_COUNTRY, by default
# VINCULO_DEFAULT_COUNTRY). A country babel has no Spanish for (es_FR) falls back to the organisation's.
#
# Amounts are rounded half-up to the currency's minor unit (MINOR_DIGITS) and written with that many
# decimals. The UF is written like any currency of the locale with the symbol "UF" and two decimals
# ("UF 1.234,56", "1.234,56 UF", "UF 1,234.56"). As CLDR asks and babel leaves out (its "currency
# spacing"), a symbol ending or starting with a letter is kept apart from the digits by a no-break
# space: "EUR 5.801.888,20" (es_CL), "CLP 5,801,888" (en); "$5.801.888" and "5.801.888,20 €" are babel's.

_active_country: contextvars.ContextVar = contextvars.ContextVar("vinculo_locale_country", default=None)


def organisation_country() -> str:
    vinculo = settings.VINCULO
    return (vinculo.get("LOCALE_COUNTRY") or vinculo.get("DEFAULT_COUNTRY") or "CL").upper()


def activate_country(country: "str | Callable[[], str | None] | None") -> contextvars.Token:
    """Write money as `country` does until `deactivate_country(token)`. A callable is asked once, the first
    time an amount is written (a middleware passes one so pages without money run no query for it)."""
    return _active_country.set([country])


def deactivate_country(token: contextvars.Token) -> None:
    _active_country.reset(token)


@contextlib.contextmanager
def override_country(country: str | None):
    token = activate_country(country)
    try:
        yield
    finally:
        deactivate_country(token)


def current_country() -> str:
    """The country money is written for: the one activated, else the organisation's."""
    box = _active_country.get()
    if box is not None:
        if callable(box[0]):
            box[0] = box[0]()  # asked once; the answer is kept for the rest of the request
        if box[0]:
            return str(box[0]).upper()
    return organisation_country()


@functools.lru_cache(maxsize=64)
def _has_spanish_of(country: str) -> bool:
    return localedata.exists(f"es_{country}")


def current_locale() -> str:
    """The babel locale numbers and money are written in: the active language and `current_country()`."""
    if (translation.get_language() or "es").split("-")[0] == "en":
        return "en"
    for country in (current_country(), organisation_country()):
        if _has_spanish_of(country):
            return f"es_{country}"
    return "es"


def _spaced(symbol: str, before_number: bool) -> str:
    """CLDR currency spacing: a no-break space between a symbol's letter and the digits it touches."""
    touching = symbol[-1] if before_number else symbol[0]
    if unicodedata.category(touching)[0] in "SZ":
        return symbol
    return symbol + "\u00a0" if before_number else "\u00a0" + symbol


@dataclass(frozen=True)
class MoneyFormat:
    """One locale's way of writing one currency, read from babel once: the text around the number (per
    sign), the separators, the grouping and the decimals."""

    prefixes: tuple[str, str]
    suffixes: tuple[str, str]
    group: str
    decimal: str
    grouping: tuple[int, int]
    digits: int

    def __call__(self, amount: Decimal) -> str:
        amount = Decimal(amount).quantize(Decimal(1).scaleb(-self.digits), rounding=ROUND_HALF_UP)
        negative = int(amount < 0)
        whole, _, fraction = f"{abs(amount):f}".partition(".")
        size, groups = self.grouping[0], []
        while len(whole) > size:
            groups.insert(0, whole[-size:])
            whole = whole[:-size]
            size = self.grouping[1]
        number = self.group.join([whole, *groups])
        if self.digits:
            number += self.decimal + fraction.ljust(self.digits, "0")[: self.digits]
        return f"{self.prefixes[negative]}{number}{self.suffixes[negative]}"


@functools.lru_cache(maxsize=64)
def money_format(locale: str, currency: str) -> MoneyFormat:
    babel_locale = Locale.parse(locale)
    pattern = parse_pattern(babel_locale.currency_formats["standard"].pattern)
    symbol = SYMBOLS.get(currency) or get_currency_symbol(currency, babel_locale)

    def place(text: str, before_number: bool) -> str:
        # Only the sign a pattern puts next to the symbol may sit between it and the digits ("¤-#"): the
        # spacing applies when the symbol touches the number.
        touches = text.endswith("¤") if before_number else text.startswith("¤")
        return text.replace("¤", _spaced(symbol, before_number) if touches else symbol)

    return MoneyFormat(
        prefixes=tuple(place(text, True) for text in pattern.prefix),
        suffixes=tuple(place(text, False) for text in pattern.suffix),
        group=get_group_symbol(babel_locale),
        decimal=get_decimal_symbol(babel_locale),
        grouping=pattern.grouping,
        digits=MINOR_DIGITS.get(currency, 2),
    )


def format_money(amount: Decimal | None, currency: str, locale: str | None = None) -> str:
    """`amount` as the reader's locale writes it: "$5.801.888" (es_CL), "5.801.888,20 €" (es_ES),
    "€5,801,888.20" (en), "UF 12,50"."""
    if amount is None:
        return ""
    return money_format(locale or current_locale(), currency)(amount)
