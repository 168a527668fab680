"""Writes of the organisation: assigning accounts and leads to territories by rule, sales team membership,
importing exchange rates from CSV."""

import csv
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from vinculo.core.money import base_currency, forget_rates
from vinculo.core.search import fold
from vinculo.core.services import bulk_update

from . import territories
from .models import ExchangeRate, SalesTeam, SalesTeamMember, Territory, TerritoryRule, User

BATCH_SIZE = 500


# Territory assignment

@dataclass
class Assignment:
    """What `assign_territories` did: records moved into a territory, records whose rule named the territory
    they already had, and records no rule matched."""

    assigned: int = 0
    unchanged: int = 0
    unmatched: int = 0
    per_territory: dict[int, int] = field(default_factory=dict)


def _normalise(name: str, value: str) -> str:
    value = (value or "").strip()
    if name == TerritoryRule.Field.COUNTRY:
        return value.upper()
    if name == TerritoryRule.Field.POSTAL_CODE:
        return value.replace(" ", "").upper()
    if name == TerritoryRule.Field.INDUSTRY:
        return value
    return fold(value)


def matching_territory(facts: dict[str, str], rules: list[TerritoryRule]) -> int | None:
    """The territory id of the first rule (in priority order) that `facts` match."""
    for rule in rules:
        wanted = _normalise(rule.field, rule.value)
        have = _normalise(rule.field, facts.get(rule.field, ""))
        if not have:
            continue
        if rule.field == TerritoryRule.Field.POSTAL_CODE:
            if have.startswith(wanted):
                return rule.territory_id
        elif have == wanted:
            return rule.territory_id
    return None


def _batches(queryset):
    """`queryset` in primary key order, BATCH_SIZE rows at a time."""
    last = 0
    while True:
        batch = list(queryset.filter(pk__gt=last).order_by("pk")[:BATCH_SIZE])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def assign_territories(queryset: models.QuerySet, by: User, only_unassigned: bool = True,
                       preview: bool = False) -> Assignment:
    """Put each record of `queryset` (of a type registered in `org.territories`: accounts, leads) into the
    territory of the first territory rule it matches.

    With `only_unassigned`, records that already have a territory (e.g. set by hand) are left alone.
    Moves go through `core.services.bulk_update`, one call per territory and batch of BATCH_SIZE records:
    each moved record gets its version bumped, a ChangeLog entry like an edit by `by` and an event. With
    `preview`, nothing moves: the result says what would."""
    model = queryset.model
    kind = territories.of_model(model)
    result = Assignment()
    rules = list(TerritoryRule.objects.order_by("priority", "id"))
    if not rules:
        result.unmatched = queryset.filter(territory__isnull=True).count() if only_unassigned else queryset.count()
        return result
    if only_unassigned:
        queryset = queryset.filter(territory__isnull=True)
    territory_by_id = Territory.objects.in_bulk()
    with transaction.atomic():
        for batch in _batches(kind.prepare(queryset)):
            moves: dict[int, list] = {}
            for record in batch:
                territory_id = matching_territory(kind.facts(record), rules)
                if territory_id is None:
                    result.unmatched += 1
                elif territory_id == record.territory_id:
                    result.unchanged += 1
                else:
                    moves.setdefault(territory_id, []).append(record)
            for territory_id, records in moves.items():
                if not preview:
                    bulk_update(records, {"territory": territory_by_id[territory_id]}, by=by)
                result.assigned += len(records)
                result.per_territory[territory_id] = result.per_territory.get(territory_id, 0) + len(records)
    return result


# Sales teams

def add_team_member(team: SalesTeam, user: User, function: str) -> SalesTeamMember:
    """Add `user` to `team`, or change their function if they are already in it."""
    if function not in SalesTeamMember.Function.values:
        raise ValidationError({"function": _("Choose a function from the list.")})
    if not user.is_active:
        raise ValidationError({"user": _("This user is no longer active.")})
    member, _created = SalesTeamMember.objects.update_or_create(team=team, user=user, defaults={"function": function})
    return member


