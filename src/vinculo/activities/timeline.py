"""The account timeline: its activities, those of its contacts and its notes, merged newest first.

One UNION query pages the merged ids; one query per source fetches the rows of the page.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Value
from django.db.models.fields import CharField

from vinculo.accounts.models import Account, Note

from .models import Activity

NOTE = "note"


@dataclass
class Entry:
    kind: str  # an Activity.Kind value, or "note" for an account note
    at: datetime
    record: object

    @property
    def is_note(self) -> bool:
        return isinstance(self.record, Note)


def _sources(account: Account, user, kinds):
    activities = Activity.objects.visible_to(user)
    if kinds:
        activities = activities.filter(kind__in=kinds)
    tagged = {"source": Value("activity", output_field=CharField())}
    direct = activities.filter(account=account).annotate(**tagged).values_list("source", "pk", "occurred_at")
    via_contacts = (
        activities.filter(contacts__account=account).exclude(account=account)
        .annotate(**tagged).values_list("source", "pk", "occurred_at")
    )
    parts = [direct, via_contacts]
    if not kinds or NOTE in kinds:
        parts.append(
            Note.objects.visible_to(user).filter(account=account)
            .annotate(source=Value("note", output_field=CharField()), occurred_at=F("created_at"))
            .values_list("source", "pk", "occurred_at")
        )
    # The models' default ordering is not allowed inside a compound statement (SQLite).
    parts = [part.order_by() for part in parts]
    return parts[0].union(*parts[1:])


def timeline(account: Account, user, kinds=(), offset: int = 0, limit: int = 20) -> tuple[list[Entry], int]:
    """A page of the merged timeline and the total number of entries."""
    merged = _sources(account, user, kinds)
    rows = list(merged.order_by("-occurred_at", "-pk")[offset:offset + limit])
    total = merged.count()
    activity_ids = [pk for source, pk, _ in rows if source == "activity"]
    note_ids = [pk for source, pk, _ in rows if source == "note"]
    activities = Activity.objects.select_related("owner").prefetch_related("contacts").in_bulk(activity_ids)
    notes = Note.objects.select_related("created_by", "contact").in_bulk(note_ids) if note_ids else {}
    entries = []
    for source, pk, at in rows:
        record = activities.get(pk) if source == "activity" else notes.get(pk)
        if record is not None:
            entries.append(Entry(kind=record.kind if source == "activity" else NOTE, at=at, record=record))
    return entries, total
