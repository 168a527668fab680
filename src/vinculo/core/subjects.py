"""Records attached to any subject: activities, notes, files (and the time entries, tasks and plan links to
come) belong to an account, contact, lead, deal, quote, campaign or any future record type through one
generic link, `regarding`.

A model becomes such a record by deriving from `Regarding`; a record type becomes a subject when its app
registers it from its `AppConfig.ready()`, the way models register with the admin site:

    subjects.register(Opportunity, account_field="account", alias="opportunity")

The kernel never imports the apps. From the registry come:

- the subject types the access policy's `Subject` clause ORs over (core.policy: a record is visible to
  whoever may see its subject);
- the account roll-up: every regarding record also keeps the `account` its subject belongs to (the subject's
  `account_field`, or the account itself), so the account page and its timeline read one indexed column;
- `hand_over`: when a subject is replaced by others (a lead converted into an account, a contact and a
  deal), each regarding model's rows move with one UPDATE, through a mover its app registered, or to the
  account by default; every moved row keeps a history line.

`alias` keeps the attribute names of the links the generic one replaced (`activity.lead`, `note.lead_id`,
`Activity(opportunity=deal)`, `select_related("lead")`): they read and write `regarding`. Filtering by them
(`Activity.objects.filter(lead=lead)`) comes from a `SubjectRelation` the subject's model declares.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRel, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.signals import post_delete
from django.utils.translation import gettext_lazy as _

from . import clock, events, policy
from .access import RecordQuerySet
from .models import AllRecordsManager, ChangeLog, LiveManager
from .policy import content_type_ref

# `account_field` of the subject type that is the account roll-up itself.
SELF = "pk"


@dataclass(frozen=True)
class SubjectType:
    model: type
    # Path from the subject to its account ("account", "opportunity__account"), SELF for the account itself,
    # None for a subject without one (a lead before conversion, a campaign).
    account_field: str | None = None
    # The attribute regarding records answer to for this type (`activity.lead`), if any.
    alias: str | None = None

    @property
    def content_type_id(self) -> int:
        return content_type_id(self.model)

    @property
    def is_account(self) -> bool:
        return self.account_field == SELF

    def account_id_of(self, subject) -> int | None:
        """The id of the account `subject` belongs to (may follow its relations: queries)."""
        if self.account_field is None:
            return None
        if self.is_account:
            return subject.pk
        *path, last = self.account_field.split("__")
        for name in path:
            subject = getattr(subject, name, None)
            if subject is None:
                return None
        return getattr(subject, f"{last}_id", None)


@dataclass
class Handover:
    """A subject replaced by others: `source` (a lead) now lives on as `targets` by role ("account",
    "contact", "deal"); `account` is the one every moved record rolls up to."""

    source: models.Model
    account: models.Model
    targets: dict = field(default_factory=dict)
    by: object = None


class Subjects:
    def __init__(self):
        self._types: dict[type, SubjectType] = {}
        self._movers: dict[type, Callable] = {}

    def register(self, model, *, account_field: str | None = None, alias: str | None = None) -> SubjectType:
        known = self._types.get(model)
        subject_type = SubjectType(model, account_field, alias)
        if known is not None and known != subject_type:
            raise ImproperlyConfigured(f"{model.__name__} is already registered as a subject.")
        if subject_type.is_account and any(t.is_account and t.model is not model for t in self._types.values()):
            raise ImproperlyConfigured("Only one subject type is the account roll-up itself.")
        self._types[model] = subject_type
        if alias:
            for regarding_model in regarding_models():
                _install_alias(regarding_model, subject_type)
        return subject_type

    def types(self) -> list[SubjectType]:
        return list(self._types.values())

    def of(self, model) -> SubjectType | None:
        return self._types.get(model._meta.concrete_model if hasattr(model, "_meta") else model)

    def by_label(self, label: str) -> SubjectType | None:
        """The subject type of the model labelled `label` ("sales.quote"), or None."""
        return next((t for t in self._types.values() if t.model._meta.label_lower == (label or "").lower()), None)

    def model_named(self, alias: str):
        """The model of the subject type registered under `alias` ("lead"): for pages that take a subject
        from the URL (`?lead=<pk>`) without importing the app that defines it. LookupError if none."""
        for subject_type in self._types.values():
            if subject_type.alias == alias:
                return subject_type.model
        raise LookupError(f"No subject type is registered as {alias!r}.")

    def account_type(self) -> SubjectType | None:
        return next((t for t in self._types.values() if t.is_account), None)

    def aliases(self) -> set[str]:
        return {t.alias for t in self._types.values() if t.alias}

    def register_mover(self, model, mover: Callable) -> None:
        """`mover(handover, model)` moves `model`'s records off `handover.source`; called by `hand_over`
        instead of the default (every row to the account)."""
        self._movers[model] = mover

    def movers(self) -> list[tuple[type, Callable]]:
        """Every registered mover, then the default one for each regarding model without its own."""
        default = [(model, move_to_account) for model in regarding_models() if model not in self._movers]
        return [*self._movers.items(), *default]


registry = Subjects()
register = registry.register
register_mover = registry.register_mover
# The access policy's Subject clause ORs over the types registered here: one list of subject types.
policy.subject_models_source = lambda: [subject_type.model for subject_type in registry.types()]


def content_type_id(model) -> int:
    """`model`'s content type id. A cold cache is filled for every subject type at once (one query), so a
    page's query count does not depend on which type it met first."""
    try:
        return ContentType.objects._get_from_cache(model._meta).pk
    except KeyError:
        ContentType.objects.get_for_models(*(t.model for t in registry.types()), model)
        return ContentType.objects.get_for_model(model).pk


