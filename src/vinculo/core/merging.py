"""Merging two records that are the same thing (two accounts for one company): the winner keeps its fields
or takes the loser's, field by field; every record related to the loser moves to the winner; the loser goes
to the recycle bin. Restoring the loser from the recycle bin undoes the merge (`undo_merges_of`, called by
`core.services.restore`): the moved records move back, the fields the winner took get their old values.

The related records are found by introspection, so a module added later is merged without knowing about
it: every foreign key and many-to-many table pointing at the model, and every generic link (`regarding`:
activities, notes, files, tasks; campaign members). A row whose move would break a unique constraint (the
winner is already on that campaign, already linked to that account) stays on the loser. The change log of
the loser stays its own, and both records' history names the merge.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import clock, events
from .access import require_edit
from .models import ChangeLog, Merge, TrackedModel, mentions, split_mentions
from .subjects import Regarding, content_type_id
from .subjects import registry as subjects


class MergeError(ValueError):
    pass


def mergeable_fields(model, user) -> list:
    """The fields a merge lets the user choose between: the record's own values that are not bookkeeping,
    not hidden from `user` by the access policy and not left out by the type's duplicate rules."""
    from .duplicates import registry

    rules = registry.of(model)
    left_out = set(rules.not_merged if rules else ()) | set(model.policy.hidden_fields(user))
    return [field for field in model._meta.concrete_fields
            if field.editable and not field.primary_key and field.name not in TrackedModel.UNTRACKED_FIELDS
            and field.name not in left_out]


def _links(model) -> Iterable[tuple]:
    """(related model, the moving column's attname, content type column's attname or None) for every foreign
    key and auto-created many-to-many table pointing at `model`, then every generic link but history's."""
    for rel in model._meta.related_objects:
        if rel.many_to_many:
            through = rel.through
            if through._meta.auto_created:
                column = next(f for f in through._meta.fields if f.is_relation and f.related_model is model)
                yield through, column.attname, None
            continue  # a declared through model points at `model` with a foreign key of its own
        yield rel.related_model, rel.field.attname, None
    for related in apps.get_models():
        if related in (ChangeLog, Merge):
            continue
        for link in related._meta.private_fields:
            if isinstance(link, GenericForeignKey):
                content_type_column = related._meta.get_field(link.ct_field).attname
                yield related, link.fk_field, content_type_column


def _unique_sets(related, column: str) -> list[tuple[str, ...]]:
    """The unique column sets of `related` that hold `column` (conditions ignored: a row kept back by a
    condition that would not apply is the safe side)."""
    def attnames(names):
        return tuple(related._meta.get_field(name).attname for name in names)

    sets = [attnames(names) for names in related._meta.unique_together]
    sets += [attnames(constraint.fields) for constraint in related._meta.constraints
             if isinstance(constraint, models.UniqueConstraint) and constraint.fields]
    sets += [(field.attname,) for field in related._meta.concrete_fields if field.unique and not field.primary_key]
    return [names for names in sets if column in names]


def _rows(related, column, content_type_column, model, pk):
    rows = related._base_manager.filter(**{column: pk})
    if content_type_column:
        rows = rows.filter(**{content_type_column: content_type_id(model)})
    return rows


def _move(related, column, content_type_column, model, source, target) -> list[int]:
    """Point `related`'s rows at `target` instead of `source`; the ids of the rows moved."""
    unique_sets = _unique_sets(related, column)
    others = sorted({name for names in unique_sets for name in names if name != column})
    taken = {names: set() for names in unique_sets}
    for names in unique_sets:
        rest = [name for name in names if name != column]
        taken[names] = set(_rows(related, column, content_type_column, model, target.pk).values_list(*rest)) if rest \
            else ({()} if _rows(related, column, content_type_column, model, target.pk).exists() else set())
    moving = []
    for row in _rows(related, column, content_type_column, model, source.pk).values("pk", *others):
        if related is model and row["pk"] == target.pk:
            continue  # the winner was the loser's child: it does not become its own parent
        keys = {names: tuple(row[name] for name in names if name != column) for names in unique_sets}
        if any(keys[names] in taken[names] for names in unique_sets):
            continue
        for names in unique_sets:
            taken[names].add(keys[names])
        moving.append(row["pk"])
    return moving


