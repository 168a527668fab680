"""One declarative access policy per record type, and what every channel asks it.

A model declares who may see and change its records:

    policy = Policy(
        owner="owner",
        parents=[Parent("account", "accounts.Account")],
        grants=[SalesTeamGrant("sales_team"), TerritoryGrant("territory")],
        field_groups={"financial": FieldGroup(FINANCIAL_FIELDS, permission="accounts.view_financial_data")},
    )

A user sees a record when they are an active admin, or the type's org default is public, or one of the
policy's clauses grants it: the owner and the users above the owner in the role hierarchy, the users who
may see a parent record (a deal inherits its account's visibility), a team or territory grant. Each
clause answers both questions the channels ask:

- `q(user, write, per_row, prefix)`: the SQL filter behind `Model.objects.visible_to(user)` and
  `editable_by(user)`;
- `users(record, write)`: the inverse, as a Q on users: who may see (or edit) this one record — for
  notifications, e-mails and calendar feeds.

So the two always agree; the permission-matrix test (core/tests/test_policy_matrix.py) holds them to it.
Field groups say which fields a permission reveals (`policy.hidden_fields(user)`), for forms, API
schemas, history lines and templates alike.

The kernel names no domain model: parents are model labels resolved when first used, and the clauses
that read organisation or domain tables (territories, sales teams, account teams) live in those apps.
"""

import copy
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.signals import class_prepared

from .access import AccessLevel, access_rule, is_admin, org_default_level, subordinate_ids

# Q objects that match every row and no row. An empty Q() would vanish when OR-ed with another.
EVERYONE = models.Q(pk__isnull=False)
NO_ONE = models.Q(pk__in=[])


def content_type_ref(model):
    """`model`'s content type id for a filter, without a query: the cached id, else a subquery (so a query
    count never depends on what warmed Django's content type cache before)."""
    try:
        # Django's own cache (private, stable since 1.x); a miss is not an error here.
        return ContentType.objects._get_from_cache(model._meta).pk
    except KeyError:
        opts = model._meta
        return models.Subquery(
            ContentType.objects.filter(app_label=opts.app_label, model=opts.model_name).values("pk")[:1])


def any_of(qs) -> models.Q:
    result = NO_ONE
    for q in qs:
        result = q if result is NO_ONE else result | q
    return result


class Clause:
    """One reason a user may see a record. Subclasses answer for both directions."""

    def q(self, user, write: bool, per_row: bool, prefix: str = "") -> models.Q:
        """The records `user` is granted, as a filter on the policy's model (`prefix` applies it to a
        related row instead, e.g. "opportunity__" for a quote's deal)."""
        raise NotImplementedError

    def users(self, record, write: bool) -> models.Q:
        """The users this clause grants `record` to, as a filter on the user model."""
        raise NotImplementedError


@dataclass
class Owner(Clause):
    """The record's owner and every user above the owner in the role hierarchy."""

    field: str = "owner"

    def q(self, user, write, per_row, prefix=""):
        column = f"{prefix}{self.field}_id"
        return models.Q(**{column: user.pk}) | models.Q(**{f"{column}__in": subordinate_ids(user)})

    def line(self, user) -> models.Q:
        """`q` as one IN list of users (the reader and those below): a sum over the owner's index seeks each
        user's rows once, where the OR reads both halves and sets their rows apart (SQLite's MULTI-INDEX OR;
        bench/: a director's year of time entries, ~20% less)."""
        line = get_user_model()._base_manager.filter(models.Q(pk=user.pk) | models.Q(pk__in=subordinate_ids(user)))
        return models.Q(**{f"{self.field}_id__in": line.values("pk")})

    def outside(self, user, model) -> models.Q:
        """The records of `model` whose owner is neither `user` nor below them (or is none): those `q` does
        not grant. Asked from the owner's side (a short list of the other users) so that an index on the
        owner answers it."""
        others = get_user_model()._base_manager.exclude(pk=user.pk).exclude(pk__in=subordinate_ids(user))
        outside = models.Q(**{f"{self.field}_id__in": others.values("pk")})
        if model._meta.get_field(self.field).null:
            outside |= models.Q(**{f"{self.field}__isnull": True})
        return outside

    def users(self, record, write):
        """One query: the owner's role path."""
        owner_id = getattr(record, f"{self.field}_id")
        if owner_id is None:
            return NO_ONE
        role = get_user_model().objects.filter(pk=owner_id).values_list("role_id", "role__path").first()
        above = models.Q(pk=owner_id)
        if role and role[0] is not None:
            # The roles strictly above the owner's are the ids in its path before its own.
            ancestors = [int(part) for part in role[1].strip("/").split("/") if part and int(part) != role[0]]
            if ancestors:
                above |= models.Q(role_id__in=ancestors)
        return above