def remove_team_member(team: SalesTeam, user_id: int) -> bool:
    deleted, _detail = SalesTeamMember.objects.filter(team=team, user_id=user_id).delete()
    return bool(deleted)


# Exchange rates

CURRENCY_ALIASES = {"UF": "CLF"}
IMPORT_CURRENCIES = ("CLP", "CLF", "USD", "EUR")
MAX_IMPORT_ROWS = 20_000


class RateImportError(ValidationError):
    """A CSV that cannot be imported; `problems` lists (row number, field, message)."""

    def __init__(self, problems: list[tuple[int | None, str, str]]):
        self.problems = problems
        super().__init__([self.describe(row, name, message) for row, name, message in problems])

    @staticmethod
    def describe(row, name, message) -> str:
        if row is None:
            return message
        labels = {"date": _("date"), "currency": _("currency"), "rate": _("rate"), "row": _("row")}
        return _("Row %(row)s, %(field)s: %(message)s") % {"row": row, "field": labels.get(name, name), "message": message}


@dataclass
class RateImport:
    created: int = 0
    updated: int = 0


def parse_date(text: str) -> datetime.date:
    """A date written 2026-11-23, 23-11-2026 or 23/11/2026."""
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def parse_decimal(text: str) -> Decimal:
    """A number written with a decimal point or a decimal comma, with or without thousands separators:
    "39.123,45", "39,123.45", "39123,45", "950.5"."""
    text = text.strip().replace(" ", "").replace("\u00a0", "").replace("$", "")
    if not text:
        raise InvalidOperation(text)
    if "," in text and "." in text:
        # The right-most separator is the decimal one.
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        text = text.replace(",", ".") if text.count(",") == 1 else text.replace(",", "")
    value = Decimal(text)
    if not value.is_finite():
        raise InvalidOperation(text)
    return value


def _decode(data: bytes | str) -> str:
    not_text = RateImportError([(None, "file", _("The file is not text (CSV in UTF-8 or Windows-1252)."))])
    text = data
    if isinstance(data, bytes):
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise not_text
    # A NUL character never occurs in text (and Python 3.10's csv module stops at one with an error).
    if "\x00" in text:
        raise not_text
    return text


DEFAULT_COLUMNS = {"date": 0, "currency": 1, "rate": 2}
HEADERS = (("date", "currency", "rate"), ("fecha", "moneda", "valor"), ("fecha", "moneda", "tasa"))


def _header_columns(cells: list[str]) -> dict[str, int] | None:
    """Where the date, currency and rate columns are, if `cells` is a header row (English or Spanish)."""
    names = [fold(cell) for cell in cells]
    for header in HEADERS:
        if set(header) <= set(names):
            return {key: names.index(name) for key, name in zip(DEFAULT_COLUMNS, header, strict=True)}
    return None


def _rows(reader):
    try:
        yield from reader
    except csv.Error as exc:
        raise RateImportError([(None, "file", _("The file is not a readable CSV (%(problem)s).")
                                % {"problem": exc})]) from None


