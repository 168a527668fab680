"""Exports of lists: CSV and XLSX for accounts, contacts, leads, deals, quotes, activities, tasks, projects,
business plans, campaigns, competitors, products, price lists, invoices, contracts, customer assets, content
deliveries, notes and files; contacts also as
vCard 4.0 and Outlook CSV (English or Spanish headers, the ones the importer reads back).

Every row comes from `visible_to(user)`, every column the user may not read (a field group such as the
accounts' financial data) is left out, and a related record the user may not see (a contact's account) is
written as empty. Rows are read in chunks as tuples and written as they come (CSV streams, XLSX goes
streamed into its zip package row by row, `xlsx.Book`), so memory stays bounded whatever the list's size. Text that a
spreadsheet would run as a formula (= + - @) is written with a leading apostrophe (`rules.neutralise`)."""

import csv
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from dataclasses import field as default
from decimal import Decimal
from importlib import import_module

import vobject
from babel import Locale
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Account, Invoice
from vinculo.activities.models import Activity
from vinculo.contacts.models import Contact
from vinculo.core import lists
from vinculo.core.access import has_policy, visible_ids
from vinculo.core.validators import format_phone
from vinculo.customer360.models import ContentDelivery, Contract, CustomerAsset, Document, Note
from vinculo.marketing.models import Campaign
from vinculo.org.models import User
from vinculo.plans.models import BusinessPlan
from vinculo.sales.models import Competitor, Lead, Opportunity, PriceList, Product, Quote
from vinculo.work.models import Project, Task

from . import xlsx
from .rules import RISKY_STARTS, neutralise

CHUNK = 2000


@dataclass(frozen=True)
class Column:
    name: str  # a model field; a related record is shown by its name (RELATED_NAMES)
    label: str
    kind: str = xlsx.TEXT
    # The fields (paths through relations) the cell is read from, when not `name` alone: several are joined
    # by a space, or given to `compute`.
    paths: tuple[str, ...] = ()
    compute: Callable | None = None


@dataclass(frozen=True)
class Cell:
    """How a list page's column is written, when not the model field of its name: the fields (paths) it is
    read from, joined by a space, or given to `compute` for a cell of `kind`."""
    paths: tuple[str, ...]
    kind: str | None = None
    compute: Callable | None = None


def _weighted(amount, probability):
    return (amount * probability / Decimal(100)).quantize(Decimal("0.01")) if amount is not None else None


def _count(count):
    """A count the list page annotates (a project's tasks pending, in progress, finished; a price list's
    products, a file's versions)."""
    return count


def _quote_number(number, revision):
    """A quote's number as its list shows it: "COT-2026-00012 rev. 2" from its second revision on."""
    if revision and revision > 1:
        return neutralise(f"{number} {gettext('rev. %(revision)s') % {'revision': revision}}")
    return neutralise(number)


@dataclass(frozen=True)
class ListSpec:
    model: type
    fields: tuple[str, ...]
    related: tuple[str, ...] = ()
    list_key: str = ""  # its list page (core.lists: RecordListView.list_key)
    view: str = ""  # its list page's view class, "module:Class"
    cells: dict = default(default_factory=dict)  # the list page's columns that are no field of theirs, as Cell