@dataclass
class Parent(Clause):
    """The record inherits the visibility (and editability) of the record its `field` points at.

    Without `per_row` the database lists every visible parent once (a non-correlated IN list), which
    suits lists over many records; with `per_row` it checks each row's parent on its own (an EXISTS on the
    primary key), much cheaper when the query narrows to a few rows, as the account page's do (bench/:
    50,000 accounts, one list scan of the accounts table costs ~20 ms per query). `join` applies the
    parent's own rule to the joined parent row instead of the IN list, for parents with a large table
    and a cheap rule (a quote's deal: bench/ quote list on 210,000 deals)."""

    field: str
    model: str  # "app_label.Model"
    join: bool = False
    nullable: bool = dataclass_field(default=False, init=False)  # set by `bind`, from the model

    @property
    def parent_model(self):
        return apps.get_model(self.model)

    def q(self, user, write, per_row, prefix=""):
        parent = self.parent_model
        column = f"{prefix}{self.field}"
        if self.join and not per_row:
            policy = parent.policy
            live = models.Q(**{f"{column}__deleted_at__isnull": True})
            if self.nullable:
                live &= models.Q(**{f"{column}__isnull": False})
            if policy.grants_everyone(write):
                return live
            return live & policy.rule(user, write, per_row=False, prefix=f"{column}__")
        parents = parent.objects.editable_by(user) if write else parent.objects.visible_to(user)
        if per_row:
            return models.Q(models.Exists(parents.filter(pk=models.OuterRef(f"{column}_id"))))
        return models.Q(**{f"{column}_id__in": parents.values("pk")})

    def among(self, user, write, rows) -> models.Q:
        """`q` for the records of `rows` (a queryset of the policy's model) alone: the parents they point at,
        checked once each (`pk IN` the list of their ids, read by primary key in order), where `q` checks the
        parent of every row (`join`) or lists every visible parent. Equal to `q` on every row of `rows`."""
        parent = self.parent_model
        parents = parent.objects.editable_by(user) if write else parent.objects.visible_to(user)
        pointed_at = rows.order_by().values(f"{self.field}_id")
        return models.Q(**{f"{self.field}_id__in": parents.filter(pk__in=pointed_at).values("pk")})

    def users(self, record, write):
        """One query for the parent, then the parent's policy's."""
        parent_id = getattr(record, f"{self.field}_id")
        if parent_id is None:
            return NO_ONE
        parent = self.parent_model.objects.filter(pk=parent_id).first()  # a parent in the recycle bin grants nothing
        if parent is None:
            return NO_ONE
        return type(parent).policy.user_q(parent, write)

    def bind(self, model) -> "Parent":
        bound = copy.copy(self)
        bound.nullable = model._meta.get_field(self.field).null
        return bound


def subject_models_source() -> list:
    """The models other records may be about: replaced by core.subjects with its registry's."""
    return []