def regarding_models() -> list[type]:
    """The concrete models that derive from `Regarding`."""
    return [model for model in apps.get_models() if issubclass(model, Regarding)]


# --- The link -------------------------------------------------------------------------------------------

class RegardingQuerySet(RecordQuerySet):
    _load_subjects = False

    def regarding(self, subject):
        """The records about `subject` (served by each model's (regarding_type, regarding_id, …) index)."""
        return self.filter(regarding_type_id=content_type_ref(type(subject)), regarding_id=subject.pk)

    def select_related(self, *fields):
        """Aliases (`"lead"`) are generic links: the subjects are loaded after the rows, one query per type
        other than the account (see `load_subjects`); the other names are joined."""
        aliases = registry.aliases()
        kept = [name for name in fields if name is None or name.split("__")[0] not in aliases]
        if len(kept) == len(fields):
            return super().select_related(*fields)
        queryset = super().select_related(*kept, "regarding_type")
        queryset._load_subjects = True
        return queryset

    def bulk_create(self, objs, *args, **kwargs):
        """Like save(), keeps each row's link and account roll-up together (`settle`)."""
        objs = list(objs)
        for record in objs:
            settle(record)
        return super().bulk_create(objs, *args, **kwargs)

    def _clone(self):
        clone = super()._clone()
        clone._load_subjects = self._load_subjects
        return clone

    def _fetch_all(self):
        loaded = self._result_cache is not None
        super()._fetch_all()
        if self._load_subjects and not loaded and self._result_cache and isinstance(self._result_cache[0], Regarding):
            load_subjects(self._result_cache)


class RegardingLiveManager(LiveManager.from_queryset(RegardingQuerySet)):
    pass


class RegardingAllManager(AllRecordsManager.from_queryset(RegardingQuerySet)):
    pass


