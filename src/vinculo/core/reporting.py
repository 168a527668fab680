"""The record types reports may be built on. Each domain app registers its own in `AppConfig.ready()`,
naming the columns a report may show, filter, group and sort by — its own fields and fields across
relations, as dotted paths ("account.territory", "task.account"):

    reporting.register("opportunity", Opportunity, _("Opportunities"), columns=[
        Column("name"), Column("account", display="legal_name"), Column("amount", currency="currency"), …
    ])

The report engine (vinculo.reports) reads this registry; the kernel only keeps it, so a domain app needs
no import of a higher layer to be reportable.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Column:
    """One reportable value. `path`: the dotted field path from the record ("account.territory").
    `display`: for a path ending on a related record, the field of that record shown as its name.
    `currency`: for an amount, the dotted path of its currency (sums are kept per currency).
    `expression`: a computed value (an ORM expression) instead of a field; `label` and `kind` are then needed.
    `kind` is inferred from the field when left out: text, choice, number, money, date, datetime, record, bool."""

    path: str
    label: object = None
    display: str = ""
    currency: str = ""
    expression: object = None
    kind: str = ""


@dataclass
class RecordType:
    key: str
    model: type
    label: object
    columns: dict[str, Column] = field(default_factory=dict)
    default_columns: tuple[str, ...] = ()
    order: int = 100
    # The module's own list page, where a report's group drills down to when every filter of the group
    # (the report's and the group's own, all "equals") is one the list takes: {column path: list parameter}.
    list_url: str = ""
    list_filters: dict[str, str] = field(default_factory=dict)


registry: dict[str, RecordType] = {}


def register(key: str, model, label, *, columns: list[Column], default_columns: tuple[str, ...] = (),
             order: int = 100, list_url: str = "", list_filters: dict[str, str] | None = None) -> RecordType:
    if key in registry and registry[key].model is not model:
        raise ImproperlyConfigured(f"Report record type {key!r} is already registered for {registry[key].model}.")
    by_path = {column.path: column for column in columns}
    missing = [path for path in default_columns if path not in by_path]
    if missing:
        raise ImproperlyConfigured(f"Report record type {key!r}: default columns {missing} are not columns.")
    registry[key] = RecordType(key, model, label, by_path, tuple(default_columns) or tuple(by_path)[:6], order,
                               list_url, dict(list_filters or {}))
    return registry[key]


def record_types() -> list[RecordType]:
    return sorted(registry.values(), key=lambda record_type: (record_type.order, record_type.key))