@dataclass
class Subject(Clause):
    """The record is about any other record (a generic link: a content type and an id) and inherits its
    visibility. `types` are the subject model labels to consider; by default every type registered as a
    subject (`core.subjects.register`, which sets `subject_models_source`)."""

    type_field: str = "regarding_type"
    id_field: str = "regarding_id"
    types: tuple[str, ...] | None = None
    # Subject types another clause already covers (a record's account is a parent of its own): left out,
    # their rules cost SQL to compile on every query and add nothing.
    exclude: tuple[str, ...] = ()

    def subject_models(self):
        if self.types is not None:
            return [apps.get_model(label) for label in self.types]
        excluded = {label.lower() for label in self.exclude}
        return [model for model in subject_models_source() if model._meta.label_lower not in excluded]

    def q(self, user, write, per_row, prefix=""):
        id_column = f"{prefix}{self.id_field}"
        parts = []
        for model in self.subject_models():
            subjects = model.objects.editable_by(user) if write else model.objects.visible_to(user)
            if per_row:
                inherited = models.Q(models.Exists(subjects.filter(pk=models.OuterRef(id_column))))
            else:
                inherited = models.Q(**{f"{id_column}__in": subjects.values("pk")})
            parts.append(models.Q(**{f"{prefix}{self.type_field}_id": content_type_ref(model)}) & inherited)
        return any_of(parts)

    def users(self, record, write):
        """One query for the subject, then the subject's policy's."""
        type_id, subject_id = getattr(record, f"{self.type_field}_id"), getattr(record, self.id_field)
        if type_id is None or subject_id is None:
            return NO_ONE
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None or model not in self.subject_models():
            return NO_ONE
        subject = model.objects.filter(pk=subject_id).first()
        if subject is None:
            return NO_ONE
        return model.policy.user_q(subject, write)


@dataclass
class ReadOnly(Clause):
    """`clause` grants reading only: a task's readers are whoever may see its subject, its editors only the
    people named on it."""

    clause: Clause

    def q(self, user, write, per_row, prefix=""):
        return NO_ONE if write else self.clause.q(user, write, per_row, prefix)

    def users(self, record, write):
        return NO_ONE if write else self.clause.users(record, write)


@dataclass
class PermissionGrant(Clause):
    """Every record of the type, to the users holding `permission` (e.g. catalogue managers)."""

    permission: str

    def q(self, user, write, per_row, prefix=""):
        return EVERYONE if user.has_perm(self.permission) else NO_ONE

    def users(self, record, write):
        users = get_user_model().objects.with_perm(self.permission, backend=permission_backend())
        return models.Q(pk__in=users.values("pk"))