LISTS = {
    "accounts": ListSpec(Account, (
        "legal_name", "trade_name", "tax_id", "country", "phone", "email", "website", "account_type", "employees",
        "annual_revenue", "currency", "credit_limit", *Account.FINANCIAL_FIELDS, "description", "created_at"),
        list_key="accounts", view="vinculo.accounts.views:AccountListView",
        cells={"name": Cell(("legal_name",))}),
    "contacts": ListSpec(Contact, (
        "first_name", "last_name", "email", "mobile", "phone", "account", "title", "department", "city", "country",
        "description", "created_at"), ("account",),
        list_key="contacts", view="vinculo.contacts.views:ContactListView",
        cells={"name": Cell(("first_name", "last_name"))}),
    "leads": ListSpec(Lead, (
        "first_name", "last_name", "email", "phone", "company", "company_tax_id", "title", "city", "region",
        "country", "source", "status", "description", "created_at"),
        list_key="leads", view="vinculo.sales.views.leads:LeadListView",
        cells={"name": Cell(("first_name", "last_name"))}),
    "deals": ListSpec(Opportunity, (
        "name", "account", "stage", "amount", "currency", "status", "expected_close_date", "next_step", "created_at"),
        ("account", "stage"),
        list_key="opportunities", view="vinculo.sales.views.opportunities:OpportunityListView",
        cells={"weighted": Cell(("amount", "probability"), xlsx.MONEY, _weighted),
               "territory": Cell(("account__territory",))}),
    # A quote is seen exactly when its deal is; its deal's account is named only when the user may see it.
    "quotes": ListSpec(Quote, (
        "number", "revision", "opportunity", "status", "contact", "owner", "currency", "issued_on", "valid_until",
        "subtotal", "discount_total", "tax_total", "total", "sent_at", "created_at"),
        list_key="quotes", view="vinculo.sales.views.quotes:QuoteListView",
        cells={"number": Cell(("number", "revision"), xlsx.TEXT, _quote_number),
               "account": Cell(("opportunity__account",))}),
    # An activity is seen through its owner's line, its account and what it is about (`Activity.policy`).
    "activities": ListSpec(Activity, (
        "occurred_at", "kind", "direction", "subject", "status", "outcome", "duration_minutes", "account", "owner",
        "description", "created_at"),
        list_key="activities", view="vinculo.activities.views:ActivityListView"),
    # The task explorer (one of its views, open tasks by default): a task's customer, project or people are
    # named only where the user may see them.
    "tasks": ListSpec(Task, (
        "title", "task_type", "origin", "project", "account", "responsible", "controller", "creator", "priority",
        "status", "next_action_date", "due_date", "done_at", "description", "created_at"),
        ("task_type", "origin", "project", "account"),
        list_key="tasks", view="vinculo.work.listing:TaskList"),
    "projects": ListSpec(Project, (
        "name", "account", "kind", "year", "owner", "status", "planned_start", "planned_end", "created_at"),
        ("account",), list_key="projects", view="vinculo.work.listing:ProjectList",
        cells={name: Cell((name,), xlsx.NUMBER, _count) for name in ("pending", "in_progress", "done")}),
    # The overview's "my team's plans"; a reviewer's plans of accounts they may not see leave the account empty.
    "plans": ListSpec(BusinessPlan, (
        "name", "account", "owner", "period_type", "period_start", "period_end", "status", "revenue_target",
        "currency", "goals", "created_at"),
        ("account",), list_key="plans", view="vinculo.plans.listing:PlanList"),
    "campaigns": ListSpec(Campaign, (
        "name", "kind", "status", "start_date", "end_date", "owner", "description", "created_at"),
        list_key="campaigns", view="vinculo.marketing.views:CampaignListView"),
    # The catalogue: everyone reads it.
    "competitors": ListSpec(Competitor, (
        "name", "tax_id", "country", "website", "phone", "email", "products", "strengths", "weaknesses", "notes",
        "updated_at"),
        list_key="competitors", view="vinculo.sales.views.competitors:CompetitorListView"),
    "products": ListSpec(Product, (
        "code", "name", "family", "unit", "tax_rate", "is_active", "description", "updated_at"),
        list_key="products", view="vinculo.sales.views.catalogue:ProductListView"),
    "price_lists": ListSpec(PriceList, (
        "name", "currency", "is_active", "valid_from", "valid_until", "description", "updated_at"),
        list_key="price_lists", view="vinculo.sales.views.catalogue:PriceListListView",
        cells={"items": Cell(("item_count",), xlsx.NUMBER, _count)}),
    # An account's records are seen exactly when their account is; an invoice's amount and balance are the
    # policy's "amounts" group (left out for a user who may not read it, whatever the columns asked for).
    "invoices": ListSpec(Invoice, (
        "number", "account", "issue_date", "due_date", "amount", "balance", "currency", "status", "external_ref",
        "created_at"), ("account",),
        list_key="invoices", view="vinculo.customer360.views:InvoiceListView"),
    "contracts": ListSpec(Contract, (
        "number", "account", "description", "contract_type", "contact", "start_date", "end_date", "renewal_type",
        "notice_days", "status", "value", "currency", "created_at"), ("account", "contact"),
        list_key="contracts", view="vinculo.customer360.views:ContractListView"),
    "assets": ListSpec(CustomerAsset, (
        "product_name", "account", "serial_number", "sale_date", "status", "contact", "notes", "created_at"),
        ("account", "contact"), list_key="assets", view="vinculo.customer360.views:AssetListView"),
    "deliveries": ListSpec(ContentDelivery, (
        "title", "account", "kind", "reference", "contact", "delivered_on", "channel", "delivered_by", "created_at"),
        ("account", "contact"), list_key="deliveries", view="vinculo.customer360.views:DeliveryListView"),
    # Notes and files are seen through their account and what they are about (a lead's before its conversion):
    # an account the user may not see is left empty.
    "notes": ListSpec(Note, (
        "title", "account", "contact", "body", "created_by", "created_at"),
        ("account", "contact"), list_key="notes", view="vinculo.customer360.views:NoteListView"),
    "documents": ListSpec(Document, (
        "title", "account", "description", "created_by", "created_at", "updated_at"),
        ("account",), list_key="documents", view="vinculo.customer360.views:DocumentListView",
        cells={"versions": Cell(("version_count",), xlsx.NUMBER, _count)}),
}
KINDS = tuple(LISTS)
# How a related record is named in an export: an account by its legal name, a user or a contact (a quote's) by
# their full name; any other by its name.
RELATED_NAMES = {Account: ("legal_name",), User: ("first_name", "last_name"), Contact: ("first_name", "last_name")}


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


