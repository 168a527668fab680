"""The account timeline: its activities, those of its contacts and its notes, merged newest first.

One UNION ALL query pages the merged ids, the same query counts them, and one query per source fetches
the rows of the page.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connections
from django.db.models import F, QuerySet, Value
from django.db.models.fields import CharField

from vinculo.accounts.models import Account
from vinculo.core import compiled
from vinculo.customer360.models import Note

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


def linked_elsewhere(account) -> QuerySet:
    """The contact links that bring an activity of another account (or of none) onto `account`'s timeline;
    `account` may be an OuterRef."""
    return Activity.contacts.through.objects.filter(contact__account=account).exclude(activity__account=account)


def _sources(account: Account, user, kinds, elsewhere: bool = True) -> list:
    """The timeline's parts, each a (source, pk, occurred_at) queryset; they never share a row.

    `account` is one the user may see, so all its activities and notes are visible without the
    (costly) per-record rule; only activities of other accounts that reach this one through its
    contacts go through `visible_to` — left out when the caller knows there are none (`elsewhere`)."""
    tagged = {"source": Value("activity", output_field=CharField())}
    own = Activity.objects.filter(account=account)
    if kinds:
        own = own.filter(kind__in=kinds)
    parts = [own.annotate(**tagged).values_list("source", "pk", "occurred_at")]
    if elsewhere:
        linked = linked_elsewhere(account).values("activity_id")
        other = Activity.objects.visible_to(user, per_row=True).filter(pk__in=linked)
        if kinds:
            other = other.filter(kind__in=kinds)
        parts.append(other.annotate(**tagged).values_list("source", "pk", "occurred_at"))
    if not kinds or NOTE in kinds:
        parts.append(
            Note.objects.filter(account=account)
            .annotate(source=Value("note", output_field=CharField()), occurred_at=F("created_at"))
            .values_list("source", "pk", "occurred_at")
        )
    # The models' default ordering is not allowed inside a compound statement (SQLite).
    return [part.order_by() for part in parts]


def timeline(account: Account, user, kinds=(), offset: int = 0, limit: int = 20, elsewhere: bool = True,
             total: int | None = None) -> tuple[list[Entry], int]:
    """A page of the merged timeline and the total number of entries, for an account `user` may see.

    `elsewhere=False` says no activity of another account reaches this one through its contacts, and
    `total` gives the number of entries when already counted (the account page's counts query)."""
    # Compiled once per process (for each kind of user, filter and source) and run twice, for the page and for
    # the count: building the visibility rule of the activities of linked contacts into SQL costs far more
    # than counting the union's rows (bench/: an account page with 6,099 activities, ~30 ms of compiling
    # against ~2 ms of counting).
    def merged_query(user, pk):
        parts = _sources(pk, user, kinds, elsewhere)
        return parts[0].union(*parts[1:], all=True)

    merged, params = compiled.sql("activities:timeline", Activity, merged_query, user, account.pk,
                                  key=(tuple(kinds), elsewhere))
    with connections[Activity.objects.db].cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({merged}) timeline ORDER BY 3 DESC, 2 DESC LIMIT %s OFFSET %s",
                       [*params, limit, offset])
        rows = cursor.fetchall()
        if total is None:
            total = 0
        if (rows or offset) and not total:
            cursor.execute(f"SELECT COUNT(*) FROM ({merged}) timeline", params)
            total = cursor.fetchone()[0]
    activity_ids = [pk for source, pk, _ in rows if source == "activity"]
    note_ids = [pk for source, pk, _ in rows if source == "note"]
    activities = Activity.objects.select_related("owner").prefetch_related("contacts").in_bulk(activity_ids)
    notes = Note.objects.select_related("created_by", "contact").in_bulk(note_ids) if note_ids else {}
    entries = []
    for source, pk, _at in rows:
        record = activities.get(pk) if source == "activity" else notes.get(pk)
        if record is not None:
            at = record.occurred_at if source == "activity" else record.created_at
            entries.append(Entry(kind=record.kind if source == "activity" else NOTE, at=at, record=record))
    return entries, total
