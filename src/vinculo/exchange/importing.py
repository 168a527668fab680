"""The import engine: reads a job's file, applies the duplicate rules (`rules`) row by row against the
file's earlier rows and the records the importing user may see, and writes in batches, one transaction
each: a batch is either whole (its records, its rows' outcomes and the job's counts) or absent, so a job
that fails between batches is resumed from its last committed batch and never leaves half a row.

What a matched row does is the job's choice (`OnDuplicate`): skip, fill the record's empty fields,
overwrite them, or create a record anyway. A match the user may see but not edit is skipped. A record
the user cannot see is never matched, updated or named: the row creates a new record, or — where the
value is unique, an account's tax id — is rejected with the same words the account form uses."""

import contextlib
import functools
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from babel import Locale
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, models, transaction
from django.db.models import F, Min
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from vinculo.accounts.models import Account
from vinculo.contacts.models import Contact
from vinculo.core import clock, events
from vinculo.core.services import (
    bulk_create_records,
    bulk_update_records,
    create_record,
    insert_rows,
    record_maker,
    soft_delete,
    update_record,
)
from vinculo.core.validators import TEXT_MAX_LENGTH, default_country
from vinculo.sales.models import Lead

from . import readers
from .mapping import clean_mapping, suggest
from .models import ImportJob, ImportRow, OnDuplicate
from .rules import (
    compact_tax_id,
    is_formula,
    normalize_email,
    normalize_legal_name,
    normalize_mobile,
    normalize_name,
    person_key,
)

BATCH_SIZE = 500


class Rejected(Exception):
    """The row cannot be imported; the message says why, naming the field."""


@dataclass
class Prepared:
    values: dict  # model attribute → value, only what the row gives
    key: tuple
    flags: list[str] = field(default_factory=list)


@dataclass
class Result:
    number: int
    outcome: str
    message: str = ""
    flagged: bool = False
    record: models.Model | None = None
    prior: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    key: str = ""  # the row's duplicate key (`key_text`), when it has one


# ---------- Reading cells ----------

@functools.lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    names = {}
    for language in ("en", "es"):
        for code, name in Locale(language).territories.items():
            if len(code) == 2 and code.isalpha():
                names[normalize_name(name)] = code
    return names


def country_code(text: str) -> str:
    """An ISO country code from a code or a country's name in English or Spanish; "" when unknown."""
    text = (text or "").strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    return _country_names().get(normalize_name(text), "")


@functools.cache
def _max_length(model, name: str) -> int:
    return getattr(model._meta.get_field(name), "max_length", None) or TEXT_MAX_LENGTH


