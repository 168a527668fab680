"""The record types that live in territories (accounts, leads, …), as the apps that own them register them
from their `AppConfig.ready()`. Territory pages count them, the assignment rules place them, and the
territory grant opens them; org itself never imports those apps:

    territories.register("accounts", Account, _("Accounts"), "accounts:list", facts=account_facts,
                         prepare=lambda records: records.only(…), order=10)
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet


def unchanged(records: QuerySet) -> QuerySet:
    return records


@dataclass(frozen=True)
class TerritorialType:
    key: str  # the apply-rules target and the attribute prefix of territory counts (own_<key>, <key>_total)
    model: type  # with a `territory` foreign key
    label: str  # plural, as a heading: "Accounts"
    list_url_name: str  # the type's list, which filters on `?territory=<pk>`
    # record → what the rules look at: {"country", "region", "city", "postal_code", "industry"}
    facts: Callable[[object], dict[str, str]]
    # the records to assign → the same records reading only what `facts` needs
    prepare: Callable[[QuerySet], QuerySet] = unchanged
    order: int = 100
    matched_on: str = ""  # for the rules' help: "their billing address (country, …) and industry"
    grouped_list_label: str = ""  # a link to the type's list grouped by territory (`?group_by_territory=on`)


_types: dict[str, TerritorialType] = {}


def register(key: str, model: type, label: str, list_url_name: str, facts, prepare=unchanged, order: int = 100,
             matched_on: str = "", grouped_list_label: str = "") -> None:
    if key in _types and _types[key].model is not model:
        raise ImproperlyConfigured(f"Territorial type {key!r} is already registered for {_types[key].model}.")
    _types[key] = TerritorialType(key, model, label, list_url_name, facts, prepare, order, matched_on,
                                  grouped_list_label)


def types() -> list[TerritorialType]:
    return sorted(_types.values(), key=lambda kind: (kind.order, kind.key))


def of_model(model: type) -> TerritorialType:
    for kind in _types.values():
        if kind.model is model:
            return kind
    raise LookupError(f"{model.__name__} is not registered as living in territories.")


_industries = None


def register_industries(queryset: Callable[[], QuerySet]) -> None:
    """Where the industries an industry rule names come from (the accounts app's list)."""
    global _industries
    _industries = queryset


def industries() -> QuerySet:
    if _industries is None:
        raise LookupError("No industry list is registered (the accounts app registers it in its ready()).")
    return _industries()
