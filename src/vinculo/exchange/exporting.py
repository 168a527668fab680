"""Exports of lists: CSV and XLSX for accounts, contacts, leads and deals; contacts also as vCard 4.0 and
Outlook CSV (English or Spanish headers, the ones the importer reads back).

Every row comes from `visible_to(user)`, every column the user may not read (a field group such as the
accounts' financial data) is left out, and a related record the user may not see (a contact's account) is
written as empty. Rows are read in chunks and written as they come (CSV streams, XLSX goes through
openpyxl's write-only workbook), so memory stays bounded whatever the list's size. Text that a
spreadsheet would run as a formula (= + - @) is written with a leading apostrophe (`rules.neutralise`)."""

import csv
import datetime
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import vobject
from babel import Locale
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Account
from vinculo.contacts.models import Contact
from vinculo.core.access import visible_ids
from vinculo.core.validators import format_phone
from vinculo.sales.models import Lead, Opportunity

from .rules import neutralise

CHUNK = 2000


@dataclass(frozen=True)
class Column:
    name: str  # a model field, or "account_name" / "stage_name" for the related record's name
    label: str


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


def columns(kind: str, user) -> list[Column]:
    spec = LISTS[kind]
    hidden = set(spec.model.policy.hidden_fields(user))
    names = [name for name in spec.fields if name not in hidden]
    return [Column(name, capfirst(spec.model._meta.get_field(name).verbose_name)) for name in names]


def records(kind: str, user, queryset=None) -> Iterator:
    """The records of `kind` the user may see (of `queryset` when given: a list's filters), in chunks."""
    spec = LISTS[kind]
    queryset = (queryset if queryset is not None else spec.model.objects.all()).visible_to(user)
    if spec.related:
        queryset = queryset.select_related(*spec.related)
    return queryset.order_by("pk").iterator(chunk_size=CHUNK)


def _chunks(items: Iterable, size: int):
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def rows(kind: str, user, queryset=None, typed: bool = False) -> Iterator[list]:
    """The header, then one list of values per record; related accounts the user cannot see are empty."""
    cols = columns(kind, user)
    yield [str(column.label) for column in cols]
    model = LISTS[kind].model
    # What each column does to a value is decided once, not per cell (a choice's label, a date's form).
    converters = [_converter(model._meta.get_field(column.name), typed) for column in cols]
    names = [column.name for column in cols]
    with_account = "account" in names
    for chunk in _chunks(records(kind, user, queryset), CHUNK):
        seen_accounts = visible_ids(user, Account, [record.account_id for record in chunk]) if with_account else set()
        for record in chunk:
            yield [_account_name(record, seen_accounts) if name == "account" else convert(record)
                   for name, convert in zip(names, converters, strict=True)]


def _account_name(record, seen_accounts: set) -> str:
    return neutralise(str(record.account.legal_name)) if record.account_id in seen_accounts else ""


def _converter(field, typed: bool):
    """The function giving a record's cell of `field`: text neutralised, typed values as they are (XLSX) or
    as text (CSV)."""
    name = field.name
    if field.is_relation:
        def related(record):
            value = getattr(record, name)
            return neutralise(str(value)) if value is not None else ""
        return related
    labels = {key: str(label) for key, label in field.flatchoices} if field.choices else None

    def convert(record):
        value = getattr(record, name)
        if labels is not None and value:
            return neutralise(labels.get(value, value))
        if value is None:
            return ""
        if isinstance(value, str):
            return neutralise(value)
        if isinstance(value, datetime.datetime):
            return value.replace(tzinfo=None) if typed else value.isoformat(timespec="seconds")
        if isinstance(value, bool):
            return value if typed else ("1" if value else "0")
        if isinstance(value, (datetime.date, Decimal, int, float)):
            return value if typed else str(value)
        return value
    return convert


class Echo:
    def write(self, value):
        return value


def stream_csv(table: Iterable[list]) -> Iterator[str]:
    """CSV text, line by line, with a BOM so that Excel reads it as UTF-8."""
    writer = csv.writer(Echo())
    yield "\ufeff"
    for row in table:
        yield writer.writerow(row)


def write_xlsx(table: Iterable[list], title: str):
    """An XLSX workbook written row by row (openpyxl write-only: rows go to disk, not memory); a temporary
    file, rewound, to stream from."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(title)[:31])
    for row in table:
        sheet.append(row)
    output = tempfile.TemporaryFile()
    workbook.save(output)
    output.seek(0)
    return output


# ---------- Contacts as vCard 4.0 and Outlook CSV ----------

def _contact_rows(user, queryset=None) -> Iterator[tuple[Contact, str]]:
    """Each visible contact with its account's legal name when the user may see the account."""
    for chunk in _chunks(records("contacts", user, queryset), CHUNK):
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
