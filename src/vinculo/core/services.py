"""Writes every record goes through: create, update with optimistic locking, soft delete, restore.

Each runs in one transaction, records who did what in the change log, and leaves nothing
half-written when it refuses. The search index follows through the post_save signal.
"""

import datetime

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import clock
from .models import ChangeLog, TrackedModel
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


def _snapshot(record: TrackedModel) -> dict:
    return {
        field.name: field.value_from_object(record)
        for field in record._meta.concrete_fields
        if field.name not in TrackedModel.UNTRACKED_FIELDS
    }


def _log(record, action, user, changes=()):
    from django.contrib.contenttypes.models import ContentType

    ChangeLog.objects.create(
        content_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
        action=action,
        user=user if user and user.is_authenticated else None,
        at=clock.now(),
        changes=list(changes),
        record_label=str(record)[:300],
    )


def log_change(record: TrackedModel, by, label: str, old: str = "", new: str = "") -> None:
    """Record in `record`'s history a change that is not one of its own fields (a price, a contact's
    role on a deal, a competitor's contact)."""
    _log(record, ChangeLog.Action.UPDATE, by, [{"field": "", "label": str(label), "old": str(old), "new": str(new)}])


def _validate(record):
    """Model validation; on failure raises ValidationError naming the fields."""
    bookkeeping = [f.name for f in record._meta.concrete_fields if f.name in TrackedModel.UNTRACKED_FIELDS]
    record.full_clean(exclude=bookkeeping, validate_constraints=False)
    # Constraints are checked without exclusions: their conditions read bookkeeping fields (deleted_at).
    record.validate_constraints()


@transaction.atomic
def create_record(record: TrackedModel, by, validate: bool = True) -> TrackedModel:
    record.created_by = record.updated_by = by if by and by.is_authenticated else None
    if hasattr(record, "owner_id") and record.owner_id is None and by and by.is_authenticated:
        record.owner = by
    if validate:
        _validate(record)
    record.save()
    _log(record, ChangeLog.Action.CREATE, by)
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
    changes = [
        {
            "field": name,
            "label": str(record._meta.get_field(name).verbose_name),
            "old": _display(record, record._meta.get_field(name), before[name]),
            "new": _display(record, record._meta.get_field(name), after[name]),
        }
        for name in after
        if before[name] != after[name]
    ]
    if isinstance(record, Regarding):
        changes = readable_changes(stored, record, changes)
    if not changes:
        return record
    record.version = stored.version + 1
    record.updated_by = by if by and by.is_authenticated else None
    record.save()
    _log(record, ChangeLog.Action.UPDATE, by, changes)
    return record


@transaction.atomic
def soft_delete(record: TrackedModel, by) -> None:
    if record.deleted_at is not None:
        return
    record.deleted_at = clock.now()
    record.deleted_by = by
    record.version += 1
    record.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
    _log(record, ChangeLog.Action.DELETE, by)


@transaction.atomic
def restore(record: TrackedModel, by) -> None:
    if record.deleted_at is None:
        return
    record.deleted_at = None
    record.deleted_by = None
    record.version += 1
    # A live record may have taken its unique values (e.g. the tax id) in the meantime.
    record.validate_constraints()
    record.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
    _log(record, ChangeLog.Action.RESTORE, by)
