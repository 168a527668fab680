"""Writes every record goes through: create, update with optimistic locking, soft delete, restore.

Each runs in one transaction, records who did what in the change log, leaves nothing half-written when
it refuses, and emits an event (core.events) that its handlers, the search index among them, receive after
the transaction commits. `bulk_update` does the same for many records in one UPDATE.
"""

import contextlib
import datetime
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _

from . import clock, events
from .access import has_policy
from .models import ChangeLog, TrackedModel, mention, mentions, split_mentions
from .subjects import Regarding, readable_changes


class ConflictError(Exception):
    """Someone else saved the record since the caller read it."""

    def __init__(self, record, by_user=None):
        self.record = record
        self.by_user = by_user
        who = str(by_user) if by_user else _("another user")
        super().__init__(
            _("%(who)s changed this record while you were editing it. Reload to see their changes, then edit again.")
            % {"who": who}
        )


def _display(record, field, value):
    if value is None or value == "" or value == []:
        return ""
    if isinstance(field, models.ForeignKey):
        target = field.related_model._base_manager.filter(pk=value).first()
        return str(target) if target is not None else str(value)
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else str(value)
    if field.choices:
        labels = dict(field.flatchoices)
        if isinstance(value, list):
            return ", ".join(str(labels.get(item, item)) for item in value)
        return str(labels.get(value, value))
    return str(value)


def _with_parts(change: dict, field, old, new) -> dict:
    """`change` of a foreign key to a record type with an access policy, naming the records it points to
    (core.models.mention) so that history shows their names only to those who may see them."""
    if isinstance(field, models.ForeignKey) and has_policy(field.related_model):
        for key, value in (("old", old), ("new", new)):
            if value is not None:
                change[f"{key}_parts"] = [mention(change[key], field.related_model, value)]
    return change


def _snapshot(record: TrackedModel) -> dict:
    return {
        field.name: field.value_from_object(record)
        for field in record._meta.concrete_fields
        if field.name not in TrackedModel.UNTRACKED_FIELDS
    }


def _content_type(model):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(model)


def _log(record, action, user, changes=()):
    changes, named = split_mentions(changes)
    ChangeLog.objects.create(
        content_type=_content_type(type(record)),
        object_id=record.pk,
        action=action,
        user=user if user and user.is_authenticated else None,
        at=clock.now(),
        changes=changes,
        mentions=named,
        record_label=str(record)[:300],
    )


def log_change(record: TrackedModel, by, label: str, old="", new="") -> None:
    """Record in `record`'s history a change that is not one of its own fields (a price, a contact's
    role on a deal, a competitor's contact). `old` and `new` are text, or lists of (text, record) naming
    related records ("Contacts replaced": each contact with its role): the history then shows each text
    only to readers who may see its record (core.models.mentions)."""
    change = {"field": "", "label": str(label)}
    for key, value in (("old", old), ("new", new)):
        if isinstance(value, list | tuple):
            parts = mentions(value)
            change[key] = ", ".join(part["text"] for part in parts)
            change[f"{key}_parts"] = parts
        else:
            change[key] = str(value)
    _log(record, ChangeLog.Action.UPDATE, by, [change])


def _actor_id(by) -> int | None:
    return by.pk if by and by.is_authenticated else None


def _event(record: TrackedModel, kind: str, by, changes: Iterable[events.Change] = ()) -> events.Event:
    changes = tuple(changes)
    if kind == events.Kind.UPDATED and any(change.field in events.TRANSITION_FIELDS for change in changes):
        kind = events.Kind.TRANSITION
    return events.Event(kind=kind, record_type=record._meta.label_lower, record_id=record.pk,
                        actor_id=_actor_id(by), changes=changes)


# Set on a record while a service saves it: the post_save receiver (core.signals) emits events only for
# saves that went around the services, so a service's write is one event, not two.
SAVING_THROUGH_SERVICES = "_saving_through_services"


@contextlib.contextmanager
def _saving(record: TrackedModel):
    setattr(record, SAVING_THROUGH_SERVICES, True)
    try:
        yield
    finally:
        delattr(record, SAVING_THROUGH_SERVICES)


def _holds_loaded_record(record, field) -> bool:
    """Whether foreign key `field` holds a record read from the database (a payload's id resolved through the
    records its user may see, a form's choice, the signed-in user): Django's own check would read it again."""
    if not field.many_to_one or field.get_limit_choices_to() or not field.is_cached(record):
        return False
    related = field.get_cached_value(record)
    return (related is not None and not related._state.adding
            and getattr(related, field.target_field.attname) == getattr(record, field.attname))