def _repoint(related, column: str, ids_by_old: dict, new, by, label_of) -> None:
    """Set `column` to `new` on the rows of `ids_by_old` ({old value: [ids]}); tracked rows get their version
    bumped, a history line and an update event."""
    ids = [pk for group in ids_by_old.values() for pk in group]
    if not ids:
        return
    user = by if by and by.is_authenticated else None
    tracked = issubclass(related, TrackedModel)
    extra = {"version": models.F("version") + 1, "updated_at": clock.now(), "updated_by": user} if tracked else {}
    related._base_manager.filter(pk__in=ids).update(**{column: new}, **extra)
    if not tracked:
        return
    field = next((f for f in related._meta.concrete_fields if f.attname == column), None)
    label = str(field.verbose_name) if field is not None else column
    history, emitted = [], []
    labels = {pk: str(record)[:300] for pk, record in related._base_manager.in_bulk(ids).items()}
    for old, group in ids_by_old.items():
        old_record, new_record = label_of(old), label_of(new)
        changes, named = split_mentions([{
            "field": field.name if field is not None else column, "label": label,
            "old": str(old_record or old or ""), "new": str(new_record or new or ""),
            "old_parts": mentions([(str(old_record), old_record)]) if old_record is not None else None,
            "new_parts": mentions([(str(new_record), new_record)]) if new_record is not None else None,
        }])
        for pk in group:
            history.append(ChangeLog(content_type_id=content_type_id(related), object_id=pk,
                                     action=ChangeLog.Action.UPDATE, user=user, at=clock.now(), changes=changes,
                                     mentions=named, record_label=labels.get(pk, "")))
            emitted.append(events.Event(kind=events.Kind.UPDATED, record_type=related._meta.label_lower,
                                        record_id=pk, actor_id=user.pk if user else None,
                                        changes=(events.Change(column, old, new),)))
    ChangeLog.objects.bulk_create(history)
    events.emit(*emitted)


def _labeller(*records):
    """What a history line names for a value: the merged records by their id, other values as they are."""
    known = {record.pk: record for record in records}

    def label_of(value):
        return known.get(value)
    return label_of


def _move_related(model, source, target, by) -> list[dict]:
    label_of = _labeller(source, target)
    moved = []
    for related, column, content_type_column in _links(model):
        ids = _move(related, column, content_type_column, model, source, target)
        if not ids:
            continue
        account_before = None
        if content_type_column and issubclass(related, Regarding) and column == "regarding_id":
            subject_type = subjects.of(model)
            if subject_type is not None and subject_type.account_field and not subject_type.is_account:
                account_before = (subject_type.account_id_of(target),
                                  dict(related._base_manager.filter(pk__in=ids).values_list("pk", "account_id")))
        _repoint(related, column, {source.pk: ids}, target.pk, by, label_of)
        moved.append({"model": related._meta.label_lower, "field": column, "old": {str(pk): source.pk for pk in ids},
                      "new": target.pk})
        if account_before is not None:
            # The records about a contact roll up to the winner's account from now on.
            new_account, olds = account_before
            changing = {pk: old for pk, old in olds.items() if old != new_account}
            groups = defaultdict(list)
            for pk, old in changing.items():
                groups[old].append(pk)
            _repoint(related, "account_id", dict(groups), new_account, by, lambda value: None)
            if changing:
                moved.append({"model": related._meta.label_lower, "field": "account_id",
                              "old": {str(pk): old for pk, old in changing.items()}, "new": new_account})
    return moved


def related_counts(model, record) -> list[tuple[str, int]]:
    """What is related to `record`, which a merge would move (a row the winner already has stays): (the
    related type's plural name, how many), one query per kind of link."""
    rows = defaultdict(set)  # a row linked twice (an activity's account and subject) counts once
    for related, column, content_type_column in _links(model):
        rows[related].update(_rows(related, column, content_type_column, model, record.pk).values_list("pk", flat=True))
    return sorted((str(related._meta.verbose_name_plural), len(ids)) for related, ids in rows.items() if ids)


