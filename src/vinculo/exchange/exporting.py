"""Exports of lists: CSV and XLSX for accounts, contacts, leads and deals; contacts also as vCard 4.0 and
Outlook CSV (English or Spanish headers, the ones the importer reads back).

Every row comes from `visible_to(user)`, every column the user may not read (a field group such as the
accounts' financial data) is left out, and a related record the user may not see (a contact's account) is
written as empty. Rows are read in chunks as tuples and written as they come (CSV streams, XLSX goes
streamed into its zip package row by row, `xlsx.Book`), so memory stays bounded whatever the list's size. Text that a
spreadsheet would run as a formula (= + - @) is written with a leading apostrophe (`rules.neutralise`)."""

import csv
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import vobject
from babel import Locale
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Account
from vinculo.contacts.models import Contact
from vinculo.core.access import has_policy, visible_ids
from vinculo.core.validators import format_phone
from vinculo.sales.models import Lead, Opportunity

from . import xlsx
from .rules import RISKY_STARTS, neutralise

CHUNK = 2000


@dataclass(frozen=True)
class Column:
    name: str  # a model field; a related record is shown by its name (RELATED_NAMES)
    label: str
    kind: str = xlsx.TEXT


@dataclass(frozen=True)
class ListSpec:
    model: type
    fields: tuple[str, ...]
    related: tuple[str, ...] = ()


LISTS = {
    "accounts": ListSpec(Account, (
        "legal_name", "trade_name", "tax_id", "country", "phone", "email", "website", "account_type", "employees",
        "annual_revenue", "currency", "credit_limit", *Account.FINANCIAL_FIELDS, "description", "created_at")),
    "contacts": ListSpec(Contact, (
        "first_name", "last_name", "email", "mobile", "phone", "account", "title", "department", "city", "country",
        "description", "created_at"), ("account",)),
    "leads": ListSpec(Lead, (
        "first_name", "last_name", "email", "phone", "company", "company_tax_id", "title", "city", "region",
        "country", "source", "status", "description", "created_at")),
    "deals": ListSpec(Opportunity, (
        "name", "account", "stage", "amount", "currency", "status", "expected_close_date", "next_step", "created_at"),
        ("account", "stage")),
}
KINDS = tuple(LISTS)
# How a related record is named in an export: an account by its legal name, a stage by its name.
RELATED_NAMES = {Account: "legal_name"}


def _kind(field) -> str:
    if field.is_relation or field.choices:
        return xlsx.TEXT
    if isinstance(field, models.DateTimeField):
        return xlsx.DATETIME
    if isinstance(field, models.DateField):
        return xlsx.DATE
    if isinstance(field, models.BooleanField):
        return xlsx.BOOL
    if isinstance(field, models.DecimalField) and _currency_field(field.model):
        return xlsx.MONEY
    if isinstance(field, (models.IntegerField, models.DecimalField, models.FloatField)):
        return xlsx.NUMBER
    return xlsx.TEXT


def _currency_field(model) -> str | None:
    return "currency" if any(field.name == "currency" for field in model._meta.concrete_fields) else None


def _list_filter_forms() -> dict:
    from vinculo.accounts.views import AccountListView
    from vinculo.contacts.views import ContactListView
    from vinculo.sales.views.leads import LeadListView
    from vinculo.sales.views.opportunities import OpportunityListView

    return {"accounts": AccountListView.filter_form_class, "contacts": ContactListView.filter_form_class,
            "leads": LeadListView.filter_form_class, "deals": OpportunityListView.filter_form_class}


def page_filtered(kind: str, user, params, queryset=None):
    """`queryset` (the list's records) narrowed as the list page narrows it with the same GET parameters
    (its filter form: quick search, owner, status…), so that an export of a list holds what the page
    lists; invalid values are ignored, as the page ignores them."""
    queryset = queryset if queryset is not None else LISTS[kind].model.objects.all()
    return _list_filter_forms()[kind](params, user=user).apply(queryset)


def columns(kind: str, user, chosen: Iterable[str] | None = None) -> list[Column]:
    """The list's columns the user may read (of `chosen` when given, in that order)."""
    spec = LISTS[kind]
    hidden = set(spec.model.policy.hidden_fields(user))
    names = [name for name in (spec.fields if chosen is None else [n for n in chosen if n in spec.fields])
             if name not in hidden]
    names = list(dict.fromkeys(names))
    fields = [spec.model._meta.get_field(name) for name in names]
    return [Column(field.name, capfirst(field.verbose_name), _kind(field)) for field in fields]