def _validate(record):
    """Model validation; on failure raises ValidationError naming the fields."""
    bookkeeping = {f.name for f in record._meta.concrete_fields if f.name in TrackedModel.UNTRACKED_FIELDS}
    loaded = {f.name for f in record._meta.concrete_fields if _holds_loaded_record(record, f)}
    # full_clean, but with the loaded foreign keys left out of the field checks alone: an exclusion passed to
    # full_clean would also drop the uniqueness checks that involve them.
    errors = {}
    for check in (lambda: record.clean_fields(exclude=bookkeeping | loaded), record.clean):
        try:
            check()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    try:
        record.validate_unique(exclude=bookkeeping | {name for name in errors if name != NON_FIELD_ERRORS})
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    # Constraints are checked without exclusions: their conditions read bookkeeping fields (deleted_at).
    record.validate_constraints()


@transaction.atomic
def create_record(record: TrackedModel, by, validate: bool = True) -> TrackedModel:
    record.created_by = record.updated_by = by if by and by.is_authenticated else None
    if hasattr(record, "owner_id") and record.owner_id is None and by and by.is_authenticated:
        record.owner = by
    if validate:
        _validate(record)
    with _saving(record):
        record.save()
    _log(record, ChangeLog.Action.CREATE, by)
    events.emit(_event(record, events.Kind.CREATED, by))
    return record


@transaction.atomic
def update_record(record: TrackedModel, by, expected_version: int | None = None, validate: bool = True):
    """Save `record`, refusing with ConflictError if the stored version is not `expected_version`."""
    model = type(record)
    stored = model.all_objects.select_for_update().get(pk=record.pk)
    if expected_version is not None and stored.version != expected_version:
        raise ConflictError(record, by_user=stored.updated_by)
    if validate:
        _validate(record)
    before, after = _snapshot(stored), _snapshot(record)
    changed = [name for name in after if before[name] != after[name]]
    changes = [
        _with_parts({
            "field": name,
            "label": str(record._meta.get_field(name).verbose_name),
            "old": _display(record, record._meta.get_field(name), before[name]),
            "new": _display(record, record._meta.get_field(name), after[name]),
        }, record._meta.get_field(name), before[name], after[name])
        for name in changed
    ]
    if isinstance(record, Regarding):
        changes = readable_changes(stored, record, changes)
    if not changes:
        return record
    record.version = stored.version + 1
    record.updated_by = by if by and by.is_authenticated else None
    with _saving(record):
        record.save()
    _log(record, ChangeLog.Action.UPDATE, by, changes)
    events.emit(_event(record, events.Kind.UPDATED, by, [
        events.Change(name, events.plain(before[name]), events.plain(after[name])) for name in changed
    ]))
    return record


@transaction.atomic
def soft_delete(record: TrackedModel, by) -> None:
    if record.deleted_at is not None:
        return
    record.deleted_at = clock.now()
    record.deleted_by = by
    record.version += 1
    with _saving(record):
        record.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
    _log(record, ChangeLog.Action.DELETE, by)
    events.emit(_event(record, events.Kind.DELETED, by))


@transaction.atomic
def restore(record: TrackedModel, by) -> None:
    if record.deleted_at is None:
        return
    from .merging import undo_merges_of

    # A record merged into another comes back with what moved from it, the merge undone.
    undo_merges_of(record, by)
    record.deleted_at = None
    record.deleted_by = None
    record.version += 1
    # A live record may have taken its unique values (e.g. the tax id) in the meantime.
    record.validate_constraints()
    with _saving(record):
        record.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
    _log(record, ChangeLog.Action.RESTORE, by)
    events.emit(_event(record, events.Kind.RESTORED, by))


def _relation_names(field: models.ForeignKey, ids: Iterable) -> dict:
    """The history text of each id of `field`'s related records, in one query."""
    ids = {pk for pk in ids if pk is not None}
    found = field.related_model._base_manager.in_bulk(ids) if ids else {}
    return {pk: str(found[pk]) if pk in found else str(pk) for pk in ids} | {None: ""}