@transaction.atomic
def merge(winner, loser, take: Iterable[str], by) -> Merge:
    """Make `loser` one with `winner`: the fields named in `take` get the loser's values, every related record
    moves to the winner, the loser goes to the recycle bin; the whole is undone by restoring the loser."""
    from . import services
    from .duplicates import registry

    model = type(winner)
    if type(loser) is not model or winner.pk == loser.pk:
        raise MergeError(_("Choose two different records of one type."))
    locked = model.all_objects.select_for_update().in_bulk([winner.pk, loser.pk])
    if any(pk not in locked or locked[pk].deleted_at is not None for pk in (winner.pk, loser.pk)):
        raise MergeError(_("One of the records is in the recycle bin."))
    winner, loser = locked[winner.pk], locked[loser.pk]
    require_edit(by, winner)
    require_edit(by, loser)
    rules = registry.of(model)
    refused = rules.refuse_merge and (rules.refuse_merge(winner) or rules.refuse_merge(loser))
    if refused:
        raise MergeError(refused)
    offered = {field.name: field for field in mergeable_fields(model, by)}
    chosen = {}
    for name in take:
        if name not in offered:
            raise MergeError(_("“%(field)s” cannot be chosen in a merge.") % {"field": name})
        old, new = offered[name].value_from_object(winner), offered[name].value_from_object(loser)
        if offered[name].is_relation and offered[name].related_model is model and new == winner.pk:
            continue  # the loser's parent was the winner: the winner does not become its own parent
        if old != new:
            chosen[name] = {"old": old, "new": new}
    moved = _move_related(model, loser, winner, by)
    count = len({(entry["model"], pk) for entry in moved for pk in entry["old"]})  # a row moved in two columns once
    services.log_change(loser, by, _("Merged into"), new=[(str(winner), winner)])
    services.soft_delete(loser, by)
    if chosen:
        for name, values in chosen.items():
            setattr(winner, offered[name].attname, values["new"])
        winner.validate_constraints()
        services.update_record(winner, by, validate=False)
    services.log_change(winner, by, _("Merged with a duplicate"), old=[(str(loser), loser)],
                        new=ngettext("%(count)d related record moved", "%(count)d related records moved", count)
                        % {"count": count})
    return Merge.objects.create(content_type_id=content_type_id(model), winner_id=winner.pk, loser_id=loser.pk,
                                by=by if by and by.is_authenticated else None, at=clock.now(), fields=chosen,
                                moved=moved)


def undo_merges_of(record, by) -> list[Merge]:
    """Undo every merge `record` lost (it is being restored from the recycle bin): the records moved from it
    move back, unless they were moved again since; the winner's fields that still hold what the merge gave
    them get their old values back. Runs inside the restore's transaction."""
    from . import services

    model = type(record)
    done = list(Merge.objects.select_for_update().filter(
        content_type_id=content_type_id(model), loser_id=record.pk, undone_at__isnull=True).order_by("-at", "-pk"))
    for merge_done in done:
        winner = model._base_manager.filter(pk=merge_done.winner_id).first()
        if winner is not None and by is not None:
            require_edit(by, winner)  # undoing changes the winner too
        label_of = _labeller(record, *([winner] if winner else []))
        for entry in reversed(merge_done.moved):
            related = apps.get_model(entry["model"])
            still = set(related._base_manager.filter(
                pk__in=[int(pk) for pk in entry["old"]], **{entry["field"]: entry["new"]}).values_list("pk", flat=True))
            groups = defaultdict(list)
            for pk, old in entry["old"].items():
                if int(pk) in still:
                    groups[old].append(int(pk))
            for old, ids in groups.items():
                _repoint(related, entry["field"], {entry["new"]: ids}, old, by, label_of)
        if winner is not None and merge_done.fields:
            changed = False
            for name, values in merge_done.fields.items():
                field = model._meta.get_field(name)
                if field.value_from_object(winner) == field.to_python(values["new"]):
                    setattr(winner, field.attname, field.to_python(values["old"]))
                    changed = True
            if changed:
                services.update_record(winner, by, validate=False)
        if winner is not None:
            services.log_change(winner, by, _("Merge undone"), old=[(str(record), record)])
        merge_done.undone_at = clock.now()
        merge_done.save(update_fields=["undone_at"])
    return done
