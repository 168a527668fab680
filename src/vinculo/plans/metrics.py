"""How a plan's objectives and revenue are measured. Plans sit below the apps whose records count (activities,
deals), so those apps register a measure for their metric from their `AppConfig.ready()`:

    metrics.register("activities", count_activities)

A measure receives a list of `Scope`s and returns a number for each (money in the scope's currency), in a
number of queries that does not grow with the list: a page measures all its objectives at once. Without a
registered measure a metric has no progress (None)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured

from vinculo.core.clock import day_bounds
from vinculo.core.money import MissingRate


@dataclass(frozen=True)
class Scope:
    """Which records count. With `objective_id`, the records linked to that objective; else with `plan_ids`,
    those linked to any of the plans (or to one of their objectives); else every record of `account_id`.
    Always only records of `account_id` dated from `start` to `end`, both included."""

    account_id: int
    start: date
    end: date
    plan_ids: tuple[int, ...] = ()
    objective_id: int | None = None
    activity_kind: str = ""
    currency: str = "CLP"

    @property
    def linked(self) -> bool:
        return self.objective_id is not None or bool(self.plan_ids)

    def moments(self) -> tuple[datetime, datetime]:
        """The period as moments for a date-time field (core.clock.day_bounds): comparing the column itself, not
        its date, lets the database use an index on it and spares SQLite a date conversion per row."""
        return day_bounds(self.start, self.end)


@dataclass(frozen=True)
class Measure:
    key: str
    measure: Callable[[list[Scope]], list[Decimal]]
    choices: Callable[[], list] = field(default=lambda: [])  # e.g. the activity kinds an objective may count


MEASURES: dict[str, Measure] = {}


def register(key: str, measure: Callable[[list[Scope]], list[Decimal]], choices: Callable[[], list] | None = None) -> Measure:
    if key in MEASURES:
        raise ImproperlyConfigured(f"A measure for {key!r} is already registered.")
    MEASURES[key] = Measure(key, measure, choices or (lambda: []))
    return MEASURES[key]


def measure(key: str, scope: Scope) -> Decimal | None:
    """The measure of `key` over `scope`; None when no app measures it or an amount has no exchange rate to
    convert it (core.money.MissingRate)."""
    return measure_many(key, [scope])[0]


def measure_many(key: str, scopes: list[Scope]) -> list[Decimal | None]:
    """`measure` of each scope, together. A scope whose money has no exchange rate is measured on its own
    to find which: None for it, the others still measured."""
    found = MEASURES.get(key)
    if found is None or not scopes:
        return [None] * len(scopes)
    try:
        return [Decimal(value) for value in found.measure(scopes)]
    except MissingRate:
        if len(scopes) == 1:
            return [None]
        return [measure_many(key, [scope])[0] for scope in scopes]


def activity_kinds() -> list[tuple[str, str]]:
    """The activity kinds an objective may count, from the activities app's registration."""
    found = MEASURES.get("activities")
    return list(found.choices()) if found else []