@transaction.atomic(savepoint=False)
def bulk_update(records: models.QuerySet | Iterable[TrackedModel], values: dict[str, Any], by) -> list[TrackedModel]:
    """Give every record of `records` the same `values` ({field name: value}; a relation takes a record or
    its id) in one UPDATE, as an edit by `by` would: each record whose values change gets its version bumped
    and `updated_by`, one history entry (field, old → new) and one event after commit. Records already
    holding the values are left alone. No validation and no version check: for moves decided by the code
    (territory rules, lead conversion), not for forms.

    `records` may be a queryset (records in the recycle bin included when it includes them) or records
    already loaded (their `__str__` and the fields of `values` read without further queries); the
    records changed come back, updated in memory. Inside a caller's transaction it takes no savepoint:
    an error fails the caller's whole transaction."""
    records = list(records)
    if not records:
        return []
    model = type(records[0])
    fields = {model._meta.get_field(name).name: model._meta.get_field(name) for name in values}
    raw, shown_new = {}, {}
    for name, value in values.items():
        name = model._meta.get_field(name).name
        raw[name] = value.pk if isinstance(value, models.Model) else value
        shown_new[name] = str(value) if isinstance(value, models.Model) else None
    changed, olds = [], []
    for record in records:
        old = {name: getattr(record, field.attname) for name, field in fields.items()}
        differing = [name for name in fields if old[name] != raw[name]]
        if differing:
            changed.append(record)
            olds.append({name: old[name] for name in differing})
    if not changed:
        return []
    names = {
        name: _relation_names(field, [old[name] for old in olds if name in old]
                              + ([raw[name]] if shown_new[name] is None else []))
        for name, field in fields.items() if isinstance(field, models.ForeignKey)
    }

    def shown(name, value, new=False):
        if new and shown_new[name] is not None:
            return shown_new[name]
        return names[name][value] if name in names else _display(None, fields[name], value)

    user = by if by and by.is_authenticated else None
    now = clock.now()
    model._base_manager.filter(pk__in=[record.pk for record in changed]).update(
        **{fields[name].attname: value for name, value in raw.items()},
        version=models.F("version") + 1, updated_by=user, updated_at=now,
    )
    content_type = _content_type(model)
    history, emitted = [], []
    for record, old in zip(changed, olds, strict=True):
        changes, named = split_mentions(
            _with_parts({"field": name, "label": str(fields[name].verbose_name), "old": shown(name, old[name]),
                         "new": shown(name, raw[name], new=True)}, fields[name], old[name], raw[name])
            for name in old)
        history.append(ChangeLog(
            content_type=content_type, object_id=record.pk, action=ChangeLog.Action.UPDATE, user=user, at=now,
            record_label=str(record)[:300], changes=changes, mentions=named,
        ))
        emitted.append(_event(record, events.Kind.UPDATED, by, [
            events.Change(name, events.plain(old[name]), events.plain(raw[name])) for name in old
        ]))
        for name, field in fields.items():
            setattr(record, field.attname, raw[name])
        if "version" not in record.get_deferred_fields():  # a deferred one is read afresh when asked for
            record.version += 1
        record.updated_by_id, record.updated_at = _actor_id(by), now
    ChangeLog.objects.bulk_create(history)
    events.emit(*emitted)
    return changed


_PLAIN_FIELDS = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey)


def insert_rows(model, names: list[str], rows: Iterable[tuple]) -> None:
    """INSERT `rows` (tuples of the values of the fields `names`, a relation by its id under its attname) into
    `model`'s table with one prepared statement run for all of them: for bookkeeping rows written by the
    thousand (history, an import's row outcomes), where building model instances costs more than the
    database's work. No signals, no defaults: every column without a database default is named."""
    fields = [model._meta.get_field(name) for name in names]
    connection = transaction.get_connection(model._base_manager.db)
    quote = connection.ops.quote_name
    converters = []
    for field in fields:
        if isinstance(field, _PLAIN_FIELDS) and not isinstance(field, models.JSONField):
            converters.append(None)
            continue
        empty = {json_text: field.get_db_prep_save(value, connection)
                 for json_text, value in (("[]", []), ("{}", {}))} if isinstance(field, models.JSONField) else {}
        converters.append((field, empty))

    last = [(object(), None)] * len(fields)  # (value, converted) of the column's previous row

    def converted(row):
        values = []
        for index, (value, converter) in enumerate(zip(row, converters, strict=True)):
            if converter is None:
                values.append(value)
            elif converter[1] and not value and isinstance(value, list | dict):  # most rows: prepared once
                values.append(converter[1]["[]" if isinstance(value, list) else "{}"])
            elif value is last[index][0]:  # the same object as the row before (a batch's time)
                values.append(last[index][1])
            else:
                last[index] = (value, converter[0].get_db_prep_save(value, connection))
                values.append(last[index][1])
        return values

    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table), ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)))
    with connection.cursor() as cursor:
        cursor.executemany(sql, [converted(row) for row in rows])