def list_view(kind: str):
    """The list page's view class of `kind` (imported here: the lists sit below this module)."""
    module, name = LISTS[kind].view.split(":")
    return getattr(import_module(module), name)


def page_filtered(kind: str, user, params, queryset=None):
    """`queryset` (the list's records) narrowed and sorted as the list page lists them with the same GET
    parameters (its filter form: quick search, owner, status…; its predefined view; its sort), so that an
    export of a list holds what the page lists, in its order; invalid values are ignored, as the page ignores
    them."""
    queryset = queryset if queryset is not None else LISTS[kind].model.objects.all()
    return list_view(kind).for_query(user, params).narrow(queryset)


def shown_columns(kind: str, user, params) -> list[str] | None:
    """The list page's columns its query string names (`cols`, as the page's export link sets them), those the
    user may read, in the page's order; None when it names none (the export then holds every field)."""
    if not params or not params.get("cols"):
        return None
    return list_view(kind).for_query(user, params).chosen_columns() or None


def columns(kind: str, user, chosen: Iterable[str] | None = None, shown: Iterable[str] | None = None) -> list[Column]:
    """The list's columns the user may read (of `chosen` fields when given, in that order), or the list page's
    `shown` columns, with its labels."""
    spec = LISTS[kind]
    hidden = set(spec.model.policy.hidden_fields(user))
    if shown is not None:
        return _page_columns(kind, hidden, shown, user)
    names = [name for name in (spec.fields if chosen is None else [n for n in chosen if n in spec.fields])
             if name not in hidden]
    names = list(dict.fromkeys(names))
    fields = [spec.model._meta.get_field(name) for name in names]
    return [Column(field.name, capfirst(field.verbose_name), _kind(field)) for field in fields]


def _page_columns(kind: str, hidden: set, shown: Iterable[str], user) -> list[Column]:
    spec = LISTS[kind]
    view = list_view(kind)
    labels = {column.name: column.label for column in view.columns}
    result = []
    for name in dict.fromkeys(shown):
        if name not in labels:
            continue
        cell = spec.cells.get(name) or Cell((name,))
        if any(_crosses_hidden(spec.model, path, hidden, user) for path in cell.paths):
            continue
        kind_of = cell.kind
        if kind_of is None:
            kind_of = _kind(_field_at(spec.model, cell.paths[0])) if len(cell.paths) == 1 else xlsx.TEXT
        result.append(Column(name, str(labels[name]), kind_of, cell.paths, cell.compute))
    return result


def _crosses_hidden(model, path: str, hidden: set, user) -> bool:
    """Whether a path reads a field the user may not read, on the list's record (`hidden`) or on any record
    it passes through (`opportunity__amount` on a quote: the deal's financial group)."""
    *hops, last = path.split("__")
    for hop in hops:
        if hop in hidden:
            return True
        model = model._meta.get_field(hop).related_model
        policy = getattr(model, "policy", None)
        hidden = set(policy.hidden_fields(user)) if policy is not None else set()
    return last in hidden


def _field_at(model, path: str):
    """The field a path names (`account__territory`: the account's territory)."""
    *hops, last = path.split("__")
    for hop in hops:
        model = model._meta.get_field(hop).related_model
    return model._meta.get_field(last)


def records(kind: str, user, queryset=None):
    """The records of `kind` the user may see (of `queryset` when given: a list's filters), in the list's
    order when it has one, by id otherwise."""
    spec = LISTS[kind]
    queryset = (queryset if queryset is not None else spec.model.objects.all()).visible_to(user)
    return queryset if queryset.query.order_by else queryset.order_by("pk")


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