def read_rates_csv(data: bytes | str) -> list[tuple[int, str, datetime.date, Decimal]]:
    """The rows of an exchange rate CSV (columns date, currency, rate; a header row is optional; comma or
    semicolon separated) as (row number, currency, date, rate); raises RateImportError listing every bad row."""
    text = _decode(data)
    if not text.strip():
        raise RateImportError([(None, "file", _("The file is empty."))])
    first_line = next(line for line in text.splitlines() if line.strip())
    delimiter = ";" if ";" in first_line else "\t" if "\t" in first_line else ","
    columns = DEFAULT_COLUMNS
    rows, problems, seen, header_checked = [], [], {}, False
    # newline="": rows end with \n, \r\n or a lone \r (old Mac exports) alike.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for number, row in enumerate(_rows(reader), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if not header_checked:
            header_checked = True
            header = _header_columns(cells)
            if header:
                columns = header
                continue
        if len(rows) + len(problems) >= MAX_IMPORT_ROWS:
            problems.append((None, "file", _("The file has more than %(count)s rows; split it.")
                             % {"count": MAX_IMPORT_ROWS}))
            break
        while len(cells) > 3 and not cells[-1]:
            cells.pop()
        if delimiter == "," and len(cells) == 4 and columns["rate"] == 2:
            # 2026-11-23,USD,950,5: an unquoted decimal comma split the rate in two.
            cells = [*cells[:2], f"{cells[2]},{cells[3]}"]
        if len(cells) <= max(columns.values()) or len(cells) > 3 and columns == DEFAULT_COLUMNS:
            problems.append((number, "row", _("expected 3 columns (date, currency, rate), found %(count)s.")
                             % {"count": len(cells)}))
            continue
        raw_date, raw_currency, raw_rate = (cells[columns[name]] for name in ("date", "currency", "rate"))
        row_problems = []
        try:
            day = parse_date(raw_date)
        except ValueError:
            day = None
            row_problems.append((number, "date", _("“%(value)s” is not a date (use 2026-11-23 or 23-11-2026).")
                                 % {"value": raw_date}))
        currency = CURRENCY_ALIASES.get(raw_currency.upper(), raw_currency.upper())
        if currency not in IMPORT_CURRENCIES:
            row_problems.append((number, "currency", _("“%(value)s” is not one of CLP, UF (CLF), USD, EUR.")
                                 % {"value": raw_currency}))
        try:
            rate = parse_decimal(raw_rate)
        except (InvalidOperation, ValueError):
            rate = None
            row_problems.append((number, "rate", _("“%(value)s” is not a number.") % {"value": raw_rate}))
        else:
            if rate <= 0:
                row_problems.append((number, "rate", _("a rate must be greater than zero.")))
            elif rate.normalize().as_tuple().exponent < -6 or abs(rate) >= Decimal(10) ** 14:
                row_problems.append((number, "rate", _("at most 14 digits before and 6 after the decimal separator.")))
        if not row_problems and currency == base_currency() and rate != 1:
            row_problems.append((number, "currency", _("%(currency)s is the base currency: its rate is always 1.")
                                 % {"currency": currency}))
        if not row_problems:
            key = (currency, day)
            if key in seen:
                row_problems.append((number, "date", _("same currency and date as row %(row)s.") % {"row": seen[key]}))
            seen[key] = number
        if row_problems:
            problems.extend(row_problems)
        else:
            rows.append((number, currency, day, rate))
    if problems:
        raise RateImportError(problems)
    if not rows:
        raise RateImportError([(None, "file", _("The file has no rates."))])
    return rows


def import_rates(data: bytes | str, source: str = "") -> RateImport:
    """Store the rates of a CSV in one transaction: a currency and day already stored gets the new rate,
    others are created. A bad row stores nothing (RateImportError names every bad row and field)."""
    rows = read_rates_csv(data)
    result = RateImport()
    currencies = {currency for _number, currency, _day, _rate in rows}
    days = [day for _number, _currency, day, _rate in rows]
    with transaction.atomic():
        existing = {
            (rate.currency, rate.date): rate
            for rate in ExchangeRate.objects.select_for_update().filter(
                currency__in=currencies, date__gte=min(days), date__lte=max(days))
        }
        new, changed = [], []
        for _number, currency, day, value in rows:
            stored = existing.get((currency, day))
            if stored is None:
                new.append(ExchangeRate(currency=currency, date=day, rate=value, source=source))
            else:
                stored.rate = value
                if source:
                    stored.source = source
                changed.append(stored)
        ExchangeRate.objects.bulk_create(new, batch_size=1000)
        ExchangeRate.objects.bulk_update(changed, ["rate", "source"], batch_size=1000)
        result.created, result.updated = len(new), len(changed)
    forget_rates()  # bulk writes send no save signal: the rest of the request reads the new rates
    return result