def records(kind: str, user, queryset=None):
    """The records of `kind` the user may see (of `queryset` when given: a list's filters), by id."""
    spec = LISTS[kind]
    queryset = (queryset if queryset is not None else spec.model.objects.all()).visible_to(user)
    return queryset.order_by("pk")


def _chunks(items: Iterable, size: int):
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Table:
    """An export's header, its columns' kinds, and its rows (lists of values, read lazily). Iterating it
    gives the header, then each row: what the CSV writer takes."""

    def __init__(self, columns: list[Column], rows: Iterable[list], currency_columns: dict[int, int] | None = None):
        self.columns = columns
        self.headers = [str(column.label) for column in columns]
        self.kinds = [column.kind for column in columns]
        self.rows = rows
        self.currency_columns = currency_columns or {}

    def __iter__(self):
        yield self.headers
        yield from self.rows


def rows(kind: str, user, queryset=None, typed: bool = False, chosen: Iterable[str] | None = None) -> Table:
    """The header, then one tuple of values per record: typed values (XLSX; an empty one None) or text (CSV).
    Rows are read as tuples (`values_list`), a chunk at a time, and converted column by column (each column's
    conversion decided once, run as one list comprehension over the chunk); a related record the user may
    not see (a contact's account) is empty: one query per chunk asks which."""
    cols = columns(kind, user, chosen)
    model = LISTS[kind].model
    names: list[str] = []

    def position(name: str) -> int:
        if name not in names:
            names.append(name)
        return names.index(name)

    converters, guards, currency_columns = [], [], {}
    for index, column in enumerate(cols):
        field = model._meta.get_field(column.name)
        if field.is_relation:
            target = field.related_model
            id_at = position(field.attname)
            name_at = position(f"{field.name}__{RELATED_NAMES.get(target, 'name')}")
            if has_policy(target):
                guards.append((target, id_at))
                converters.append(_guarded_name(target, id_at, name_at))
            else:
                converters.append(_related_name(name_at))
            continue
        at = position(field.attname)
        converters.append(_converter(field, at, typed))
        if column.kind == xlsx.MONEY and typed:
            currency = _currency_field(model)
            currency_at = next((i for i, c in enumerate(cols) if c.name == currency), None)
            if currency_at is not None:
                currency_columns[index] = currency_at
            else:  # the currency column left out: the amount still says which currency it is in
                converters[-1] = _with_currency(converters[-1], position(currency))

    queryset = records(kind, user, queryset).values_list(*names) if names else None

    def lines():
        if queryset is None:
            return
        for chunk in _chunks(queryset.iterator(chunk_size=CHUNK), CHUNK):
            values = list(zip(*chunk, strict=True))
            seen = {model: visible_ids(user, model, values[at]) for model, at in guards}
            yield from zip(*[convert(values, seen) for convert in converters], strict=True)

    return Table(cols, lines(), currency_columns)


# The converters below take a chunk's values column by column (`values[at]`: one column of the rows read)
# and give the column as exported.

def _texts(values) -> list:
    """Text as exported (`rules.neutralise`), None as empty, any other value as it is."""
    return [value if value.__class__ is str and value[:1] not in RISKY_STARTS
            else ("" if value is None else neutralise(value)) for value in values]


def _related_name(at: int):
    def related(values, seen):
        return _texts([None if name is None else str(name) for name in values[at]])
    return related


def _guarded_name(model, id_at: int, name_at: int):
    def related(values, seen):
        visible = seen[model]
        return _texts([str(name) if name is not None and pk in visible else None
                       for pk, name in zip(values[id_at], values[name_at], strict=True)])
    return related


def _with_currency(convert, currency_at: int):
    def amount(values, seen):
        return list(zip(convert(values, seen), values[currency_at], strict=True))
    return amount


def _converter(field, at: int, typed: bool):
    """The function giving a chunk's cells of `field`: text neutralised, choices by their label, typed values
    as they are (XLSX: dates and times in the local time zone, an empty value None) or as text (CSV)."""
    if field.choices:
        labels = {key: neutralise(str(label)) for key, label in field.flatchoices}

        def choice(values, seen):
            return [(labels[value] if value in labels else neutralise(value)) if value
                    else ("" if value is None else value) for value in values[at]]
        return choice
    kind = _kind(field)
    if typed and kind == xlsx.DATETIME:
        zone = timezone.get_current_timezone()  # the writer shows an aware time as its wall-clock time
        return lambda values, seen: [value.astimezone(zone) if value is not None else None for value in values[at]]
    if typed and kind in (xlsx.DATE, xlsx.NUMBER, xlsx.MONEY, xlsx.BOOL):
        return lambda values, seen: values[at]
    if kind == xlsx.DATETIME:
        return lambda values, seen: [value.isoformat(timespec="seconds") if value is not None else ""
                                     for value in values[at]]
    if kind == xlsx.BOOL:
        return lambda values, seen: [("1" if value else "0") if value is not None else "" for value in values[at]]
    if kind in (xlsx.DATE, xlsx.NUMBER, xlsx.MONEY):
        return lambda values, seen: [str(value) if value is not None else "" for value in values[at]]
    return lambda values, seen: _texts(values[at])