class Regarding(models.Model):
    """A record about one subject of any registered type; `account` (the model's own field) is kept as the
    subject's account, so account pages read one indexed column.

    Declare an index on ("regarding_type", "regarding_id", …) in the model's Meta: it serves the subject's
    page ("the activities of this deal") and the access rule."""

    regarding_type = models.ForeignKey(
        ContentType, verbose_name=_("regarding (type)"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", editable=False,
    )
    regarding_id = models.PositiveBigIntegerField(_("regarding"), null=True, blank=True, editable=False)
    regarding = GenericForeignKey("regarding_type", "regarding_id")

    objects = RegardingLiveManager()
    all_objects = RegardingAllManager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        settle(self)
        super().save(*args, **kwargs)

    @property
    def subject_type(self) -> SubjectType | None:
        return registry.of(subject_model(self)) if self.regarding_type_id else None


def subject_model(record):
    """The model of `record`'s subject, or None; no query when `regarding_type` was selected with the row
    (its content type then joins Django's cache) or is cached."""
    if record.regarding_type_id is None:
        return None
    content_type = record._meta.get_field("regarding_type").get_cached_value(record, None)
    if content_type is not None:
        ContentType.objects._add_to_cache(record._state.db or "default", content_type)
    else:
        content_type = ContentType.objects.get_for_id(record.regarding_type_id)
    return content_type.model_class()


def load_subjects(records) -> None:
    """Fill each record's `regarding`: records about their own account get the account already selected
    with them; the others one query per subject type."""
    link = None
    wanted = defaultdict(list)
    for record in records:
        link = link or record._meta.get_field("regarding")
        model = subject_model(record)
        if model is None:
            link.set_cached_value(record, None)
            continue
        account_field = record._meta.get_field("account")
        subject_type = registry.of(model)
        if (subject_type is not None and subject_type.is_account and record.regarding_id == record.account_id
                and account_field.is_cached(record)):
            link.set_cached_value(record, account_field.get_cached_value(record))
            continue
        wanted[model].append(record)
    for model, about in wanted.items():
        found = model._base_manager.in_bulk({record.regarding_id for record in about})
        for record in about:
            link.set_cached_value(record, found.get(record.regarding_id))


def mark_regarding_visible(records, user, name: str = "regarding_visible") -> list:
    """Set `name` on each record: whether `user` may see its subject (one query per subject type), so a page
    names the subject only when the viewer may open it. Load the subjects first (`load_subjects`)."""
    records = list(records)
    wanted = defaultdict(set)
    for record in records:
        model = subject_model(record)
        if model is not None:
            wanted[model].add(record.regarding_id)
    visible = {
        model: set(model.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
        for model, ids in wanted.items()
    }
    for record in records:
        model = subject_model(record)
        setattr(record, name, model is not None and record.regarding_id in visible[model])
    return records


def readable_changes(stored: Regarding, record: Regarding, changes: list[dict]) -> list[dict]:
    """History entries with the two columns of the link (`regarding_type`, `regarding_id`) told as one change
    of subject, named by its type ("opportunity: Flota 2026 → ") like the foreign keys it replaced. May
    query the subjects."""
    link = {"regarding_type", "regarding_id"}
    if not any(change["field"] in link for change in changes):
        return changes
    before, after = stored.regarding, record.regarding
    kinds = {type(subject) for subject in (before, after) if subject is not None}
    label = kinds.pop()._meta.verbose_name if len(kinds) == 1 else record._meta.get_field("regarding_id").verbose_name
    return [change for change in changes if change["field"] not in link] + [{
        "field": "regarding", "label": str(label),
        "old": str(before) if before is not None else "", "new": str(after) if after is not None else "",
    }]


def attach(record: Regarding, subject) -> None:
    """Make `record` regard `subject`, its account following (may query the subject's account)."""
    record.regarding = subject
    subject_type = registry.of(type(subject))
    if subject_type is not None and subject_type.account_field is not None:
        record.account_id = subject_type.account_id_of(subject)


def settle(record: Regarding) -> None:
    """Keep the link and the account roll-up together before a save:

    - a record about nothing yet is about its account;
    - a record about an account has that account (the `account` column decides: it is what forms change);
    - a record about another subject has the subject's account, read from the subject when it was given
      as an object, or fetched when the account is empty (ids set directly must keep the two consistent:
      `attach` and `move` do)."""
    account_type = registry.account_type()
    if account_type is None:
        return
    if record.regarding_type_id is None:
        if record.account_id is not None:
            record.regarding_type_id, record.regarding_id = account_type.content_type_id, record.account_id
        return
    subject_type = record.subject_type
    if subject_type is None or subject_type.account_field is None:
        return
    if subject_type.is_account:
        if record.account_id is not None:
            record.regarding_id = record.account_id
        else:
            record.account_id = record.regarding_id
        return
    cached = record._meta.get_field("regarding").get_cached_value(record, None)
    if cached is not None and cached.pk == record.regarding_id:
        record.account_id = subject_type.account_id_of(cached) or record.account_id
    elif record.account_id is None and record.regarding_id is not None:
        record.account_id = (
            subject_type.model._base_manager.filter(pk=record.regarding_id)
            .values_list(subject_type.account_field, flat=True).first()
        )


class SubjectRelation(GenericRelation):
    """Declared on a subject's model for the records about it: `lead.activities.all()` and, with
    `related_query_name`, `Activity.objects.filter(lead=lead)`. Deleting the subject deletes its records when
    `cascade` (a lead's), else leaves them on their account (a deal's). A generic link other than `regarding`
    names its two columns (`content_type_field="member_type", object_id_field="member_id"`: campaign members)."""

    def __init__(self, to, cascade: bool = True, **kwargs):
        kwargs.setdefault("content_type_field", "regarding_type")
        kwargs.setdefault("object_id_field", "regarding_id")
        self.cascade = cascade
        super().__init__(to, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if not self.cascade:
            kwargs["cascade"] = False
        return name, path, args, kwargs

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        if not self.cascade and not cls._meta.abstract:
            # Only here: a receiver makes Django load every row of a bulk delete to signal it.
            post_delete.connect(_unlink, sender=cls, dispatch_uid=f"vinculo.subjects.unlink.{cls._meta.label_lower}")

    def bulk_related_objects(self, objs, using="default"):
        return super().bulk_related_objects(objs, using) if self.cascade else []


def _unlink(sender, instance, **kwargs):
    """Records still about a deleted subject become about their account (or about nothing)."""
    account_type = registry.account_type()
    for model in regarding_models():
        rows = model._base_manager.filter(regarding_type_id=content_type_id(sender), regarding_id=instance.pk)
        if account_type is not None and sender is not account_type.model:
            rows.filter(account__isnull=False).update(
                regarding_type_id=account_type.content_type_id, regarding_id=models.F("account_id"))
        rows.update(regarding_type=None, regarding_id=None)


class _Alias(property):
    subject_alias = True


def _install_alias(model, subject_type: SubjectType) -> None:
    """`record.<alias>` and `record.<alias>_id`: the subject when it is of this type, else None; setting one
    makes the record about it (None clears the link only if it was of this type)."""
    alias = subject_type.alias
    for name in (alias, f"{alias}_id"):
        current = model.__dict__.get(name)
        # A SubjectRelation's reverse side (a manager of subjects) gives way to the alias.
        replaceable = getattr(current, "subject_alias", False) or isinstance(getattr(current, "rel", None), GenericRel)
        if name in model.__dict__ and not replaceable:
            raise ImproperlyConfigured(f"{model.__name__}.{name} exists: choose another alias for {subject_type}.")

    def is_this_type(record) -> bool:
        return record.regarding_type_id is not None and subject_model(record) is subject_type.model

    def get_object(record):
        return record.regarding if is_this_type(record) else None

    def set_object(record, subject):
        if subject is None:
            if is_this_type(record):
                record.regarding_type, record.regarding_id = None, None
            return
        record.regarding = subject

    def get_id(record):
        return record.regarding_id if is_this_type(record) else None

    def set_id(record, pk):
        if pk is None:
            if is_this_type(record):
                record.regarding_type, record.regarding_id = None, None
            return
        record.regarding_type_id, record.regarding_id = subject_type.content_type_id, pk

    setattr(model, alias, _Alias(get_object, set_object))
    setattr(model, f"{alias}_id", _Alias(get_id, set_id))
    # Model(lead=…) accepts properties only: Options caches their names.
    model._meta.__dict__.pop("_property_names", None)


# --- Moving records when a subject is replaced ----------------------------------------------------------

def move(model, source, target, handover: Handover, extra: dict | None = None) -> list:
    """Re-point `model`'s rows about `source` (recycle bin included) to `target`, with the handover's
    account roll-up, one UPDATE; each moved row gets a history line and, after commit, an update event.
    Returns the moved rows (as they were before the move)."""
    source_type, target_type = content_type_id(type(source)), content_type_id(type(target))
    records = list(model._base_manager.filter(regarding_type_id=source_type, regarding_id=source.pk))
    if not records:
        return records
    by = handover.by if handover.by and handover.by.is_authenticated else None
    at = clock.now()
    model._base_manager.filter(pk__in=[record.pk for record in records]).update(
        regarding_type_id=target_type, regarding_id=target.pk, account=handover.account,
        version=models.F("version") + 1, updated_at=at, updated_by=by, **(extra or {}),
    )
    source_subject = registry.of(type(source))
    name = source_subject.alias if source_subject and source_subject.alias else "regarding"
    account_label = str(model._meta.get_field("account").verbose_name)
    changes = [
        {"field": name, "label": str(type(source)._meta.verbose_name), "old": str(source), "new": ""},
        {"field": "account", "label": account_label, "old": "", "new": str(handover.account)},
    ]
    content_type = content_type_id(model)
    ChangeLog.objects.bulk_create(
        ChangeLog(content_type_id=content_type, object_id=record.pk, action=ChangeLog.Action.UPDATE, user=by, at=at,
                  changes=changes, record_label=str(record)[:300])
        for record in records
    )
    events.emit(*(
        events.Event(kind=events.Kind.UPDATED, record_type=model._meta.label_lower, record_id=record.pk,
                     actor_id=by.pk if by else None, changes=(
                         events.Change("regarding_type", source_type, target_type),
                         events.Change("regarding_id", source.pk, target.pk),
                         events.Change("account", record.account_id, handover.account.pk),
                     ))
        for record in records
    ))
    return records


def move_to_account(handover: Handover, model) -> list:
    """The default mover: the records are about the account from now on."""
    return move(model, handover.source, handover.account, handover)


def hand_over(source, account, by, **targets) -> None:
    """Move every record about `source` to what replaces it (`account`, and by role e.g. contact=…, deal=…),
    through the registered movers."""
    handover = Handover(source=source, account=account, targets=targets, by=by)
    for model, mover in registry.movers():
        mover(handover, model)
