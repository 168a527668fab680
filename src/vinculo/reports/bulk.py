"""Bulk actions on records of any reportable type: a new owner for many records at once, each record
checked against the access policy (the ones the user may not change are refused, with the reason), one
history entry per record changed (core.services.bulk_update), and one undo for the whole batch."""

import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vinculo.core import clock, reporting
from vinculo.core.services import bulk_update

from .models import BulkChange

MAX_IDS = 1000


@dataclass
class Outcome:
    done: int
    refused: list[dict]
    undo_token: str | None


def _owner_field(record_type: str):
    entry = reporting.registry.get(record_type)
    owner = getattr(getattr(entry, "model", None), "policy", None)
    if entry is None or owner is None or not owner.owner:
        raise ValidationError({"record_type": _("Records of this type have no owner to change.")})
    return entry.model, owner.owner


def set_owner(record_type: str, ids: list[int], owner_id: int, by) -> Outcome:
    """Give the records `ids` of `record_type` the owner `owner_id`, where `by` may change them."""
    model, field = _owner_field(record_type)
    if len(ids) > MAX_IDS:
        raise ValidationError({"ids": _("Select at most %(count)d records at once.") % {"count": MAX_IDS}})
    owner = get_user_model().objects.filter(pk=owner_id, is_active=True).first()
    if owner is None:
        raise ValidationError({"value": _("Choose an active user.")})
    wanted = list(dict.fromkeys(ids))
    visible = set(model.objects.visible_to(by).filter(pk__in=wanted).values_list("pk", flat=True))
    editable = list(model.objects.editable_by(by).filter(pk__in=visible))
    editable_ids = {record.pk for record in editable}
    refused = [{"id": pk, "reason": _("Not found.") if pk not in visible
                else _("You may read this record but not change it.")}
               for pk in wanted if pk not in editable_ids]
    attname = model._meta.get_field(field).attname
    with transaction.atomic():
        previous = {str(record.pk): getattr(record, attname) for record in editable}
        changed = bulk_update(editable, {field: owner}, by=by)
        token = None
        if changed:
            change = BulkChange.objects.create(
                token=uuid.uuid4(), user=by, record_type=record_type, field=field, value=owner.pk,
                previous={str(record.pk): previous[str(record.pk)] for record in changed})
            token = str(change.token)
    return Outcome(len(changed), refused, token)


def undo(token: str, by) -> int:
    """Put back what the bulk change `token` of `by` changed: the number of records restored. The records
    were checked against the policy when changed; those changed again since are left as they are now. A
    change is undone once."""
    try:
        token = uuid.UUID(str(token))
    except ValueError:
        raise ValidationError({"token": _("Unknown or already undone change.")}) from None
    with transaction.atomic():
        change = BulkChange.objects.select_for_update().filter(token=token, user=by, undone_at__isnull=True).first()
        if change is None:
            raise ValidationError({"token": _("Unknown or already undone change.")})
        model, field = _owner_field(change.record_type)
        by_owner: dict = {}
        for pk, old in change.previous.items():
            by_owner.setdefault(old, []).append(int(pk))
        restored = 0
        attname = model._meta.get_field(field).attname
        still = model.objects.filter(**{attname: change.value})
        # One UPDATE per former owner: as many as there were owners, not records.
        for old, pks in by_owner.items():
            restored += len(bulk_update(still.filter(pk__in=pks), {field: old}, by=by))
        change.undone_at = clock.now()
        change.save(update_fields=["undone_at"])
    return restored