def rows(kind: str, user, queryset=None, typed: bool = False, chosen: Iterable[str] | None = None,
         shown: Iterable[str] | None = None) -> Table:
    """The header, then one tuple of values per record: typed values (XLSX; an empty one None) or text (CSV),
    of the list's fields (`chosen` ones) or of the list page's `shown` columns. Rows are read as tuples
    (`values_list`), a chunk at a time, and converted column by column (each column's conversion decided once,
    run as one list comprehension over the chunk); a related record the user may not see (a contact's account)
    is empty: one query per chunk asks which."""
    cols = columns(kind, user, chosen, shown)
    model = LISTS[kind].model
    names: list[str] = []

    def position(name: str) -> int:
        if name not in names:
            names.append(name)
        return names.index(name)

    guards: dict[tuple, int] = {}  # (model, position of its id) → the guard's index in `seen`

    def guard(target, id_path: str) -> tuple | None:
        if not has_policy(target):
            return None
        key = (target, position(id_path))
        guards.setdefault(key, len(guards))
        return key

    def read(path: str, typed_here: bool):
        """(converter of a chunk's values at `path`, the guards it needs)."""
        hops = path.split("__")
        needs, current, prefix = [], model, ""
        for hop in hops[:-1]:
            hop_field = current._meta.get_field(hop)
            current = hop_field.related_model
            id_path = f"{prefix}{hop_field.attname}" if not prefix else f"{prefix}{hop}__pk"
            prefix = f"{prefix}{hop}__"
            needs.append(guard(current, id_path))
        field = current._meta.get_field(hops[-1])
        if field.is_relation:
            target = field.related_model
            id_path = f"{prefix}{field.attname}" if not prefix else f"{path}__pk"
            needs.append(guard(target, id_path))
            ats = [position(f"{path}__{name}") for name in RELATED_NAMES.get(target, ("name",))]
            convert = _related_name(ats)
        elif prefix:
            convert = _converter(field, position(path), typed_here)
        else:
            convert = _converter(field, position(field.attname), typed_here)
        return convert, [key for key in needs if key is not None]

    converters, currency_columns = [], {}
    for index, column in enumerate(cols):
        paths = column.paths or (column.name,)
        if len(paths) == 1 and column.compute is None:
            convert, needs = read(paths[0], typed)
        elif column.compute is not None:
            convert, needs = _computed(column.compute, [position(path) for path in paths], typed), []
        else:
            parts = [read(path, False) for path in paths]
            convert, needs = _joined([part[0] for part in parts]), [key for part in parts for key in part[1]]
        converters.append(_guarded(convert, needs) if needs else convert)
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
            seen = {key: visible_ids(user, key[0], values[key[1]]) for key in guards}
            yield from zip(*[convert(values, seen) for convert in converters], strict=True)

    return Table(cols, lines(), currency_columns)


# The converters below take a chunk's values column by column (`values[at]`: one column of the rows read)
# and give the column as exported.

def _texts(values) -> list:
    """Text as exported (`rules.neutralise`), None as empty, any other value as it is."""
    return [value if value.__class__ is str and value[:1] not in RISKY_STARTS
            else ("" if value is None else neutralise(value)) for value in values]


def _guarded(convert, needs: list[tuple]):
    """Cells left empty where a record they are read through is one the user may not see."""
    def guarded(values, seen):
        cells = convert(values, seen)
        for key in needs:
            visible = seen[key]
            cells = [cell if pk is None or pk in visible else "" for cell, pk in zip(cells, values[key[1]], strict=True)]
        return cells
    return guarded


def _joined(converters):
    def joined(values, seen):
        parts = [convert(values, seen) for convert in converters]
        return [" ".join(str(value) for value in row if value not in ("", None)) for row in zip(*parts, strict=True)]
    return joined


def _computed(compute, ats: list[int], typed: bool):
    def computed(values, seen):
        results = [compute(*row) for row in zip(*(values[at] for at in ats), strict=True)]
        if typed:
            return results
        return ["" if value is None else str(value) for value in results]
    return computed


def _related_name(ats: list[int]):
    if len(ats) == 1:
        at = ats[0]

        def related(values, seen):
            return _texts([None if name is None else str(name) for name in values[at]])
        return related

    def related_parts(values, seen):
        return _texts([" ".join(str(part) for part in row if part not in (None, ""))
                       for row in zip(*(values[at] for at in ats), strict=True)])
    return related_parts


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
PAGE_FORMATS = {"contacts": ("csv", "xlsx", "vcard", "outlook")}


def _export_url(kind: str, fmt: str):
    def url(query, shown: list[str]) -> str:
        params = query.copy()
        for key in ("page", "count"):
            params.pop(key, None)
        params["cols"] = ",".join(shown)
        if fmt == "outlook" and (get_language() or "").startswith("es"):
            params["lang"] = "es"
        return f"{reverse('exchange:export', args=[kind, fmt])}?{params.urlencode()}"
    return url


def register_list_actions() -> None:
    """Each exported list's page offers an "Export" menu: the page's filters, sort and shown columns, as a file."""
    for kind, spec in LISTS.items():
        for fmt in PAGE_FORMATS.get(kind, ("csv", "xlsx")):
            lists.register_action(spec.list_key, lists.ListAction(_("Export"), FORMATS[fmt], _export_url(kind, fmt)))
