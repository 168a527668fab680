"""The report engine: a report definition (a record type, columns, filters, up to two grouping levels,
aggregates, sort) compiled to ORM queries over `Model.objects.visible_to(user)`.

A run costs a fixed number of queries whatever the rows: one for the rows, one per grouping level, one
for the total, and one per related record type a column reaches (which of those records the reader may
see), plus what the access policy reads about the user. Fields of a field group the reader may not read
(`policy.hidden_fields`) come back blank, and no aggregate is computed on them; a related record the
reader may not see reads "a record you cannot see". Amounts are summed per currency.

An export (`export`) costs as many: its groups and total are computed first, its rows then read from the
one rows query a chunk at a time as the writer asks for them (`RowStream`), with whether the reader may
see each related record read in that same query, so the export holds one chunk of rows whatever their
number.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from itertools import chain, islice

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models
from django.db.models import Count, Max, Min, Q, Sum, Value
from django.db.models.functions import (
    Coalesce,
    Concat,
    NullIf,
    Trim,
    TruncMonth,
    TruncQuarter,
    TruncWeek,
    TruncYear,
)
from django.utils import formats
from django.utils.translation import gettext as _

from vinculo.core import clock, reporting
from vinculo.core.access import HIDDEN_RECORD, has_policy, is_admin, subordinate_ids, visible_ids
from vinculo.core.policy import policy_for

ROW_LIMIT = 1000
CENTS = Decimal("0.01")
MAX_GROUP_LEVELS = 2
AGGREGATE_FUNCTIONS = ("count", "sum", "avg", "min", "max")
DATE_BUCKETS = {"week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}
# Operators a filter may use, by what they need as a value.
VALUE_OPERATORS = ("eq", "ne", "in", "contains", "gt", "gte", "lt", "lte", "between")
DATE_OPERATORS = ("today", "before_today", "this_week", "this_month", "this_quarter", "this_year",
                  "last_days", "next_days")
USER_OPERATORS = ("mine", "my_team")
NO_VALUE_OPERATORS = ("empty", "not_empty") + DATE_OPERATORS[:6] + USER_OPERATORS
OPERATORS = VALUE_OPERATORS + ("empty", "not_empty") + DATE_OPERATORS + USER_OPERATORS


class ReportError(ValueError):
    """A definition that cannot run: `field` names the part at fault ("columns", "filters", …)."""

    def __init__(self, field: str, message: str):
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")


@dataclass
class Filter:
    field: str
    op: str
    value: object = None


@dataclass
class Aggregate:
    field: str
    fn: str

    @property
    def key(self) -> str:
        return f"{self.fn}:{self.field}"


@dataclass
class Definition:
    record_type: str
    columns: list[str] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    group_by: list[str] = field(default_factory=list)
    aggregates: list[Aggregate] = field(default_factory=list)
    sort: list[str] = field(default_factory=list)
    # Predefined reports filter on fields a reader may not read (overdue: a balance above zero) without
    # showing them; a user's own definition may not.
    system: bool = False

    @classmethod
    def from_dict(cls, data: dict, system: bool = False) -> "Definition":
        try:
            return cls(
                record_type=str(data["record_type"]),
                columns=[str(c) for c in data.get("columns") or []],
                filters=[Filter(str(f["field"]), str(f["op"]), f.get("value")) for f in data.get("filters") or []],
                group_by=[str(g) for g in data.get("group_by") or []],
                aggregates=[Aggregate(str(a["field"]), str(a["fn"])) for a in data.get("aggregates") or []],
                sort=[str(s) for s in data.get("sort") or []],
                system=system,
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ReportError("definition", _("The report definition is malformed.")) from exc

    def to_dict(self) -> dict:
        return {
            "record_type": self.record_type, "columns": list(self.columns),
            "filters": [{"field": f.field, "op": f.op, "value": f.value} for f in self.filters],
            "group_by": list(self.group_by),
            "aggregates": [{"field": a.field, "fn": a.fn} for a in self.aggregates],
            "sort": list(self.sort),
        }


# --- Resolving a dotted path against the registry and the models ------------------------------------------

@dataclass
class Resolved:
    """A column of a record type as the engine queries it."""

    path: str
    label: str
    kind: str  # text, choice, number, money, date, datetime, record, bool
    orm: str  # the value's name in .values(): the ORM path, or an alias of an expression
    expression: object = None
    display_orm: str = ""  # record: the alias of its name
    display_expression: object = None
    label_expression: object = None  # record: its name, as an expression on the record's own table
    to_many: bool = False  # the path crosses a to-many relation: a record may give several rows
    currency_orm: str = ""
    choices: dict = field(default_factory=dict)
    hidden: bool = False
    # The guarded records the path goes through: (ORM path of the id, model), for the reader's visibility.
    guards: list = field(default_factory=list)
    target_model: type | None = None
    bucket: str = ""  # a date grouped by week, month, quarter or year


def _alias(path: str) -> str:
    return "r_" + path.replace(".", "__").replace(":", "__")


def _user_display(orm: str):
    """A user's name as `str(user)` gives it (the full name, else the username); `orm` "" for the user table."""
    prefix = f"{orm}__" if orm else ""
    full = Trim(Concat(f"{prefix}first_name", Value(" "), f"{prefix}last_name", output_field=models.CharField()))
    return Coalesce(NullIf(full, Value("")), f"{prefix}username", output_field=models.CharField())


