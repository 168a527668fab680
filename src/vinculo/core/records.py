"""The record types the apps make known to the kernel: what the global search shows and what the
recycle bin can restore.

Each app registers its types in its `AppConfig.ready()`, the way models register with the admin
site; core's views iterate `record_types` and never import the apps:

    records.register("account", Account, order=10, search=records.SearchSpec(
        "accounts", _("Accounts"), "accounts/_search_result.html", related=("owner",)))
"""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class SearchSpec:
    """How a record type shows in the global search."""

    name: str  # the group's name: its results are in the page context under it ("accounts")
    label: str  # the group's heading
    template: str  # one result, a `<li>` rendered with `record`
    related: tuple[str, ...] = ()  # the related records the template shows (select_related)
    # (field, attribute): set `attribute` on each result, whether the user may see the record `field` points
    # to (`core.lists.mark_visible`), so the template names it only then.
    visible: tuple[str, str] | None = None


@dataclass(frozen=True)
class RecordType:
    key: str  # the name used in URLs: /recycle-bin/<key>/<pk>/restore/
    model: type
    order: int  # of the search groups and of the recycle bin's sections
    restorable: bool = True
    search: SearchSpec | None = None


class RecordTypes:
    def __init__(self):
        self._types: dict[str, RecordType] = {}

    def register(self, key: str, model, *, order: int, restorable: bool = True,
                 search: SearchSpec | None = None) -> RecordType:
        known = self._types.get(key)
        if known is not None and known.model is not model:
            raise ImproperlyConfigured(f"Record type {key!r} is already registered for {known.model.__name__}.")
        self._types[key] = RecordType(key, model, order, restorable, search)
        return self._types[key]

    def _ordered(self) -> list[RecordType]:
        return sorted(self._types.values(), key=lambda record_type: record_type.order)

    def all(self) -> list[RecordType]:
        return self._ordered()

    def restorable(self) -> list[RecordType]:
        return [record_type for record_type in self._ordered() if record_type.restorable]

    def restorable_model(self, key: str):
        """The model restored under `key` in URLs, or None."""
        record_type = self._types.get(key)
        return record_type.model if record_type is not None and record_type.restorable else None

    def restorable_key(self, model) -> str | None:
        """The key under which records of `model` are restored from the recycle bin, or None."""
        for record_type in self._types.values():
            if record_type.model is model and record_type.restorable:
                return record_type.key
        return None

    def searchable(self) -> list[RecordType]:
        return [record_type for record_type in self._ordered() if record_type.search is not None]


record_types = RecordTypes()
register = record_types.register
