"""How a plan's objectives and revenue are measured. Plans sit below the apps whose records count (activities,
deals), so those apps register a measure for their metric from their `AppConfig.ready()`:

    metrics.register("activities", count_activities)

A measure receives a `Scope` and returns a number (money in `scope.currency`). Without a registered measure
a metric has no progress (None)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured

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


@dataclass(frozen=True)
class Measure:
    key: str
    measure: Callable[[Scope], Decimal]
    choices: Callable[[], list] = field(default=lambda: [])  # e.g. the activity kinds an objective may count


MEASURES: dict[str, Measure] = {}


def register(key: str, measure: Callable[[Scope], Decimal], choices: Callable[[], list] | None = None) -> Measure:
    if key in MEASURES:
        raise ImproperlyConfigured(f"A measure for {key!r} is already registered.")
    MEASURES[key] = Measure(key, measure, choices or (lambda: []))
    return MEASURES[key]


def measure(key: str, scope: Scope) -> Decimal | None:
    """The measure of `key` over `scope`; None when no app measures it or an amount has no exchange rate to
    convert it (core.money.MissingRate)."""
    found = MEASURES.get(key)
    if found is None:
        return None
    try:
        return Decimal(found.measure(scope))
    except MissingRate:
        return None


def activity_kinds() -> list[tuple[str, str]]:
    """The activity kinds an objective may count, from the activities app's registration."""
    found = MEASURES.get("activities")
    return list(found.choices()) if found else []