def resolve(record_type: reporting.RecordType, path: str, user, hidden_cache: dict) -> Resolved:
    bucket = ""
    if ":" in path:
        path, bucket = path.split(":", 1)
        if bucket not in DATE_BUCKETS:
            raise ReportError("group_by", _("Unknown date grouping “%(bucket)s”.") % {"bucket": bucket})
    column = record_type.columns.get(path)
    if column is None:
        raise ReportError("columns", _("“%(path)s” is not a column of this record type.") % {"path": path})
    if column.expression is not None:
        resolved = Resolved(path, str(column.label), column.kind or "number", _alias(path), column.expression)
    else:
        resolved = _resolve_field(record_type.model, column, user, hidden_cache)
    if bucket:
        if resolved.kind not in ("date", "datetime"):
            raise ReportError("group_by", _("Only a date can be grouped by week, month, quarter or year."))
        resolved.bucket = bucket
        resolved.expression = DATE_BUCKETS[bucket](resolved.expression or resolved.orm)
        resolved.orm = _alias(f"{path}:{bucket}")
        resolved.path = f"{path}:{bucket}"
    return resolved


def _resolve_field(model, column: reporting.Column, user, hidden_cache: dict) -> Resolved:
    parts = column.path.split(".")
    guards = []
    current = model
    model_field = None
    to_many = False
    for index, name in enumerate(parts):
        try:
            model_field = current._meta.get_field(name)
        except FieldDoesNotExist as exc:
            raise ReportError("columns", _("“%(path)s” is not a column of this record type.")
                              % {"path": column.path}) from exc
        if model_field.is_relation and (model_field.many_to_many or model_field.one_to_many):
            to_many = True
        if model_field.is_relation and index < len(parts) - 1:
            current = model_field.related_model
            if has_policy(current):
                guards.append(("__".join(parts[: index + 1]), current))
    orm = "__".join(parts)
    hidden = False
    if has_policy(current) and not model_field.is_relation:
        if current not in hidden_cache:
            hidden_cache[current] = set(policy_for(current).hidden_fields(user))
        hidden = model_field.name in hidden_cache[current]
    label = str(column.label or model_field.verbose_name)
    label = label[:1].upper() + label[1:]
    resolved = Resolved(column.path, label, column.kind or _kind(model_field, column), orm, guards=guards,
                        hidden=hidden, to_many=to_many)
    if model_field.is_relation:
        target = model_field.related_model
        resolved.kind = "record"
        resolved.target_model = target
        if has_policy(target):
            resolved.guards = guards + [(orm, target)]
        if target is get_user_model():
            resolved.display_expression = _user_display(orm)
            resolved.label_expression = _user_display("")
        else:
            display = column.display or _display_field(target)
            resolved.display_expression = models.F(f"{orm}__{display}")
            resolved.label_expression = models.F(display)
        resolved.display_orm = _alias(column.path) + "__display"
    elif model_field.choices:
        resolved.choices = {value: str(text) for value, text in model_field.flatchoices}
    if column.currency:
        resolved.currency_orm = column.currency.replace(".", "__")
    return resolved


def _display_field(model) -> str:
    """The field naming a related record when its column does not say."""
    names = {f.name for f in model._meta.concrete_fields}
    return next((name for name in ("name", "legal_name", "title", "subject", "number") if name in names), "pk")


def _kind(model_field, column) -> str:
    if column.currency:
        return "money"
    if model_field.choices:
        return "choice"
    if isinstance(model_field, models.DateTimeField):
        return "datetime"
    if isinstance(model_field, models.DateField):
        return "date"
    if isinstance(model_field, models.BooleanField):
        return "bool"
    if isinstance(model_field, models.DecimalField | models.IntegerField | models.FloatField):
        return "number"
    return "text"


# --- Filters -------------------------------------------------------------------------------------------------