class Cells:
    """A mapped row's text by field, checking lengths and noting formula cells as it goes."""

    def __init__(self, model, mapped: dict[str, str]):
        self.model = model
        self.mapped = mapped
        self.flags: list[str] = []

    def raw(self, name: str) -> str:
        value = (self.mapped.get(name) or "").strip()
        # An apostrophe before = + - @ is how exports (ours included) keep a spreadsheet from running a cell.
        if value[:1] == "'" and is_formula(value[1:]):
            value = value[1:]
        return value

    def label(self, name: str) -> str:
        try:
            return capfirst(self.model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            return name

    def text(self, name: str, limit_field: str = "") -> str:
        value = self.raw(name)
        if not value:
            return ""
        target = limit_field or name
        limit = _max_length(self.model, target)
        if len(value) > limit:
            raise Rejected(_("%(field)s is longer than %(limit)s characters.") % {
                "field": self.label(target), "limit": limit})
        if is_formula(value):
            self.flags.append(_("%(field)s starts with “%(char)s” and was imported as text.") % {
                "field": self.label(target), "char": value[0]})
        return value

    def phone(self, name: str, country: str, target: str = "") -> str:
        value = self.raw(name)
        try:
            return normalize_mobile(value[:100], country)
        except ValidationError as exc:
            self.flags.append(_("%(field)s left empty: %(error)s") % {
                "field": self.label(target or name), "error": " ".join(exc.messages)})
            return ""

    def country(self) -> str:
        value = self.raw("country")
        code = country_code(value)
        if value and not code:
            self.flags.append(_("Unknown country “%(value)s”; %(default)s was used.") % {
                "value": value[:100], "default": default_country()})
        return code


def _drop_empty(values: dict) -> dict:
    return {name: value for name, value in values.items() if value not in ("", None)}


# ---------- The kinds ----------

class Spec:
    model: type[models.Model]
    # The fields whose values `prepare` builds with the model field's own checks (its length, the e-mail
    # validator, a phone in E.164): the model's validation leaves them out, it would run the same checks
    # again on every row. The model's `clean` still runs.
    PREPARED: frozenset[str] = frozenset()

    def __init__(self, user):
        self.user = user

    def prepare(self, mapped: dict[str, str]) -> Prepared:
        raise NotImplementedError

    def existing(self, prepared: list[Prepared]) -> dict[tuple, models.Model]:
        """The visible records the rows' keys match, by key (a few queries per batch)."""
        raise NotImplementedError

    def unusable(self, prepared: Prepared) -> str:
        """Why a row that matched nothing cannot be created (a value an invisible record holds), or ""."""
        return ""


def _person_names(cells: Cells) -> tuple[str, str]:
    first = " ".join(filter(None, [cells.text("first_name"), cells.raw("middle_name")[:100]]))
    last = cells.text("last_name")
    if not first and not last:
        full = cells.raw("full_name")[:200]
        if full:
            *given, family = full.split()
            first, last = " ".join(given), family
    if not last and first:
        first, last = "", first
    return first[:100], last[:100]


class ContactSpec(Spec):
    model = Contact
    PREPARED = frozenset({"first_name", "last_name", "email", "mobile", "phone", "title", "department", "city",
                          "country", "description"})

    @functools.cached_property
    def accounts_by_name(self) -> dict[str, int]:
        """The user's visible accounts by normalised legal name (and trade name): one query per import."""
        found = {}
        for pk, legal, trade in Account.objects.visible_to(self.user).values_list("pk", "legal_name", "trade_name"):
            for name in (trade, legal):
                if name:
                    found[normalize_legal_name(name)] = pk
        return found

    def prepare(self, mapped):
        cells = Cells(Contact, mapped)
        country = cells.country()
        first, last = _person_names(cells)
        email, bad_email = "", ""
        try:
            email = normalize_email(cells.raw("email")[:254])
        except ValidationError:
            bad_email = cells.raw("email")[:100]
        mobile = cells.phone("mobile", country or default_country())
        phone = cells.phone("phone", country or default_country())
        company = cells.text("account", "description")
        if bad_email and not (mobile or phone):
            raise Rejected(_("“%(value)s” is not a valid e-mail and the row has no phone.") % {"value": bad_email})
        if not last:
            if company:
                raise Rejected(_("The row names a company but no person."))
            raise Rejected(_("The row has no name."))
        key = person_key(email, mobile or phone, f"{first} {last}")
        if key is None:
            raise Rejected(_("Nothing identifies this person: give an e-mail, or a mobile phone with the name."))
        if bad_email:
            cells.flags.append(_("“%(value)s” is not a valid e-mail; it was left out.") % {"value": bad_email})
        values = {
            "first_name": first, "last_name": last, "email": email, "mobile": mobile, "phone": phone,
            "title": cells.text("title"), "department": cells.text("department"), "city": cells.text("city"),
            "country": country, "description": cells.text("description"),
        }
        if company:
            account = self.accounts_by_name.get(normalize_legal_name(company))
            if account:
                values["account_id"] = account
            else:
                cells.flags.append(_("No account you can see is called “%(name)s”; the contact has none.") % {
                    "name": company[:200]})
        return Prepared(_drop_empty(values), key, cells.flags)

    def existing(self, prepared):
        emails = {p.key[1] for p in prepared if p.key[0] == "email"}
        phones = {p.key[1] for p in prepared if p.key[0] == "mobile"}
        visible = Contact.objects.visible_to(self.user)
        found: dict[tuple, Contact] = {}
        candidates = list(visible.filter(email__in=emails).order_by("pk")) if emails else []
        if phones:
            candidates += visible.filter(models.Q(mobile__in=phones) | models.Q(phone__in=phones)).order_by("pk")
        for contact in candidates:
            keys = [("email", contact.email)] if contact.email else []
            for number in (contact.mobile, contact.phone):
                if number:
                    keys.append(("mobile", number, normalize_name(contact.full_name)))
            for key in keys:
                found.setdefault(key, contact)
        return found


class LeadSpec(Spec):
    model = Lead

    def prepare(self, mapped):
        cells = Cells(Lead, mapped)
        country = cells.country()
        first, last = cells.text("first_name"), cells.text("last_name")
        company = cells.text("company")
        email, bad_email = "", ""
        try:
            email = normalize_email(cells.raw("email")[:254])
        except ValidationError:
            bad_email = cells.raw("email")[:100]
        phone = cells.phone("phone", country or default_country())
        tax_id = ""
        if cells.raw("company_tax_id"):
            try:
                tax_id = compact_tax_id(cells.raw("company_tax_id")[:50], country)
            except ValidationError as exc:
                raise Rejected(f"{cells.label('company_tax_id')}: {' '.join(exc.messages)}") from exc
        if bad_email and not phone:
            raise Rejected(_("“%(value)s” is not a valid e-mail and the row has no phone.") % {"value": bad_email})
        if not (last or company):
            raise Rejected(_("Give at least a last name or a company."))
        key = person_key(email, phone, f"{first} {last}")
        if key is None:
            raise Rejected(_("Nothing identifies this lead: give an e-mail, or a phone with the name."))
        if bad_email:
            cells.flags.append(_("“%(value)s” is not a valid e-mail; it was left out.") % {"value": bad_email})
        values = {
            "first_name": first, "last_name": last, "email": email, "phone": phone, "company": company,
            "company_tax_id": tax_id, "title": cells.text("title"), "city": cells.text("city"),
            "region": cells.text("region"), "country": country, "description": cells.text("description"),
        }
        return Prepared(_drop_empty(values), key, cells.flags)

    def existing(self, prepared):
        emails = {p.key[1] for p in prepared if p.key[0] == "email"}
        phones = {p.key[1] for p in prepared if p.key[0] == "mobile"}
        visible = Lead.objects.visible_to(self.user).order_by("pk")
        found: dict[tuple, Lead] = {}
        candidates = list(visible.filter(email__in=emails)) if emails else []
        if phones:
            candidates += visible.filter(phone__in=phones)
        for lead in candidates:
            if lead.email:
                found.setdefault(("email", lead.email), lead)
            if lead.phone:
                name = normalize_name(f"{lead.first_name} {lead.last_name}")
                found.setdefault(("mobile", lead.phone, name), lead)
        return found


_ACCOUNT_TYPES = {normalize_name(str(label)): value for value, label in Account.Type.choices} | {
    value: value for value in Account.Type.values} | {
    "cliente": "customer", "prospecto": "prospect", "socio": "partner", "competidor": "competitor",
    "proveedor": "supplier", "otro": "other"}


class AccountSpec(Spec):
    model = Account

    @functools.cached_property
    def names(self) -> dict[str, Account]:
        """The user's visible accounts by normalised legal name: the second rule after the tax id."""
        found = {}
        for account in Account.objects.visible_to(self.user).only("pk", "legal_name", "tax_id", "country"):
            found.setdefault(normalize_legal_name(account.legal_name), account)
        return found

    def prepare(self, mapped):
        cells = Cells(Account, mapped)
        country = cells.country() or default_country()
        legal_name = cells.text("legal_name")
        if not legal_name:
            raise Rejected(_("The row has no legal name."))
        tax_id = ""
        if cells.raw("tax_id"):
            try:
                tax_id = compact_tax_id(cells.raw("tax_id")[:50], country)
            except ValidationError as exc:
                raise Rejected(f"{cells.label('tax_id')}: {' '.join(exc.messages)}") from exc
        email = ""
        try:
            email = normalize_email(cells.raw("email")[:254])
        except ValidationError:
            cells.flags.append(_("“%(value)s” is not a valid e-mail; it was left out.") % {
                "value": cells.raw("email")[:100]})
        website = cells.text("website")
        if website:
            try:
                URLValidator()(website if "://" in website else f"https://{website}")
                website = website if "://" in website else f"https://{website}"
            except ValidationError:
                cells.flags.append(_("“%(value)s” is not a web address; it was left out.") % {"value": website[:100]})
                website = ""
        account_type = ""
        if cells.raw("account_type"):
            account_type = _ACCOUNT_TYPES.get(normalize_name(cells.raw("account_type")), "")
            if not account_type:
                cells.flags.append(_("Unknown account type “%(value)s”.") % {"value": cells.raw("account_type")[:100]})
        employees = None
        if cells.raw("employees"):
            digits = cells.raw("employees").replace(".", "").replace(",", "").replace(" ", "")
            if digits.isdigit() and len(digits) < 10:
                employees = int(digits)
            else:
                cells.flags.append(_("“%(value)s” is not a number of employees.") % {"value": cells.raw("employees")[:50]})
        values = {
            "legal_name": legal_name, "trade_name": cells.text("trade_name"), "tax_id": tax_id, "country": country,
            "phone": cells.phone("phone", country), "email": email, "website": website,
            "account_type": account_type, "employees": employees, "description": cells.text("description"),
        }
        key = ("tax", country, tax_id) if tax_id else ("name", normalize_legal_name(legal_name))
        return Prepared(_drop_empty(values), key, cells.flags)

    def existing(self, prepared):
        found: dict[tuple, Account] = {}
        taxes = {(p.key[1], p.key[2]) for p in prepared if p.key[0] == "tax"}
        # The batch's tax ids that any live account holds, seen or not (`unusable`): one query.
        self.taken = set(Account.objects.filter(tax_id__in={tax for _c, tax in taxes}).values_list(
            "country", "tax_id")) if taxes else set()
        if taxes:
            visible = Account.objects.visible_to(self.user).filter(tax_id__in={tax for _c, tax in taxes})
            for account in visible:
                found[("tax", account.country, account.tax_id)] = account
        for p in prepared:
            if p.key in found:
                continue
            named = self.names.get(normalize_legal_name(p.values["legal_name"]))
            # The name matches only an account with no tax id or the same one: two tax ids, two companies.
            if named is not None and (not named.tax_id or p.key[0] == "name" or named.tax_id == p.key[2]):
                found[p.key] = named
        return found

    def unusable(self, prepared):
        tax_id = prepared.values.get("tax_id")
        if tax_id and (prepared.values["country"], tax_id) in self.taken:
            return str(Account._meta.constraints[0].violation_error_message)
        return ""


SPECS: dict[str, type[Spec]] = {"contacts": ContactSpec, "accounts": AccountSpec, "leads": LeadSpec}


# ---------- Applying a row ----------

def _empty(value) -> bool:
    return value in ("", None)


def changes_for(record, values: dict, on_duplicate: str) -> dict:
    """{attribute: new value} a matched row makes to `record`: its empty fields only (fill_empty), or
    every field the row gives a different value (overwrite)."""
    changes = {}
    for name, new in values.items():
        old = getattr(record, name)
        if on_duplicate == OnDuplicate.FILL_EMPTY and _empty(old) or (
                on_duplicate == OnDuplicate.OVERWRITE and old != new):
            changes[name] = new
    return changes


def _messages(exc: ValidationError, model) -> str:
    if hasattr(exc, "error_dict"):
        parts = []
        for name, errors in exc.message_dict.items():
            try:
                label = capfirst(model._meta.get_field(name).verbose_name)
            except FieldDoesNotExist:
                label = name
            parts.append(f"{label}: {' '.join(errors)}")
        return " ".join(parts)
    return " ".join(exc.messages)


class Run:
    """One pass over a job's rows, a batch at a time, each batch in a few queries whatever its size: one
    per duplicate rule for the matches (`Spec.existing`), one for the file's earlier rows with the same
    keys (`ImportRow.key`, so duplicates within the file are found across batches and after a resume
    without holding the file's keys in memory), one for which matches the user may change, and the bulk
    writes of `core.services` (records, their history, their events in one task after commit)."""

    def __init__(self, job: ImportJob):
        self.job = job
        self.spec = SPECS[job.kind](job.user)
        self.model = self.spec.model
        self.content_type = ContentType.objects.get_for_model(self.model)
        fields = self.model._meta.concrete_fields
        # Relations are the importer and records found through `visible_to`: validating them would check
        # each one's existence with a query per row.
        self.relations = {field.name for field in fields if field.is_relation}
        self.names = {field.attname: field.name for field in fields} | {field.name: field.name for field in fields}
        self.new_record = record_maker(self.model, owner=job.user)

    def batch(self, rows: list[readers.Row], mapping: dict[str, str]) -> list[Result]:
        results: dict[int, Result] = {}
        prepared: dict[int, Prepared] = {}
        for index, row in enumerate(rows):
            if row.error:
                results[index] = Result(row.number, ImportRow.Outcome.REJECTED, row.error, values=row.values)
                continue
            mapped = {name: row.values.get(header, "") for header, name in mapping.items()}
            try:
                prepared[index] = self.spec.prepare(mapped)
            except Rejected as exc:
                results[index] = Result(row.number, ImportRow.Outcome.REJECTED, str(exc), values=row.values)
        matches = self.spec.existing(list(prepared.values())) if prepared else {}
        earlier = self.earlier_rows({key_text(ready.key) for ready in prepared.values()})
        on_duplicate = self.job.on_duplicate
        creates: list[tuple[int, models.Model]] = []
        matched: list[tuple[int, models.Model]] = []
        for index, ready in prepared.items():
            row, key = rows[index], key_text(ready.key)
            if key in earlier and on_duplicate != OnDuplicate.CREATE:
                results[index] = Result(row.number, ImportRow.Outcome.SKIPPED,
                                        _("Same as row %(number)s of this file.") % {"number": earlier[key]},
                                        key=key)
                continue
            earlier.setdefault(key, row.number)
            record = matches.get(ready.key) if on_duplicate != OnDuplicate.CREATE else None
            if record is None:
                reason = self.spec.unusable(ready)
                if reason:
                    results[index] = Result(row.number, ImportRow.Outcome.REJECTED, reason, values=row.values,
                                            key=key)
                    continue
                record = self.new_record(ready.values)
                try:
                    self.validate(record, ready.values)
                except ValidationError as exc:
                    results[index] = self.rejected(row, exc, key)
                    continue
                creates.append((index, record))
                results[index] = self.done(row, ready, ImportRow.Outcome.CREATED, record, key)
            elif on_duplicate == OnDuplicate.SKIP:
                results[index] = Result(row.number, ImportRow.Outcome.SKIPPED, _("Matches an existing record."),
                                        key=key)
            else:
                matched.append((index, record))
        updates = self.update_matched(rows, prepared, matched, results)
        self.write(rows, creates, updates, results)
        return [results[index] for index in range(len(rows))]

    def earlier_rows(self, keys: set[str]) -> dict[str, int]:
        """{key: number of the file's first row with it} among the rows of earlier batches."""
        if not keys:
            return {}
        return dict(ImportRow.objects.filter(job=self.job, key__in=keys).values("key")
                    .annotate(first=Min("number")).values_list("key", "first"))

    def update_matched(self, rows, prepared, matched, results) -> dict[int, tuple[models.Model, dict]]:
        """Apply to the matched records, in the file's order, what their rows change; the rows that change
        nothing, or a record the user may not change, are skipped. {record id: (record, changes)}."""
        editable = set()
        changing = {record.pk for index, record in matched
                    if changes_for(record, prepared[index].values, self.job.on_duplicate)}
        if changing:
            editable = set(self.model.objects.editable_by(self.job.user, per_row=True).filter(
                pk__in=changing).values_list("pk", flat=True))
        updates: dict[int, tuple[models.Model, dict]] = {}
        for index, record in matched:
            row, ready = rows[index], prepared[index]
            key = key_text(ready.key)
            changes = changes_for(record, ready.values, self.job.on_duplicate)
            if not changes:
                results[index] = Result(row.number, ImportRow.Outcome.SKIPPED,
                                        _("The record already has these values."), key=key)
                continue
            if record.pk not in editable:
                results[index] = Result(row.number, ImportRow.Outcome.SKIPPED,
                                        _("Matches a record you may see but not change."), key=key)
                continue
            before = {name: getattr(record, name) for name in changes}
            prior = {name: events.plain(value) for name, value in before.items()}
            for name, value in changes.items():
                setattr(record, name, value)
            try:
                self.validate(record, changes)
                if self.model._meta.constraints:
                    record.validate_constraints()
            except ValidationError as exc:
                for name, value in before.items():  # the refused values must not match the file's next rows
                    setattr(record, name, value)
                results[index] = self.rejected(row, exc, key)
                continue
            result = self.done(row, ready, ImportRow.Outcome.UPDATED, record, key)
            result.prior = prior
            results[index] = result
            pending = updates.setdefault(record.pk, (record, {}))[1]
            pending.update({self.model._meta.get_field(name).attname: getattr(record, name) for name in changes})
        return updates

    def validate(self, record: models.Model, values: dict) -> None:
        """The model's checks of the fields the row gives (and of those it must give), and its `clean`."""
        given = {self.names[name] for name in values}
        record.clean_fields(exclude=self.relations | self.spec.PREPARED | {
            name for name in self.names.values() if name not in given and name not in self.required})
        record.clean()

    @functools.cached_property
    def required(self) -> set[str]:
        return {field.name for field in self.model._meta.concrete_fields if not field.blank}

    def write(self, rows, creates, updates, results) -> None:
        """The batch's new and changed records in bulk; if the database refuses one (a value another record
        took meanwhile), the batch's records are written one by one instead, so that only that row is
        rejected."""
        if not (creates or updates):
            return
        try:
            with transaction.atomic():
                bulk_create_records([record for _index, record in creates], by=self.job.user)
                bulk_update_records(list(updates.values()), by=self.job.user)
        except IntegrityError:
            for _index, record in creates:
                record.pk, record._state.adding = None, True
            self.write_one_by_one(rows, creates, updates, results)

    def write_one_by_one(self, rows, creates, updates, results) -> None:
        def refused(index, message):
            result = results[index]
            results[index] = Result(result.number, ImportRow.Outcome.REJECTED, message,
                                    values=rows[index].values, key=result.key)

        for index, record in creates:
            try:
                with transaction.atomic():
                    record.validate_constraints()
                    create_record(record, by=self.job.user, validate=False)
            except ValidationError as exc:
                refused(index, _messages(exc, self.model))
            except IntegrityError:
                refused(index, _("The database refused this row (a value another record already has)."))
        for record, _changes in updates.values():
            try:
                with transaction.atomic():
                    update_record(record, by=self.job.user, validate=False)
            except IntegrityError:
                for index, result in results.items():
                    if result.record is record:
                        refused(index, _("The database refused this row (a value another record already has)."))

    def rejected(self, row: readers.Row, exc: ValidationError, key: str) -> Result:
        return Result(row.number, ImportRow.Outcome.REJECTED, _messages(exc, self.model), values=row.values, key=key)

    def done(self, row: readers.Row, ready: Prepared, outcome: str, record: models.Model, key: str) -> Result:
        return Result(row.number, outcome, " ".join(ready.flags), bool(ready.flags), record, key=key)

    def save(self, results: list[Result]) -> None:
        """Write the rows' outcomes and add them to the job's counts (inside the batch's transaction)."""
        insert_rows(ImportRow, ["job", "number", "outcome", "flagged", "message", "content_type", "object_id",
                                "values", "prior", "key"], (
            (self.job.pk, result.number, result.outcome, result.flagged, result.message[:2000],
             self.content_type.pk if result.record is not None else None,
             result.record.pk if result.record is not None else None, _kept(result.values), result.prior, result.key)
            for result in results
        ))
        counts = {outcome: sum(1 for result in results if result.outcome == outcome)
                  for outcome in ImportRow.Outcome.values}
        ImportJob.objects.filter(pk=self.job.pk).update(
            processed=F("processed") + len(results), created=F("created") + counts["created"],
            updated=F("updated") + counts["updated"], skipped=F("skipped") + counts["skipped"],
            rejected=F("rejected") + counts["rejected"],
            flagged=F("flagged") + sum(1 for result in results if result.flagged),
        )


def key_text(key: tuple) -> str:
    """A duplicate key as stored with its row (`ImportRow.key`)."""
    return "\x1f".join(str(part) for part in key)


# A rejected row's cells are kept for its download up to this length each (a 1 MB cell is not stored whole).
KEPT_CELL = 5000


def _kept(values: dict) -> dict:
    return {header: value[:KEPT_CELL] for header, value in values.items()}


def _chunks(rows: Iterable, size: int):
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


@contextlib.contextmanager
def open_table(job: ImportJob) -> Iterator[readers.Table]:
    """The job's file as a table, its file open (a handle of its own) until the block ends: the rows are
    read from the stored file as they are asked for, never the file whole."""
    with job.file.storage.open(job.file.name, "rb") as file:
        yield readers.read(file, job.filename, job.format, job.encoding, job.delimiter)


def mapping_for(job: ImportJob, headers: list[str]) -> dict[str, str]:
    return clean_mapping(job.mapping, headers, job.kind) if job.mapping else suggest(headers, job.kind)


def run(job: ImportJob, after_batch: Callable[[int], None] | None = None) -> ImportJob:
    """Import `job`'s file, resuming after the rows its committed batches did; returns the job as saved.
    A failure marks the job failed with its error; what committed stays whole and counted."""
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, error="",
                                               started_at=job.started_at or clock.now())
    job.refresh_from_db()
    try:
        if not job.total:
            # A pass of its own over the file, a row at a time, for the progress bar's total.
            with open_table(job) as table:
                job.total = sum(1 for _row in table.rows)
            ImportJob.objects.filter(pk=job.pk).update(total=job.total, headers=table.headers)
        with open_table(job) as table:
            mapping = mapping_for(job, table.headers)
            pass_ = Run(job)
            rows = itertools.islice(table.rows, job.processed, None)
            for number, chunk in enumerate(_chunks(rows, BATCH_SIZE), start=1):
                with transaction.atomic():
                    pass_.save(pass_.batch(chunk, mapping))
                if after_batch is not None:
                    after_batch(number)
    except readers.UnreadableFile as exc:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED, error=str(exc),
                                                   finished_at=clock.now())
    except Exception as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED, finished_at=clock.now(),
            error=_("The import stopped: %(error)s. The rows before it are imported; run it again to go on.")
            % {"error": str(exc)[:500]})
    else:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.DONE, finished_at=clock.now())
    job.refresh_from_db()
    return job


@transaction.atomic
def revert(job: ImportJob, by) -> ImportJob:
    """Undo `job`: what it created goes to the recycle bin, what it updated gets its prior values back
    (through the services, so history records both)."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status == ImportJob.Status.REVERTED:
        return job
    rows = job.rows.filter(outcome__in=[ImportRow.Outcome.CREATED, ImportRow.Outcome.UPDATED]).order_by("-number")
    for row in rows.select_related("content_type").iterator():
        model = row.content_type.model_class()
        record = model.all_objects.filter(pk=row.object_id).first()
        if record is None:
            continue
        if row.outcome == ImportRow.Outcome.CREATED:
            soft_delete(record, by)
            continue
        for name, value in row.prior.items():
            model_field = model._meta.get_field(name)  # "account_id" finds the account field too
            setattr(record, model_field.attname, model_field.to_python(value) if value is not None else None)
        update_record(record, by, validate=False)
    job.status = ImportJob.Status.REVERTED
    job.finished_at = clock.now()
    job.save(update_fields=["status", "finished_at"])
    return job
