"""What every Vínculo record has: authorship, a version for optimistic locking, soft delete and history."""

import functools

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, router
from django.db.models.constants import LOOKUP_SEP
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext_lazy as _

from . import compiled
from .access import RecordQuerySet, has_policy
from .policy import Policy


class LiveManager(models.Manager.from_queryset(RecordQuerySet)):
    """The default manager: records in the recycle bin are left out everywhere unless asked for."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class AllRecordsManager(models.Manager.from_queryset(RecordQuerySet)):
    pass


def recycle_bin_index(name: str) -> models.Index:
    """For a large table: an index of its deleted rows only (a few, against millions of live ones), newest
    first, from which the recycle bin reads its section instead of scanning the table (activities: 1.5 s)."""
    return models.Index(fields=["-deleted_at", "-id"], condition=models.Q(deleted_at__isnull=False), name=name)


@functools.cache
def _choices_of(field) -> dict:
    """{value: label} of a field with choices (the labels stay lazy: translated when shown)."""
    return dict(make_hashable(field.flatchoices))


class TrackedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("deleted by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", editable=False,
    )

    objects = LiveManager()
    all_objects = AllRecordsManager()

    # Who may see and change the records (core.policy); a type whose visibility is not just its owner's
    # line declares its own.
    policy = Policy(owner="owner")

    # Fields that change on every save and so are not history.
    UNTRACKED_FIELDS = frozenset(
        {"id", "created_at", "updated_at", "created_by", "updated_by", "version", "deleted_at", "deleted_by"}
    )

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @classmethod
    def access_rule(cls, user, write: bool, per_row: bool = False) -> models.Q:
        """The Q a non-admin's queryset is filtered by when the access level is private: the type's
        policy compiled (`core.access.access_rule` keeps it for the rest of the request)."""
        return cls.policy.rule(user, write, per_row)

    def validate_constraints(self, exclude=None):
        """Django's, except for a unique constraint on fields with a condition (an account's live tax id): its
        condition is evaluated here, on the record's values, and only when it holds is the database asked,
        with one plain EXISTS. Django's own check sends the condition to the database with every field of the
        record as a parameter, in a savepoint, which cost more than the rest of a create's validation."""
        exclude = set(exclude or ())
        using = router.db_for_write(type(self), instance=self)
        errors = {}
        for model_class, constraints in self.get_constraints():
            for constraint in constraints:
                try:
                    if not _checked_here(constraint, model_class, self, exclude, using):
                        constraint.validate(model_class, self, exclude=exclude or None, using=using)
                except ValidationError as error:
                    if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                        errors.setdefault(constraint.fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def _get_FIELD_display(self, field):
        """Django's, without rebuilding the field's choices on every call: that hashes, and so translates, every
        label each time (a list of 25 rows showing three such fields: 275 translations per page)."""
        value = getattr(self, field.attname)
        return force_str(_choices_of(field).get(make_hashable(value), value), strings_only=True)

    def search_text(self) -> str:
        """Text indexed for global search; types that appear in search override it."""
        return ""

    def history(self):
        """This record's change log, newest first (one query)."""
        return ChangeLog.objects.filter(
            content_type=ContentType.objects.get_for_model(type(self)), object_id=self.pk
        ).select_related("user")


def _holds(condition: models.Q, record) -> bool | None:
    """Whether `condition` holds for `record`'s own values, as the database would decide; None when it takes
    more than exact and isnull lookups on plain columns with plain values, or a comparison with NULL."""
    results = []
    for child in condition.children:
        if isinstance(child, models.Q):
            result = _holds(child, record)
        elif isinstance(child, tuple) and not hasattr(child[1], "resolve_expression"):
            name, lookup = (child[0].split(LOOKUP_SEP, 1) + ["exact"])[:2]
            try:
                field = record._meta.get_field(name)
            except FieldDoesNotExist:
                return None
            if not field.concrete or field.is_relation or field.generated:
                return None
            value = getattr(record, field.attname)
            if lookup == "isnull" and isinstance(child[1], bool):
                result = (value is None) is child[1]
            elif lookup == "exact" and value is not None and child[1] is not None:
                result = value == child[1]
            else:
                return None
        else:
            return None
        if result is None:
            return None
        results.append(result)
    held = all(results) if condition.connector == models.Q.AND else any(results)
    return not held if condition.negated else held


def _checked_here(constraint, model_class, record, exclude: set, using: str) -> bool:
    """Check a unique constraint on fields with a condition the way UniqueConstraint.validate does, raising
    the same ValidationError, in one plain query at most; False when it is left to Django."""
    if not (isinstance(constraint, models.UniqueConstraint) and constraint.fields and constraint.condition
            and not constraint.expressions and constraint.nulls_distinct is not False):
        return False
    if exclude & set(constraint.fields):
        return True  # Django skips it too
    fields = [model_class._meta.get_field(name) for name in constraint.fields]
    if any(field.generated for field in fields):
        return False
    holds = _holds(constraint.condition, record)
    if holds is None:
        return False
    values = {field.name: getattr(record, field.attname) for field in fields}
    if not holds or any(value is None for value in values.values()):
        return True  # the condition leaves the record out; NULLs never clash
    manager = model_class._default_manager.using(using)
    names = list(values)
    existing = not record._state.adding and record._is_pk_set(model_class._meta)
    given = [*values.values(), *([record._get_pk_val(model_class._meta)] if existing else [])]

    def clashing(*given):
        others = manager.filter(constraint.condition, **dict(zip(names, given, strict=False)))
        return (others.exclude(pk=given[-1]) if existing else others).values_list("pk")[:1]

    if all(isinstance(value, int | str) and not isinstance(value, bool) for value in given):
        # Its SQL compiled once per process: each create of such a record runs it.
        found = compiled.rows(f"unique:{model_class._meta.label_lower}.{constraint.name}:{existing}",
                              model_class, clashing, *given)
    else:
        found = clashing(*given).exists()
    if found:
        raise ValidationError(constraint.get_violation_error_message(), code=constraint.violation_error_code)
    return True


def mention(text, model, pk) -> dict:
    """One part of a history value that names a record ("Araya (Decision maker)" names contact 5): kept with
    the change so that `core.views.visible_history` can show it only to readers who may see the record."""
    return {"text": str(text), "model": model._meta.label_lower, "id": pk}


def mentions(items) -> list[dict]:
    """[(text, record or None), …] as the parts of a history value; a part about no record (None) or
    about a type without an access policy (a product, a user) is plain text, always shown."""
    return [mention(text, type(record), record.pk) if record is not None and has_policy(type(record))
            else {"text": str(text)} for text, record in items]


def split_mentions(changes) -> tuple[list[dict], dict]:
    """Changes as the services build them, which may carry "old_parts"/"new_parts" (see `mention`): the
    changes as stored, and their parts apart, keyed "<index>.old" / "<index>.new" (`ChangeLog.mentions`)."""
    stored, named = [], {}
    for index, change in enumerate(changes):
        change = dict(change)
        for key in ("old", "new"):
            parts = change.pop(f"{key}_parts", None)
            if parts and any("id" in part for part in parts):
                named[f"{index}.{key}"] = parts
        stored.append(change)
    return stored, named


class ChangeLog(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Moved to the recycle bin")
        RESTORE = "restore", _("Restored")

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("when"), db_index=True)
    # [{"field": name, "label": verbose name, "old": text, "new": text}, ...]
    changes = models.JSONField(_("changes"), default=list, blank=True)
    # The records a change's value names, so a reader who may not see one is shown a placeholder instead of
    # its name (core.views.visible_history): {"<change index>.old"|".new": [{"text": …, "model": "app.model",
    # "id": pk} or {"text": …}, …]}, the parts whose texts, joined by ", ", make the value (see `mention`).
    mentions = models.JSONField(_("records named"), default=dict, blank=True, editable=False)
    record_label = models.CharField(_("record"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("change")
        verbose_name_plural = _("change history")
        indexes = [
            # A record's history page.
            models.Index(fields=["content_type", "object_id", "-at"], name="changelog_record_idx"),
        ]

    def __str__(self):
        return f"{self.record_label}: {self.get_action_display()}"


class SearchEntry(models.Model):
    """One row per searchable record; full-text indexed by FTS5 (SQLite) or tsvector (PostgreSQL)."""

    kind = models.CharField(max_length=60)
    object_id = models.PositiveBigIntegerField()
    body = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="searchentry_unique_record")]

    def __str__(self):
        return f"{self.kind}:{self.object_id}"


class ScheduledRun(models.Model):
    """When a scheduled job (core.schedule) last ran."""

    name = models.CharField(max_length=100, unique=True)
    last_run = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.name


class Merge(models.Model):
    """Two records made one (core.merging): `loser` went to the recycle bin, its related records moved to
    `winner`, whose chosen fields took the loser's values. Restoring the loser undoes it from what is kept
    here: `fields` {name: {"old": winner's value, "new": value taken}}, `moved` [{"model": "app.model",
    "field": attname, "old": {pk: value before}, "new": value after}, …]."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    winner_id = models.PositiveBigIntegerField()
    loser_id = models.PositiveBigIntegerField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    fields = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    moved = models.JSONField(default=list, encoder=DjangoJSONEncoder)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Restoring a record from the recycle bin: was it merged into another?
            models.Index(fields=["content_type", "loser_id"], name="merge_loser_idx"),
        ]

    def __str__(self):
        return f"{self.content_type_id}: {self.loser_id} → {self.winner_id}"


class TableVersion(models.Model):
    """The version of one table, changed by a database trigger on every write to it (core.versioned)."""

    name = models.CharField(max_length=100, primary_key=True)
    version = models.BigIntegerField()

    def __str__(self):
        return f"{self.name}: {self.version}"
