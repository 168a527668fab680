"""The privacy model, in one place: which records of a type a user may see or edit, as a SQL filter.

Access to a record = the org-wide default for its type, or ownership, or owning user below the
viewer in the role hierarchy, or whatever extra rule the model adds (account team, sales team,
territory, parent account). Admins see all. Every channel (pages, API, search, exports…) starts
from `Model.objects.visible_to(user)` or `editable_by(user)`; none re-implements the rules.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.apps import apps
from django.db import models


class AccessLevel(models.TextChoices):
    PRIVATE = "private", "Private"
    PUBLIC_READ = "public_read", "Public read only"
    PUBLIC_READ_WRITE = "public_read_write", "Public read/write"


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


def org_default(model) -> str:
    OrgDefault = apps.get_model("org", "OrgDefault")
    return OrgDefault.level_for(model._meta.label_lower)


def subordinate_ids(user):
    """A subquery of the ids of users strictly below `user` in the role hierarchy."""
    User = apps.get_model("org", "User")
    role = user.role
    if role is None:
        return User.objects.none().values("id")
    return User.objects.filter(role__path__startswith=role.path).exclude(role_id=role.pk).values("id")


def owned_by_user_or_subordinates(user, owner_field: str = "owner") -> models.Q:
    return models.Q(**{f"{owner_field}_id": user.pk}) | models.Q(**{f"{owner_field}_id__in": subordinate_ids(user)})


def related_access_rule(model_label: str, user, write: bool, per_row: bool, field: str):
    """Records whose `field` points at a `model_label` record that `user` may see (or, with `write`, edit).

    Without `per_row` the database lists every such parent once, which suits lists over many records. With
    `per_row` it checks each row's parent on its own (an EXISTS on the primary key): much cheaper when the
    query narrows to a few rows, as the account page's do (bench/: 50,000 accounts, one list scan of the
    accounts table costs ~20 ms per query)."""
    model = apps.get_model(model_label)
    parents = model.objects.editable_by(user) if write else model.objects.visible_to(user)
    if per_row:
        return models.Q(models.Exists(parents.filter(pk=models.OuterRef(field))))
    return models.Q(**{f"{field}__in": parents.values("pk")})


def account_access_rule(user, write: bool, per_row: bool, field: str = "account_id") -> models.Q:
    """Records whose account `user` may see (or, with `write`, edit)."""
    return related_access_rule("accounts.Account", user, write, per_row, field)


# The rules built during the current request: (record type, user id, write, per_row) → Q. None outside one.
_request_rules: ContextVar[dict | None] = ContextVar("vinculo_access_rules", default=None)


@contextmanager
def rules_built_once():
    """Within this block (a request: see `core.middleware`), each record type's rule is built once per user,
    however many queries filter by it; the account page asks for the same few rules a dozen times. The rules
    are lazy SQL, so they stay right while records change; only the user's own role is read when built."""
    token = _request_rules.set({})
    try:
        yield
    finally:
        _request_rules.reset(token)


def access_rule(model, user, write: bool, per_row: bool) -> models.Q:
    """`model.access_rule(...)`, built once per request (see `rules_built_once`)."""
    rules = _request_rules.get()
    if rules is None:
        return model.access_rule(user, write=write, per_row=per_row)
    key = (model, user.pk, write, per_row)
    if key not in rules:
        rules[key] = model.access_rule(user, write=write, per_row=per_row)
    return rules[key]


class RecordQuerySet(models.QuerySet):
    """`per_row`: see `account_access_rule`; use it when the query already narrows to a few rows."""

    def visible_to(self, user, per_row: bool = False):
        if not (user and user.is_authenticated and user.is_active):
            return self.none()
        if is_admin(user) or org_default(self.model) != AccessLevel.PRIVATE:
            return self
        return self.filter(access_rule(self.model, user, write=False, per_row=per_row))

    def editable_by(self, user, per_row: bool = False):
        if not (user and user.is_authenticated and user.is_active):
            return self.none()
        if is_admin(user) or org_default(self.model) == AccessLevel.PUBLIC_READ_WRITE:
            return self
        return self.filter(access_rule(self.model, user, write=True, per_row=per_row))

    def deleted(self):
        return self.filter(deleted_at__isnull=False)


def can_edit(user, record) -> bool:
    """One query: whether `user` may change `record`."""
    return type(record).all_objects.editable_by(user, per_row=True).filter(pk=record.pk).exists()


def require_edit(user, record) -> None:
    """PermissionDenied unless `user` may change `record`: the check every write service starts with."""
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    if not can_edit(user, record):
        raise PermissionDenied(_("You may read this record but not change it."))


def get_for_user(queryset_or_model, user, pk, write: bool = False):
    """The record `pk` if `user` may see it (404 otherwise, like a missing one); PermissionDenied on
    `write=True` when the user may only read it."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    queryset = queryset_or_model if isinstance(queryset_or_model, models.QuerySet) else queryset_or_model.objects.all()
    try:
        record = queryset.visible_to(user, per_row=True).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No {queryset.model._meta.verbose_name} matches the given query.") from None
    if write and not can_edit(user, record):
        raise PermissionDenied
    return record