class Echo:
    def write(self, value):
        return value


def stream_csv(table: Iterable[list]) -> Iterator[str]:
    """CSV text, line by line, with a BOM so that Excel reads it as UTF-8."""
    writer = csv.writer(Echo())
    yield "\ufeff"
    for row in table:
        yield writer.writerow(row)


def write_xlsx(table: Iterable[list], title: str, out=None, progress=None):
    """An XLSX workbook written row by row (`xlsx`: the sheet's XML is streamed into the zip, not held
    in memory) to `out`, or to a temporary file, rewound, to stream from. A `Table` gives its columns'
    types; any other table (its first row the header) is written cell by cell by each value's type."""
    output = out if out is not None else tempfile.TemporaryFile()
    book = xlsx.Book(output)
    if isinstance(table, Table):
        sheet = book.sheet(title, table.headers, table.kinds, table.currency_columns)
        sheet.extend(table.rows, progress)
    else:
        lines = iter(table)
        header = next(lines, [])
        sheet = book.sheet(title, header)
        for line in lines:
            sheet.append_plain(line)
    sheet.finish()
    book.close()
    if out is None:
        output.seek(0)
    return output


# ---------- Contacts as vCard 4.0 and Outlook CSV ----------

def _contact_rows(user, queryset=None) -> Iterator[tuple[Contact, str]]:
    """Each visible contact with its account's legal name when the user may see the account."""
    contacts = records("contacts", user, queryset).select_related("account").iterator(chunk_size=CHUNK)
    for chunk in _chunks(contacts, CHUNK):
        seen = visible_ids(user, Account, [contact.account_id for contact in chunk])
        for contact in chunk:
            yield contact, (contact.account.legal_name if contact.account_id in seen else "")


def vcard(contact: Contact, company: str) -> str:
    card = vobject.vCard()
    card.add("version").value = "4.0"
    card.add("fn").value = contact.full_name
    card.add("n").value = vobject.vcard.Name(family=contact.last_name, given=contact.first_name)
    if contact.email:
        email = card.add("email")
        email.value = contact.email
        email.params["PREF"] = ["1"]
    for number, kind in ((contact.mobile, "cell"), (contact.phone, "work")):
        if number:
            tel = card.add("tel")
            tel.value = f"tel:{number}"
            tel.params["VALUE"] = ["uri"]
            tel.params["TYPE"] = [kind]
    if company or contact.department:
        card.add("org").value = [company, contact.department] if contact.department else [company]
    if contact.title:
        card.add("title").value = contact.title
    if contact.city or contact.country:
        adr = card.add("adr")
        adr.value = vobject.vcard.Address(city=contact.city, country=contact.country)
        adr.params["TYPE"] = ["work"]
    if contact.description:
        card.add("note").value = contact.description
    return card.serialize()


def stream_vcards(user, queryset=None) -> Iterator[str]:
    for contact, company in _contact_rows(user, queryset):
        yield vcard(contact, company)


OUTLOOK_HEADERS = {
    "en": ["First Name", "Middle Name", "Last Name", "Company", "Department", "Job Title", "Business City",
           "Business Country/Region", "Business Phone", "Mobile Phone", "E-mail Address", "Notes"],
    "es": ["Nombre", "Segundo nombre", "Apellidos", "Compañía", "Departamento", "Puesto", "Ciudad de trabajo",
           "País o región del trabajo", "Teléfono del trabajo", "Teléfono móvil", "Dirección de correo electrónico",
           "Notas"],
}


def outlook_rows(user, language: str = "en", queryset=None) -> Iterator[list]:
    """Contacts as Outlook writes them: its own headers (English or Spanish), the country by name."""
    territories = Locale(language).territories
    yield OUTLOOK_HEADERS[language]
    for contact, company in _contact_rows(user, queryset):
        yield [neutralise(value) for value in (
            contact.first_name, "", contact.last_name, company, contact.department, contact.title, contact.city,
            territories.get(contact.country, contact.country), format_phone(contact.phone),
            format_phone(contact.mobile), contact.email, contact.description)]


FORMATS = {"csv": _("CSV"), "xlsx": _("Excel (XLSX)"), "vcard": _("vCard 4.0"), "outlook": _("Outlook CSV")}
