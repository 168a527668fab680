"""Global full-text search behind one interface: FTS5 on SQLite, tsvector on PostgreSQL.

Bodies and queries are folded the same way (lower case, no accents) before they reach the
database, so "Vinculo" finds "Vínculo" on both engines. Results are always filtered through the
record type's `visible_to(user)`, so search shows nothing a user could not open.
"""

import re
import unicodedata

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from .models import SearchEntry

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


def matching_ids(model, query: str):
    """A subquery of the ids of `model` records whose indexed text has every word of `query` as a prefix."""
    terms = _terms(query)
    entries = SearchEntry.objects.filter(kind=kind_of(model))
    if not terms:
        return entries.none().values("object_id")
    if connection.vendor == "postgresql":
        expression = " & ".join(f"{term}:*" for term in terms)
        # Unqualified `body`: Django aliases this table when it nests the query as a subquery.
        entries = entries.filter(
            RawSQL("to_tsvector('simple', body) @@ to_tsquery('simple', %s)", [expression],
                   output_field=BooleanField())
        )
    else:
        expression = " AND ".join(f'"{term}"*' for term in terms)
        entries = entries.filter(
            pk__in=RawSQL("SELECT rowid FROM core_searchentry_fts WHERE core_searchentry_fts MATCH %s", [expression])
        )
    return entries.values("object_id")


def search(model, user, query: str):
    """The records of `model` that `user` may see and that match `query`."""
    return model.objects.visible_to(user).filter(pk__in=matching_ids(model, query))
