"""Global full-text search behind one interface: FTS5 on SQLite, tsvector on PostgreSQL.

Bodies and queries are folded the same way (lower case, no accents) before they reach the
database, so "Vinculo" finds "Vínculo" on both engines. Results are always filtered through the
record type's `visible_to(user)`, so search shows nothing a user could not open.
"""

import re
import unicodedata

from django.apps import apps
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from . import compiled, events
from .models import SearchEntry, TrackedModel

_WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """Lower case, accents removed, words separated by single spaces (so both engines split alike)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(_WORD.findall(plain))


def kind_of(model) -> str:
    return model._meta.label_lower


def index_record(record) -> None:
    kind = kind_of(type(record))
    if record.deleted_at is not None:
        SearchEntry.objects.filter(kind=kind, object_id=record.pk).delete()
        return
    SearchEntry.objects.update_or_create(
        kind=kind, object_id=record.pk, defaults={"body": fold(record.search_text())}
    )


def searchable_models() -> list:
    """The record types whose `search_text` is their own: the ones the index holds."""
    return [model for model in apps.get_models()
            if issubclass(model, TrackedModel) and model.search_text is not TrackedModel.search_text]


def may_change_search_text(event: events.Event) -> bool:
    """Whether `event` may have changed the record's indexed text. `search_text` reads the record's own
    columns and the relations named in SEARCH_SELECT_RELATED (what `rebuild` selects), so an update that
    only moved other relations (a territory, an owner) leaves it as it was."""
    if event.kind not in events.Kind.CHANGES or not event.changes:
        return True
    model = apps.get_model(event.record_type)
    followed = set(getattr(model, "SEARCH_SELECT_RELATED", ()))
    for name in event.changed_fields:
        field = model._meta.get_field(name)
        if not field.is_relation or name in followed:
            return True
    return False


def reindex(event: events.Event) -> None:
    """Bring the record's index entry up to date with the record as it is now."""
    reindex_all([event])


# Records read and entries written per statement (SQLite's limit on a statement's parameters stays far).
REINDEX_CHUNK = 1000


@events.handles_batches
def reindex_all(batch: list[events.Event]) -> None:
    """Event handler: bring the index entries of the events' records up to date with the records as they
    are now, a few queries per record type and thousand records (an import's batch is one delivery)."""
    ids_by_type: dict[str, list[int]] = {}
    for event in batch:
        ids_by_type.setdefault(event.record_type, []).append(event.record_id)
    for record_type, ids in ids_by_type.items():
        model = apps.get_model(record_type)
        ids = sorted(set(ids))
        for start in range(0, len(ids), REINDEX_CHUNK):
            chunk = ids[start:start + REINDEX_CHUNK]
            queryset = model._base_manager.filter(pk__in=chunk)
            related = getattr(model, "SEARCH_SELECT_RELATED", ())
            if related:
                queryset = queryset.select_related(*related)
            # A record gone for good, or in the recycle bin, has no entry.
            entries = [SearchEntry(kind=record_type, object_id=record.pk, body=fold(record.search_text()))
                       for record in queryset if record.deleted_at is None]
            SearchEntry.objects.filter(kind=record_type, object_id__in=chunk).delete()
            SearchEntry.objects.bulk_create(entries)


def rebuild(model, batch_size: int = 5000) -> int:
    """Re-index every live record of `model` in bulk (after bulk loads that skip signals)."""
    kind = kind_of(model)
    SearchEntry.objects.filter(kind=kind).delete()
    count = 0
    batch = []
    queryset = model.objects.all().order_by("pk")
    related = getattr(model, "SEARCH_SELECT_RELATED", ())
    if related:
        queryset = queryset.select_related(*related)
    for record in queryset.iterator(chunk_size=batch_size):
        batch.append(SearchEntry(kind=kind, object_id=record.pk, body=fold(record.search_text())))
        if len(batch) >= batch_size:
            SearchEntry.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    SearchEntry.objects.bulk_create(batch)
    return count + len(batch)


def _terms(query: str) -> list[str]:
    return fold(query).split()[:8]


def expression(query: str, any_word: bool = False) -> str | None:
    """The database's full-text expression for the records whose indexed text has every word of `query` as
    a prefix (any of them with `any_word`); None when `query` has no word."""
    terms = _terms(query)
    if not terms:
        return None
    if connection.vendor == "postgresql":
        return (" | " if any_word else " & ").join(f"{term}:*" for term in terms)
    return (" OR " if any_word else " AND ").join(f'"{term}"*' for term in terms)


def matching_ids(model, query: str, any_word: bool = False):
    """A subquery of the ids of `model` records whose indexed text has every word of `query` as a prefix (any
    of them with `any_word`)."""
    return ids_matching(model, expression(query, any_word))


def ids_matching(model, full_text: str | None):
    """A subquery of the ids of `model` records whose indexed text matches the full-text expression
    `full_text` (of `expression`; none when None)."""
    entries = SearchEntry.objects.filter(kind=kind_of(model))
    if full_text is None:
        return entries.none().values("object_id")
    if connection.vendor == "postgresql":
        # Unqualified `body`: Django aliases this table when it nests the query as a subquery.
        entries = entries.filter(
            RawSQL("to_tsvector('simple', body) @@ to_tsquery('simple', %s)", [full_text],
                   output_field=BooleanField())
        )
    else:
        entries = entries.filter(
            pk__in=RawSQL("SELECT rowid FROM core_searchentry_fts WHERE core_searchentry_fts MATCH %s", [full_text])
        )
    return entries.values("object_id")


def search(model, user, query: str):
    """The records of `model` that `user` may see and that match `query`."""
    return model.objects.visible_to(user).filter(pk__in=matching_ids(model, query))


def found(record_type, user, query: str, limit: int) -> list:
    """At most `limit` records of a searchable type (`core.records`) that `user` may see and that match
    `query`, ready for the global search's template (`SearchSpec`): its SQL compiled once per shape of user
    (`core.compiled`), as the search box asks on every few keystrokes."""
    full_text = expression(query)
    if full_text is None:
        return []
    model, spec = record_type.model, record_type.search

    def build(user, _, full_text):
        return (model.objects.visible_to(user, per_row=True).filter(pk__in=ids_matching(model, full_text))
                .select_related(*spec.related)[:limit])

    records = compiled.fetch(f"search:{record_type.key}:{limit}", model, build, user, 0, values=(full_text,))
    return compiled.mark_visible(records, user, *spec.visible) if spec.visible else records