def record_maker(model, **common) -> Callable[[dict], TrackedModel]:
    """A function building unsaved instances of `model` from {attname: value} (a relation by its id,
    `account_id`) over `common`, as `model(**common, **values)` would, in a twentieth of its time: the
    instances are copies of one built once. For bulk loads, where `Model.__init__` costs more than the
    INSERT. A model with a default computed per instance (a callable) gets `model(...)` each time."""
    template = model(**common)
    attnames = {field.attname for field in model._meta.concrete_fields}
    per_instance = any(field.has_default() and callable(field.default) for field in model._meta.concrete_fields)

    def make(values: dict) -> TrackedModel:
        if per_instance or not attnames.issuperset(values):
            return model(**common, **values)
        record = model.__new__(model)
        record.__dict__.update(template.__dict__)
        record._state = ModelState()
        record.__dict__.update(values)
        return record

    return make


def _insert_records(model, records: list) -> None:
    """INSERT new `records` of `model` and give them their ids, as `bulk_create` does, in a fraction of its
    time: multi-row INSERTs … RETURNING the ids, the values of plain columns (text, numbers, relations' ids)
    passed as they are and only the others converted by their field. Fields with a `pre_save` of their own
    (auto_now dates, files) run it. Falls back to `bulk_create` where the database returns no ids."""
    connection = transaction.get_connection(model._base_manager.db)
    if not connection.features.can_return_rows_from_bulk_insert:
        model._base_manager.bulk_create(records, batch_size=BULK_BATCH)
        return
    pk = model._meta.pk
    fields = [field for field in model._meta.concrete_fields if field is not pk and not field.generated]
    own_pre_save = [field for field in fields if type(field).pre_save is not models.Field.pre_save]
    plain = [isinstance(field, _PLAIN_FIELDS) and not isinstance(field, models.JSONField) for field in fields]
    attnames = [field.attname for field in fields]
    per_statement = max(1, min(BULK_BATCH, (connection.features.max_query_params or 65535) // len(fields)))
    quote = connection.ops.quote_name
    head = "INSERT INTO {} ({}) VALUES ".format(quote(model._meta.db_table),
                                                ", ".join(quote(field.column) for field in fields))
    one_row = "({})".format(", ".join(["%s"] * len(fields)))
    with connection.cursor() as cursor:
        for start in range(0, len(records), per_statement):
            chunk = records[start:start + per_statement]
            params = []
            for record in chunk:
                for field in own_pre_save:
                    field.pre_save(record, True)
                for field, attname, is_plain in zip(fields, attnames, plain, strict=True):
                    value = getattr(record, attname)
                    if not is_plain or not (value is None or type(value) in (str, int, bool)):
                        value = field.get_db_prep_save(value, connection)
                    params.append(value)
            cursor.execute(f"{head}{', '.join([one_row] * len(chunk))} RETURNING {quote(pk.column)}", params)
            # New ids grow in the order the rows were inserted, whatever order RETURNING lists them in.
            for record, (new_id,) in zip(chunk, sorted(cursor.fetchall()), strict=True):
                setattr(record, pk.attname, new_id)
                record._state.adding, record._state.db = False, connection.alias


# Rows per INSERT or UPDATE statement of the bulk services (SQLite's limit on a statement's parameters
# stays far: a contact has some 25 columns).
BULK_BATCH = 500


@transaction.atomic(savepoint=False)
def bulk_create_records(records: list[TrackedModel], by) -> list[TrackedModel]:
    """Create `records` (new instances of one model) as `create_record` would each — authorship, the owner
    when none is set, one history entry and one event per record — in a few statements: the INSERTs of
    the records and of their history in batches, and their events emitted together (one task after the
    commit, whose batch handlers, the search index, work in bulk). The records come back with their ids.

    No validation: the caller has validated each record (`core.services._validate`, or its own cheaper
    checks). A row the database refuses fails the whole call; inside a caller's transaction it takes no
    savepoint, so the caller's transaction fails with it."""
    if not records:
        return []
    model = type(records[0])
    user = by if by and by.is_authenticated else None
    for record in records:
        record.created_by = record.updated_by = user
        if hasattr(record, "owner_id") and record.owner_id is None and user is not None:
            record.owner = user
    _insert_records(model, records)
    if any(record.pk is None for record in records):  # a backend that cannot return the new rows' ids
        raise NotImplementedError("bulk_create_records needs a database that returns the ids of inserted rows.")
    content_type, now = _content_type(model), clock.now()
    user_id = user.pk if user is not None else None
    insert_rows(ChangeLog, ["content_type", "object_id", "action", "user", "at", "changes", "mentions", "record_label"],
                ((content_type.pk, record.pk, ChangeLog.Action.CREATE, user_id, now, [], {}, str(record)[:300])
                 for record in records))
    events.emit(*(_event(record, events.Kind.CREATED, by) for record in records))
    return records


@transaction.atomic(savepoint=False)
def bulk_update_records(changes: list[tuple[TrackedModel, dict[str, Any]]], by) -> list[TrackedModel]:
    """Give each record its own new values (`[(record, {field name: value}), …]`, records of one model; a
    relation takes its id under its attribute name, `account_id`) as `update_record` would each: the stored
    values are read again, locked, in one query, so history names what the rows held; each record whose
    values differ gets its version bumped, `updated_by`, one history entry and one event, all in a few
    statements (one UPDATE per batch of records, one INSERT of the history, one task after commit).
    Records whose values are already stored are left alone. The records changed come back, updated in
    memory. No validation and no version check, like `bulk_update`: the caller has validated the values.

    Records whose history reads other records (`Regarding`: an activity's subject) are saved one by one
    through `update_record`."""
    changes = [(record, values) for record, values in changes if values]
    if not changes:
        return []
    model = type(changes[0][0])
    if issubclass(model, Regarding):
        saved = []
        for record, values in changes:
            for name, value in values.items():
                setattr(record, model._meta.get_field(name).attname, value)
            saved.append(update_record(record, by, validate=False))
        return saved
    given = dict.fromkeys(name for _record, values in changes for name in values)
    fields = {model._meta.get_field(name).name: model._meta.get_field(name) for name in given}
    attnames = [field.attname for field in fields.values()]
    stored = {
        row[0]: row[1:]
        for start in range(0, len(changes), BULK_BATCH)
        for row in model._base_manager.select_for_update().filter(
            pk__in=[record.pk for record, _values in changes[start:start + BULK_BATCH]]
        ).values_list("pk", "version", *attnames)
    }
    changed, olds, news = [], [], []
    for record, values in changes:
        if record.pk not in stored:
            continue  # deleted for good meanwhile
        version, *before = stored[record.pk]
        before = dict(zip(fields, before, strict=True))
        after = {model._meta.get_field(name).name: value for name, value in values.items()}
        differing = [name for name in after if before[name] != after[name]]
        for name, field in fields.items():  # the UPDATE writes every column named: the stored value by default
            setattr(record, field.attname, after[name] if name in after else before[name])
        record.version = version
        if differing:
            changed.append(record)
            olds.append({name: before[name] for name in differing})
            news.append({name: after[name] for name in differing})
    if not changed:
        return []
    names = {
        name: _relation_names(field, [value for values in olds + news for key, value in values.items() if key == name])
        for name, field in fields.items() if isinstance(field, models.ForeignKey)
    }

    def shown(name, value):
        return names[name][value] if name in names else _display(None, fields[name], value)

    user, now = by if by and by.is_authenticated else None, clock.now()
    for record in changed:
        record.version += 1
        record.updated_by, record.updated_at = user, now
    model._base_manager.bulk_update(changed, [*attnames, "version", "updated_by", "updated_at"],
                                    batch_size=BULK_BATCH)
    content_type = _content_type(model)
    history, emitted = [], []
    for record, old, new in zip(changed, olds, news, strict=True):
        stored_changes, named = split_mentions(
            _with_parts({"field": name, "label": str(fields[name].verbose_name), "old": shown(name, old[name]),
                         "new": shown(name, new[name])}, fields[name], old[name], new[name])
            for name in old)
        history.append(ChangeLog(
            content_type=content_type, object_id=record.pk, action=ChangeLog.Action.UPDATE, user=user, at=now,
            record_label=str(record)[:300], changes=stored_changes, mentions=named,
        ))
        emitted.append(_event(record, events.Kind.UPDATED, by, [
            events.Change(name, events.plain(old[name]), events.plain(new[name])) for name in old
        ]))
    ChangeLog.objects.bulk_create(history, batch_size=BULK_BATCH)
    events.emit(*emitted)
    return changed