def permission_backend() -> str:
    """The authentication backend that answers "who holds this permission" (ModelBackend): Django asks
    which one when several are configured (the sign-in guard comes first)."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    for path in settings.AUTHENTICATION_BACKENDS:
        if hasattr(import_string(path), "with_perm"):
            return path
    raise LookupError("No authentication backend answers with_perm.")


@dataclass
class FieldGroup:
    """Fields only users with `permission` may read (and so write). `restricted`, when given, is asked
    whether the organisation restricts the group at all (invoice amounts are an org choice)."""

    fields: tuple[str, ...]
    permission: str
    restricted: object = None  # a callable returning bool, or None for "always"

    def readable_by(self, user) -> bool:
        if self.restricted is not None and not self.restricted():
            return True
        return bool(user and user.has_perm(self.permission))


@dataclass
class Policy:
    """Who may see and change the records of one type; see the module's docstring.

    `level` fixes the access level instead of reading the type's org default (the catalogue is public
    read-only whatever the organisation says). `subject` marks a type other records may be about."""

    owner: str | None = None
    parents: list = dataclass_field(default_factory=list)
    grants: list = dataclass_field(default_factory=list)
    field_groups: dict = dataclass_field(default_factory=dict)
    level: str | None = None
    model: type | None = None

    def bind(self, model) -> "Policy":
        if self.owner:
            model._meta.get_field(self.owner)  # a misspelt owner field fails when the model loads
        bound = copy.copy(self)
        bound.model = model
        bound.parents = [p.bind(model) if hasattr(p, "bind") else p for p in self.parents]
        return bound

    @property
    def clauses(self) -> list[Clause]:
        # In this order the SQL is the one the bench tuned: the owner's line, then grants, then parents.
        return ([Owner(self.owner)] if self.owner else []) + list(self.grants) + list(self.parents)

    # The access level and the SQL filter.

    def access_level(self) -> str:
        return self.level or org_default_level(self.model._meta.label_lower)

    def grants_everyone(self, write: bool) -> bool:
        """Whether the access level alone lets every active user read (or, with `write`, change) every record."""
        level = self.access_level()
        return level == AccessLevel.PUBLIC_READ_WRITE or (not write and level == AccessLevel.PUBLIC_READ)

    def rule(self, user, write: bool, per_row: bool = False, prefix: str = "") -> models.Q:
        """What a non-admin is granted beyond the access level: the OR of the clauses."""
        return any_of(clause.q(user, write, per_row, prefix) for clause in self.clauses)

    def filter(self, queryset, user, write: bool = False, per_row: bool = False):
        """`queryset` cut to the records `user` may see (or, with `write`, change)."""
        if not (user and user.is_authenticated and user.is_active):
            return queryset.none()
        if is_admin(user) or self.grants_everyone(write):
            return queryset
        return queryset.filter(access_rule(queryset.model, user, write, per_row))

    def parts(self, queryset, user, write: bool = False, until_covered: bool = False) -> list:
        """`queryset` cut to the records `user` may see (or change), as disjoint querysets, one per clause
        (the records of a clause less those of the clauses before it): their union is `filter`'s. A sum
        over a large table asks each part with its own plan — the owner's line from an index on the owner,
        the rest through the parents' rules — where the one OR of every clause would read each row's
        parent (bench/: a year of time entries). A parent's part asks its rule once per parent its rows
        point at (`Parent.among`), not once per row.

        With `until_covered`, when the first clause is the owner's and no row of `queryset` lies outside the
        owner's line (one query, answered from an index on the owner), that line's part is the only one:
        the later clauses could grant nothing more, and their rules cost more to build than the query (a
        task's: seven subject types; bench/: a director's year of time entries)."""
        if not (user and user.is_authenticated and user.is_active):
            return []
        if is_admin(user) or self.grants_everyone(write):
            return [queryset]
        parts, earlier = [], []
        for index, clause in enumerate(self.clauses):
            rest = queryset
            for before in earlier:
                rest = rest.exclude(before)
            # On the rows the earlier parts left, `among` grants what `q` grants; `line` is `q` itself.
            if isinstance(clause, Parent):
                granted = clause.among(user, write, rest)
            elif isinstance(clause, Owner):
                granted = clause.line(user)
            else:
                granted = clause.q(user, write, False)
            parts.append(rest.filter(granted))
            earlier.append(granted)
            if (until_covered and index == 0 and isinstance(clause, Owner) and len(self.clauses) > 1
                    and not queryset.filter(clause.outside(user, queryset.model)).exists()):
                break
        return parts

    # The inverse: who may see one record.

    def user_q(self, record, write: bool = False) -> models.Q:
        """The users who may see (or change) `record`, as a filter on the user model; activity not included.
        Runs a few small queries (the owner's role, each parent)."""
        if self.grants_everyone(write):
            return EVERYONE
        return models.Q(is_superuser=True) | any_of(clause.users(record, write) for clause in self.clauses)

    def users_who_may_see(self, record):
        """The active users for whom `record` is in `visible_to` (whatever its recycle-bin state)."""
        return get_user_model().objects.filter(is_active=True).filter(self.user_q(record, write=False))

    def users_who_may_edit(self, record):
        return get_user_model().objects.filter(is_active=True).filter(self.user_q(record, write=True))

    # Field groups.

    def can_read(self, user, group: str) -> bool:
        return self.field_groups[group].readable_by(user)

    def hidden_fields(self, user) -> tuple[str, ...]:
        """The fields of the groups `user` may not read, in declaration order."""
        return tuple(name for group in self.field_groups.values() if not group.readable_by(user)
                     for name in group.fields)

    def readable_fields(self, user) -> list[str]:
        hidden = set(self.hidden_fields(user))
        return [f.name for f in self.model._meta.concrete_fields if f.name not in hidden]


# Every concrete model with a policy, bound to it: "every registered record type".
registry: dict[type, Policy] = {}


def _bind_policy(sender, **kwargs):
    declared = getattr(sender, "policy", None)
    if isinstance(declared, Policy) and not sender._meta.abstract:
        bound = declared.bind(sender)
        sender.policy = bound
        registry[sender] = bound


class_prepared.connect(_bind_policy, dispatch_uid="vinculo.core.policy")


def group_permissions(group: str) -> set[str]:
    """The permissions that reveal the field group named `group` ("financial") on the types declaring one."""
    return {policy.field_groups[group].permission for policy in registry.values() if group in policy.field_groups}


def policy_for(model_or_record) -> Policy:
    model = model_or_record if isinstance(model_or_record, type) else type(model_or_record)
    return registry[model._meta.concrete_model]