def _period(op: str, today: datetime.date, value) -> tuple[datetime.date, datetime.date]:
    """The first and last day (both included) of a relative period."""
    if op == "today":
        return today, today
    if op == "this_week":
        start = today - datetime.timedelta(days=today.weekday())
        return start, start + datetime.timedelta(days=6)
    if op == "this_month":
        start = today.replace(day=1)
        following = (start + datetime.timedelta(days=32)).replace(day=1)
        return start, following - datetime.timedelta(days=1)
    if op == "this_quarter":
        first_month = 3 * ((today.month - 1) // 3) + 1
        start = today.replace(month=first_month, day=1)
        following = (start + datetime.timedelta(days=95)).replace(day=1)
        return start, following - datetime.timedelta(days=1)
    if op == "this_year":
        return today.replace(month=1, day=1), today.replace(month=12, day=31)
    days = _integer(value, "filters")
    if days < 0 or days > 36600:
        raise ReportError("filters", _("Give a number of days between 0 and 36600."))
    if op == "last_days":  # the last N days up to today: today and the N-1 before it
        return today - datetime.timedelta(days=max(days - 1, 0)), today
    return today, today + datetime.timedelta(days=days)  # next_days: today and the N after it


def _integer(value, where: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise ReportError(where, _("Give a whole number.")) from exc


def _typed(resolved: Resolved, value):
    """A filter value as the column's type; a clear error for one that is not."""
    if value is None:
        raise ReportError("filters", _("This filter needs a value."))
    text = str(value).strip()
    try:
        if resolved.kind in ("date", "datetime"):
            return datetime.date.fromisoformat(text)
        if resolved.kind in ("number", "money"):
            number = Decimal(text)
            if not number.is_finite() or abs(number) >= Decimal(10) ** 16:
                raise InvalidOperation
            return number
        if resolved.kind == "record":
            number = int(text)
            if abs(number) > 2**63 - 1:
                raise ValueError
            return number
        if resolved.kind == "bool":
            if text.lower() in ("true", "1", "yes"):
                return True
            if text.lower() in ("false", "0", "no"):
                return False
            raise ValueError
    except (ValueError, InvalidOperation) as exc:
        raise ReportError("filters", _("“%(value)s” is not a valid value for %(column)s.")
                          % {"value": text[:50], "column": resolved.label}) from exc
    if "\x00" in text:
        raise ReportError("filters", _("“%(value)s” is not a valid value for %(column)s.")
                          % {"value": "", "column": resolved.label})
    return text


def filter_q(resolved: Resolved, flt: Filter, user) -> Q:
    name = resolved.orm
    op = flt.op
    if op not in OPERATORS:
        raise ReportError("filters", _("Unknown filter operator “%(op)s”.") % {"op": op[:30]})
    if op in DATE_OPERATORS:
        if resolved.kind not in ("date", "datetime"):
            raise ReportError("filters", _("%(column)s is not a date.") % {"column": resolved.label})
        lookup = f"{name}__date" if resolved.kind == "datetime" and resolved.expression is None else name
        today = clock.today()
        if op == "before_today":
            return Q(**{f"{lookup}__lt": today})
        start, end = _period(op, today, flt.value)
        return Q(**{f"{lookup}__gte": start, f"{lookup}__lte": end})
    if op in USER_OPERATORS:
        if resolved.target_model is not get_user_model():
            raise ReportError("filters", _("%(column)s is not a person.") % {"column": resolved.label})
        if op == "mine":
            return Q(**{name: user.pk})
        return Q(**{name: user.pk}) | Q(**{f"{name}__in": subordinate_ids(user)})
    if op == "empty":
        empty = Q(**{f"{name}__isnull": True})
        if resolved.kind in ("text", "choice"):
            empty |= Q(**{name: ""})
        return empty
    if op == "not_empty":
        return ~filter_q(resolved, Filter(flt.field, "empty"), user)
    if op == "in":
        values = flt.value if isinstance(flt.value, list | tuple) else str(flt.value or "").split(",")
        if len(values) > 500:
            raise ReportError("filters", _("A filter may list at most 500 values."))
        return Q(**{f"{name}__in": [_typed(resolved, value) for value in values]})
    if op == "between":
        if not isinstance(flt.value, list | tuple) or len(flt.value) != 2:
            raise ReportError("filters", _("“between” needs two values: the first and the last."))
        if resolved.kind == "datetime" and resolved.expression is None:
            name = f"{name}__date"
        return Q(**{f"{name}__gte": _typed(resolved, flt.value[0]), f"{name}__lte": _typed(resolved, flt.value[1])})
    value = _typed(resolved, flt.value)
    if resolved.kind == "datetime" and resolved.expression is None and op != "contains":
        name = f"{name}__date"  # a moment compared with a day: the day it falls on, in the current time zone
    if op == "eq":
        return Q(**{name: value})
    if op == "ne":
        return ~Q(**{name: value})
    if op == "contains":
        return Q(**{f"{name}__icontains": str(value)})
    return Q(**{f"{name}__{op}": value})


# --- Running -------------------------------------------------------------------------------------------------

@dataclass
class Group:
    key: object
    label: str
    count: int
    values: dict  # aggregate key → a number, or {currency: amount} for money
    filters: list = field(default_factory=list)  # the filters that narrow the report to this group
    children: list = field(default_factory=list)


@dataclass
class Result:
    definition: Definition
    record_type: reporting.RecordType
    columns: list[Resolved]
    group_columns: list[Resolved]
    aggregates: list[Aggregate]
    aggregate_columns: dict
    rows: "list[dict] | RowStream"  # held by `run`, read as written by `export`
    groups: list[Group]
    total: Group
    truncated: bool = False


def _prepared(record_type, definition: Definition, user):
    hidden_cache: dict = {}
    columns = [resolve(record_type, path, user, hidden_cache) for path in (definition.columns or
                                                                        record_type.default_columns)]
    if len(definition.group_by) > MAX_GROUP_LEVELS:
        raise ReportError("group_by", _("A report groups on two levels at most."))
    groups = [resolve(record_type, path, user, hidden_cache) for path in definition.group_by]
    for group in groups:
        if group.hidden:
            raise ReportError("group_by", _("You may not group by %(column)s.") % {"column": group.label})
    aggregate_columns = {}
    for aggregate in definition.aggregates:
        if aggregate.fn not in AGGREGATE_FUNCTIONS:
            raise ReportError("aggregates", _("Unknown function “%(fn)s”.") % {"fn": aggregate.fn[:30]})
        resolved = resolve(record_type, aggregate.field, user, hidden_cache)
        if resolved.to_many:
            # Its values would be summed once per related row beside the record's own: refused, not double counted.
            raise ReportError("aggregates", _("%(column)s may hold several values per record: it cannot be "
                                              "aggregated.") % {"column": resolved.label})
        if aggregate.fn != "count" and resolved.kind not in ("number", "money"):
            raise ReportError("aggregates", _("%(column)s is not a number.") % {"column": resolved.label})
        aggregate_columns[aggregate.field] = resolved
    queryset = record_type.model.objects.visible_to(user)
    condition = Q()
    # A filter or a grouping across a to-many relation joins it: a record may then come back several times.
    multiplied = any(group.to_many for group in groups)
    for flt in definition.filters:
        resolved = resolve(record_type, flt.field, user, hidden_cache)
        multiplied = multiplied or resolved.to_many
        if resolved.hidden and not definition.system:
            raise ReportError("filters", _("You may not filter by %(column)s.") % {"column": resolved.label})
        if resolved.expression is not None:
            queryset = queryset.alias(**{resolved.orm: resolved.expression})
        condition &= filter_q(resolved, flt, user)
    return columns, groups, aggregate_columns, queryset.filter(condition), multiplied


def _annotations(resolved_list):
    return {r.orm: r.expression for r in resolved_list if r.expression is not None} | {
        r.display_orm: r.display_expression for r in resolved_list if r.display_expression is not None}


# The parts of an aggregated column each function is put back together from (see `_merge`).
PARTS_OF = {"count": ("c",), "sum": ("c", "s"), "avg": ("c", "s"), "min": ("c", "lo"), "max": ("c", "hi")}
PART_FUNCTIONS = {"c": Count, "s": Sum, "lo": Min, "hi": Max}


def _aggregate_parts(aggregate_columns: dict, aggregates: list[Aggregate]) -> dict:
    """What the database computes per group for each aggregated column: the count of its values and, as the
    report's functions need them, their sum, min and max. Every function, and groups split per currency,
    can be put back together from them; a part no function needs is not computed (over every record of a
    large report, a min and a max cost as much as the grouping itself)."""
    parts = {"n": Count("pk")}
    positions = {path: index for index, path in enumerate(aggregate_columns)}
    for aggregate in aggregates:
        resolved = aggregate_columns[aggregate.field]
        if resolved.hidden:
            continue
        index = positions[aggregate.field]
        source = resolved.expression if resolved.expression is not None else resolved.orm
        parts |= {f"{part}{index}": PART_FUNCTIONS[part](source) for part in PARTS_OF[aggregate.fn]}
    return parts


def _merge(parts_rows, aggregate_columns: dict, aggregates: list[Aggregate]) -> tuple[int, dict]:
    """(count, {aggregate key: value}) of rows of parts, some split per currency."""
    count = sum(row["n"] for row in parts_rows)
    keyed = {}
    positions = {path: index for index, path in enumerate(aggregate_columns)}
    for aggregate in aggregates:
        resolved = aggregate_columns[aggregate.field]
        if resolved.hidden:
            keyed[aggregate.key] = None
            continue
        index = positions[aggregate.field]
        by_currency = defaultdict(list)
        for row in parts_rows:
            by_currency[row.get(resolved.currency_orm) if resolved.kind == "money" else None].append(row)
        values = {}
        for currency, rows in by_currency.items():
            counted = sum(row[f"c{index}"] for row in rows)
            if aggregate.fn == "count":
                value = counted
            elif counted == 0:
                value = None
            elif aggregate.fn == "sum":
                value = sum(row[f"s{index}"] for row in rows if row[f"s{index}"] is not None)
            elif aggregate.fn == "avg":
                total = sum(Decimal(row[f"s{index}"]) for row in rows if row[f"s{index}"] is not None)
                value = total / counted
            elif aggregate.fn == "min":
                value = min(row[f"lo{index}"] for row in rows if row[f"lo{index}"] is not None)
            else:
                value = max(row[f"hi{index}"] for row in rows if row[f"hi{index}"] is not None)
            values[currency] = value
        if resolved.kind == "money" and aggregate.fn != "count":
            # Two decimals whatever the database returns (SQLite drops them from a sum).
            keyed[aggregate.key] = {currency: Decimal(value).quantize(CENTS) for currency, value
                                    in sorted(values.items(), key=lambda item: str(item[0])) if value is not None}
        elif resolved.kind == "money":
            keyed[aggregate.key] = sum(values.values())
        else:
            keyed[aggregate.key] = values.get(None)
    return count, keyed


def _group_label(resolved: Resolved, row: dict, visible: dict) -> str:
    value = row.get(resolved.orm)
    if value is None or value == "":
        return "—"
    if resolved.kind == "record":
        if resolved.target_model in visible and value not in visible[resolved.target_model]:
            return str(HIDDEN_RECORD)
        return str(row.get(resolved.display_orm) or "—")
    return display_value(resolved, value)


def display_value(resolved: Resolved, value) -> str:
    """A value as the page shows it (a date dd-mm-aaaa, a week, a quarter, a choice's label)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date() if resolved.bucket else value
    if resolved.bucket == "year":
        return str(value.year)
    if resolved.bucket == "quarter":
        return _("Q%(quarter)s %(year)s") % {"quarter": (value.month - 1) // 3 + 1, "year": value.year}
    if resolved.bucket == "month":
        return formats.date_format(value, "m-Y")
    if resolved.bucket == "week":
        return _("Week of %(date)s") % {"date": formats.date_format(value, "SHORT_DATE_FORMAT")}
    if resolved.choices:
        return resolved.choices.get(value, str(value))
    if isinstance(value, datetime.datetime):
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def _group_filter(resolved: Resolved, key) -> list[dict]:
    """The filters that narrow a report to one group (its drill-down)."""
    if key is None or key == "":
        return [{"field": resolved.path.split(":")[0], "op": "empty", "value": None}]
    if resolved.bucket:
        day = key.date() if isinstance(key, datetime.datetime) else key
        following = DATE_BUCKETS[resolved.bucket]
        ends = {"week": day + datetime.timedelta(days=6), "year": day.replace(month=12, day=31)}
        if resolved.bucket in ("month", "quarter"):
            months = 1 if resolved.bucket == "month" else 3
            month = day.month + months
            start_next = day.replace(year=day.year + (month - 1) // 12, month=(month - 1) % 12 + 1, day=1)
            ends[resolved.bucket] = start_next - datetime.timedelta(days=1)
        del following
        return [{"field": resolved.path.split(":")[0], "op": "between",
                 "value": [day.isoformat(), ends[resolved.bucket].isoformat()]}]
    if isinstance(key, datetime.date):
        key = key.isoformat()
    return [{"field": resolved.path, "op": "eq", "value": key if isinstance(key, str | int) else str(key)}]


def _record_type(definition: Definition) -> reporting.RecordType:
    record_type = reporting.registry.get(definition.record_type)
    if record_type is None:
        raise ReportError("record_type", _("Unknown record type."))
    return record_type


def count(definition: Definition, user) -> int:
    """How many records the report reads for `user` (one query): whether an export runs inline."""
    return _prepared(_record_type(definition), definition, user)[3].count()


@dataclass
class _Plan:
    """A definition compiled for one reader: its columns, its records and how its rows are read."""

    record_type: reporting.RecordType
    columns: list[Resolved]
    group_columns: list[Resolved]
    aggregate_columns: dict
    aggregates: list[Aggregate]
    queryset: models.QuerySet
    multiplied: bool
    row_columns: list[Resolved]  # the columns, then the grouping columns not among them
    names: list[str]  # what the rows query reads of each row
    ordering: list

    def rows(self, **annotations) -> models.QuerySet:
        """Every row in one query, read in one pass."""
        rows = (self.queryset.annotate(**_annotations(self.row_columns), **annotations)
                .values("pk", *self.names, *annotations).order_by(*self.ordering))
        return rows.distinct() if self.multiplied else rows


def _plan(definition: Definition, user) -> _Plan:
    record_type = _record_type(definition)
    columns, group_columns, aggregate_columns, queryset, multiplied = _prepared(record_type, definition, user)
    row_columns = columns + [c for c in group_columns if c.path not in {col.path for col in columns}]
    guard_orms = {orm for column in row_columns for orm, _model in column.guards}
    names = [c.orm for c in row_columns] + [c.display_orm for c in row_columns if c.display_orm]
    names += sorted(guard_orms - set(names)) + [c.currency_orm for c in row_columns
                                                if c.currency_orm and c.currency_orm not in names]
    # A related record's id, not its model's own ordering: that would join its table to sort every row.
    ordering = [f"{c.orm}_id" if c.kind == "record" and not c.to_many else c.orm for c in group_columns]
    ordering += _ordering(record_type, definition, user) + ["pk"]
    # A record's several rows (a column across a to-many relation) in one order, whichever query reads them.
    ordering += [models.F(c.orm).asc(nulls_last=True) for c in row_columns if c.to_many and c.expression is None]
    return _Plan(record_type, columns, group_columns, aggregate_columns, definition.aggregates, queryset, multiplied,
                 row_columns, list(dict.fromkeys(names)), ordering)


def run(definition: Definition, user, limit: int = ROW_LIMIT) -> Result:
    """The report for `user`: rows (at most `limit`), groups with their subtotals, the total."""
    plan = _plan(definition, user)
    # The rows: the ids of the rows shown, in order, then their values (two queries: the sort over every
    # matching record reads no joined table); one query when a column crosses a to-many relation, or for
    # more rows than a page shows.
    if limit > ROW_LIMIT or any(c.to_many for c in plan.row_columns):
        rows = list(plan.rows()[: limit + 1])
    else:
        keys_only = {c.orm: c.expression for c in plan.group_columns if c.expression is not None}
        ids_qs = plan.queryset.annotate(**keys_only).order_by(*plan.ordering).values_list("pk", flat=True)
        if plan.multiplied:  # a record once, however many related rows matched the filter
            ids_qs = ids_qs.distinct()
        ids = list(ids_qs[: limit + 1])
        by_pk = {row["pk"]: row for row in plan.record_type.model._base_manager.filter(pk__in=ids)
                 .annotate(**_annotations(plan.row_columns)).values("pk", *plan.names)} if ids else {}
        rows = [by_pk[pk] for pk in ids]
    truncated = len(rows) > limit
    rows = rows[:limit]
    # Which related records the reader may see, asked with the groups' (one query per related type).
    wanted = defaultdict(set)
    for column in plan.row_columns:
        for orm, model in column.guards:
            wanted[model].update(row[orm] for row in rows)
    groups, total, visible = _summaries(plan, user, wanted)
    texts = {None: str(HIDDEN_RECORD)}  # a value's text, once per run (formatting a date is slow)
    shown_rows = _shown_rows(rows, plan.row_columns, visible, texts)
    return Result(definition, plan.record_type, plan.columns, plan.group_columns, plan.aggregates,
                  plan.aggregate_columns, shown_rows, groups, total, truncated)


def export(definition: Definition, user, limit: int) -> Result:
    """The report for an export: what `run` gives, its rows (at most `limit`) a `RowStream` that reads them
    from the one rows query as the writer asks for them, so an export holds a chunk of rows whatever their
    number. The groups and the total are computed first, by the same queries as `run`'s."""
    plan = _plan(definition, user)
    groups, total, _visible = _summaries(plan, user, defaultdict(set))
    return Result(definition, plan.record_type, plan.columns, plan.group_columns, plan.aggregates,
                  plan.aggregate_columns, RowStream(plan, user, limit), groups, total)


def _summaries(plan: _Plan, user, wanted: dict) -> tuple[list[Group], Group, dict]:
    """The groups with their subtotals, the total, and which related records (of `wanted`: {model: ids},
    those of the grouping columns added) the reader may see."""
    group_columns, aggregate_columns, queryset, multiplied = (plan.group_columns, plan.aggregate_columns,
                                                              plan.queryset, plan.multiplied)
    parts = _aggregate_parts(aggregate_columns, plan.aggregates)
    currency_orms = sorted({r.currency_orm for r in aggregate_columns.values() if r.kind == "money" and r.currency_orm})
    # The groups: one query per level, on the ids of the grouped records; their names: one query per
    # grouping level on a related record.
    group_rows = []
    # Without a to-many join a record sits in one group of the last level: the first level's groups are
    # added up from the second's (one query, one pass over the records, for both levels).
    derived = len(group_columns) > 1 and not multiplied
    for level in range(len(group_columns) if derived else 1, len(group_columns) + 1):
        keys = group_columns[:level]
        if multiplied:
            group_rows.append(_distinct_parts(queryset, keys, currency_orms, aggregate_columns))
            continue
        values = [c.orm for c in keys] + currency_orms
        annotations = {c.orm: c.expression for c in keys if c.expression is not None}
        # Sorted here, not by the database: sorting on a related record's own order would join its table.
        group_rows.append(list(queryset.annotate(**annotations).values(*values).annotate(**parts).order_by()))
    if derived:
        group_rows = [[dict(row) for row in group_rows[0]], group_rows[0]]
    # Which related records the reader may see: one query per related type.
    for level, column in enumerate(group_columns):
        if column.kind == "record" and has_policy(column.target_model):
            for level_rows in group_rows[level:]:
                wanted[column.target_model].update(row[column.orm] for row in level_rows)
    visible = {model: visible_ids(user, model, ids) for model, ids in wanted.items()}

    positions = {}
    for level, column in enumerate(group_columns):
        if column.kind != "record":
            continue
        ids = {row[column.orm] for level_rows in group_rows[level:] for row in level_rows} - {None}
        target = column.target_model
        if target in visible:  # a record the reader may not see is not named, nor placed by its name: last
            ids &= set(visible[target])
        named = list(target._base_manager.filter(pk__in=ids).annotate(report_label=column.label_expression)
                     .order_by(*(target._meta.ordering or ["pk"]), "pk").values_list("pk", "report_label")) if ids else []
        names_by_id = dict(named)
        positions[column.orm] = {pk: index for index, (pk, _label) in enumerate(named)}
        for level_rows in group_rows[level:]:
            for row in level_rows:
                row[column.display_orm] = names_by_id.get(row[column.orm])
    for level, level_rows in enumerate(group_rows):
        level_rows.sort(key=lambda row: tuple(_sort_key(row[c.orm], positions.get(c.orm))
                                              for c in group_columns[: level + 1]))
    # The total: the first level's groups added up, unless a record may sit in several of them.
    if group_columns and not group_columns[0].to_many:
        total_rows = group_rows[0]
    elif multiplied:
        total_rows = _distinct_parts(queryset, [], currency_orms, aggregate_columns)
    elif currency_orms:
        total_rows = list(queryset.values(*currency_orms).annotate(**parts).order_by(*currency_orms))
    else:
        total_rows = [queryset.aggregate(**parts)]

    groups = _build_groups(group_columns, group_rows, aggregate_columns, plan.aggregates, visible)
    count, values = _merge(total_rows, aggregate_columns, plan.aggregates)
    return groups, Group(None, _("Total"), count, values), visible


# Rows an export reads from the database, and shows, at a time.
CHUNK_ROWS = 2000
# Texts of formatted values (dates, choices) kept between chunks: enough for every day of many years, not one
# per row of a column of moments.
TEXTS_KEPT = 20_000


class RowStream:
    """A report's rows as an export reads them: the one rows query fetched CHUNK_ROWS at a time
    (`QuerySet.iterator`: a server-side cursor on PostgreSQL, rows stepped through on SQLite) and shown a
    chunk at a time (`chunks()`, or row by row iterating it), so the export holds one chunk whatever the
    number of rows. Whether the reader may see each related record a column reaches is a column of that
    same query (a non-correlated IN over the records they may see, which the database lists once): no
    query per chunk. Read once; `truncated` tells, once read, whether rows past `limit` were left out."""

    def __init__(self, plan: _Plan, user, limit: int):
        # The alias of "the reader may see it" per ORM path of a related record's id; "" when they may see
        # every one (an admin, a type without a policy): such a path is not checked row by row.
        flags, seen = {}, {}
        for column in plan.row_columns:
            for orm, model in column.guards:
                if orm in flags:
                    continue
                flags[orm] = ""
                if has_policy(model) and not is_admin(user):
                    flags[orm] = f"r_seen__{orm}"
                    manager = getattr(model, "all_objects", model._default_manager)
                    seen[flags[orm]] = models.Case(
                        models.When(Q(**{f"{orm}__in": manager.visible_to(user).values("pk")}), then=Value(True)),
                        default=Value(False), output_field=models.BooleanField())
        self.columns = [replace(column, guards=[(orm, model) for orm, model in column.guards if flags[orm]])
                        if column.guards else column for column in plan.row_columns]
        self.guards = list(dict.fromkeys((orm, model, flags[orm]) for column in self.columns for orm, model in column.guards))
        self.queryset = plan.rows(**seen)
        self.limit = limit
        self.truncated = False
        self._read = False

    def chunks(self) -> Iterator[list[dict]]:
        """The rows shown ({path: (value, text)}, as `run` gives them), CHUNK_ROWS at a time."""
        if self._read:
            raise RuntimeError("A report's row stream is read once.")
        self._read = True
        rows = self.queryset[: self.limit + 1].iterator(chunk_size=CHUNK_ROWS)
        texts = {None: str(HIDDEN_RECORD)}
        read = 0
        while chunk := list(islice(rows, CHUNK_ROWS)):
            if read + len(chunk) > self.limit:
                chunk, self.truncated = chunk[: self.limit - read], True
            read += len(chunk)
            visible = defaultdict(set)
            for orm, model, flag in self.guards:
                visible[model].update(row[orm] for row in chunk if row[flag])
            if len(texts) > TEXTS_KEPT:
                texts = {None: texts[None]}
            yield _shown_rows(chunk, self.columns, visible, texts)

    def __iter__(self) -> Iterator[dict]:
        return chain.from_iterable(self.chunks())


def row_chunks(rows) -> Iterator[list[dict]]:
    """A result's rows CHUNK_ROWS at a time, whether held (`run`) or streamed (`export`)."""
    if isinstance(rows, RowStream):
        return rows.chunks()
    return (rows[start:start + CHUNK_ROWS] for start in range(0, len(rows), CHUNK_ROWS))


def _distinct_parts(queryset, keys: list[Resolved], currency_orms: list[str], aggregate_columns: dict) -> list[dict]:
    """What `_aggregate_parts` gives per group (of `keys`, split per currency), when a join to a to-many
    relation may give a record several rows: each record counted once per group. The distinct (record, group)
    rows are selected in a subquery and aggregated around it — one query."""
    selected = {"rb": models.F("pk")}
    outputs = []  # (alias in the subquery, name in the group row)
    for index, column in enumerate(keys):
        selected[f"rk{index}"] = column.expression if column.expression is not None else models.F(column.orm)
        outputs.append((f"rk{index}", column.orm))
    for index, orm in enumerate(currency_orms):
        selected[f"rc{index}"] = models.F(orm)
        outputs.append((f"rc{index}", orm))
    aggregated = [index for index, resolved in enumerate(aggregate_columns.values()) if not resolved.hidden]
    for index, resolved in enumerate(aggregate_columns.values()):
        if not resolved.hidden:
            selected[f"rv{index}"] = resolved.expression if resolved.expression is not None else models.F(resolved.orm)
    inner = queryset.annotate(**selected).values(*selected).order_by().distinct()
    connection = connections[inner.db]
    compiler = inner.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    aliases = [alias for _expression, _sql, alias in compiler.select]
    inner_converters = compiler.get_converters([expression for expression, _sql, _alias in compiler.select])
    quote = connection.ops.quote_name
    columns, names, converters = [], [], {}
    for alias, name in outputs:
        if aliases.index(alias) in inner_converters:
            converters[len(columns)] = inner_converters[aliases.index(alias)]
        columns.append(quote(alias))
        names.append(name)
    columns.append("COUNT(*)")
    names.append("n")
    for index in aggregated:
        value = quote(f"rv{index}")
        for function, name in (("COUNT", "c"), ("SUM", "s"), ("MIN", "lo"), ("MAX", "hi")):
            if name != "c" and aliases.index(f"rv{index}") in inner_converters:
                converters[len(columns)] = inner_converters[aliases.index(f"rv{index}")]
            columns.append(f"{function}({value})")
            names.append(f"{name}{index}")
    grouped = ", ".join(quote(alias) for alias, _name in outputs)
    sql = f"SELECT {', '.join(columns)} FROM ({sql}) {quote('report_rows')}" + (f" GROUP BY {grouped}" if grouped else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    return [dict(zip(names, row, strict=True)) for row in compiler.apply_converters(fetched, converters)]


def _sort_key(value, positions: dict | None) -> tuple:
    """Groups in order: the empty one first, related records in their model's order, values ascending."""
    if value is None:
        return (0, 0)
    if positions is not None:
        return (1, positions.get(value, len(positions)))
    if isinstance(value, datetime.datetime):
        return (1, value.timestamp())
    return (1, value)


def _ordering(record_type, definition: Definition, user) -> list:
    ordering = []
    hidden_cache: dict = {}
    for item in definition.sort:
        descending = item.startswith("-")
        resolved = resolve(record_type, item.lstrip("-"), user, hidden_cache)
        if resolved.hidden:
            raise ReportError("sort", _("You may not sort by %(column)s.") % {"column": resolved.label})
        if resolved.expression is not None:
            expression = resolved.expression
            ordering.append(expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True))
        else:
            ordering.append(models.F(resolved.orm).desc(nulls_last=True) if descending
                            else models.F(resolved.orm).asc(nulls_last=True))
    return ordering


PLAIN_NUMBERS = (int, Decimal, float)


def _shown_rows(rows: list[dict], columns: list[Resolved], visible: dict, texts: dict) -> list[dict]:
    """Per row {path: (raw value, text)}, or (raw value, text, currency) for an amount, and "_pk" the
    record's id; blank for hidden fields and records the reader may not see. Column by column: each
    column's conversion chosen once and run over the rows as one list comprehension (an export shows
    200,000 rows)."""
    keys = ["_pk"] + [column.path for column in columns]
    cells = [[row["pk"] for row in rows]] + [_cells(column, rows, visible, texts) for column in columns]
    return [dict(zip(keys, line, strict=True)) for line in zip(*cells, strict=True)]


def _cells(column: Resolved, rows: list[dict], visible: dict, texts: dict) -> list[tuple]:
    """One column's cells of `rows` (see `_shown_rows`)."""
    if column.hidden:
        return [(None, "")] * len(rows)
    orm, path = column.orm, column.path
    if column.kind == "record":
        display = column.display_orm
        cells = [(None, "") if (value := row[orm]) is None else (value, str(row[display] or "")) for row in rows]
    elif column.kind in ("text", "number", "money") and not column.choices:
        # Plain text and numbers are their own text (what display_value gives them, without its checks).
        cells = [(value, value if (kind := value.__class__) is str else str(value) if kind in PLAIN_NUMBERS
                  else display_value(column, value)) for value in [row[orm] for row in rows]]
    elif column.kind in ("text", "number", "money"):
        cells = [(value, display_value(column, value)) for value in [row[orm] for row in rows]]
    else:
        def text(value):
            key = (path, value)
            shown = texts.get(key)
            if shown is None:
                shown = texts[key] = display_value(column, value)
            return shown

        cells = [(value, text(value)) for value in [row[orm] for row in rows]]
    if column.currency_orm:
        currency_orm = column.currency_orm
        cells = [cell + (currency,) if (currency := row[currency_orm]) else cell
                 for cell, row in zip(cells, rows, strict=True)]
    for orm, model in column.guards:
        seen = visible.get(model, ())
        hidden = (None, texts[None])
        cells = [hidden if (pk := row[orm]) is not None and pk not in seen else cell
                 for cell, row in zip(cells, rows, strict=True)]
    return cells


def _build_groups(group_columns, group_rows, aggregate_columns, aggregates, visible) -> list[Group]:
    if not group_columns:
        return []

    def collect(level_rows, level_columns):
        by_key = {}
        for row in level_rows:
            key = tuple(row[c.orm] for c in level_columns)
            by_key.setdefault(key, []).append(row)
        return by_key

    top = collect(group_rows[0], group_columns[:1])
    groups = []
    children_by_parent = defaultdict(list)
    if len(group_columns) > 1:
        for key, rows in collect(group_rows[1], group_columns[:2]).items():
            count, values = _merge(rows, aggregate_columns, aggregates)
            second = group_columns[1]
            children_by_parent[key[:1]].append(Group(
                key[1], _group_label(second, rows[0], visible), count, values,
                _group_filter(group_columns[0], key[0]) + _group_filter(second, key[1])))
    for key, rows in top.items():
        count, values = _merge(rows, aggregate_columns, aggregates)
        groups.append(Group(key[0], _group_label(group_columns[0], rows[0], visible), count, values,
                            _group_filter(group_columns[0], key[0]), children_by_parent.get(key, [])))
    return groups
