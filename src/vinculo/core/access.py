"""The privacy model's kernel: access levels, the org-wide default per record type, the role hierarchy,
and `RecordQuerySet`, whose `visible_to(user)` / `editable_by(user)` every channel (pages, API, search,
exports…) starts from. What each record type grants is declared once, in its `policy`
(`core.policy.Policy`); none of the channels re-implements it. Admins see all.
"""

import contextlib
import contextvars

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import models
from django.utils.translation import gettext_lazy


class AccessLevel(models.TextChoices):
    PRIVATE = "private", "Private"
    PUBLIC_READ = "public_read", "Public read only"
    PUBLIC_READ_WRITE = "public_read_write", "Public read/write"


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


# --- The org-wide default level per record type ---------------------------------------------------------
#
# Kept in the cache every worker shares (settings.CACHES: a database table, or Redis), which a save of a
# default clears, so a change applies to the next request of every worker at once; a cache per process
# would keep serving the old level until it expired. Within one request (`access_scope`, opened by
# `AccessScopeMiddleware`; background tasks open their own) the levels are read from it once.

ORG_DEFAULTS_CACHE_KEY = "vinculo:org-defaults"

# Where the levels come from: set by the org app, which owns the table (a callable → {"app.model": level}).
org_defaults_source = None

_scope: contextvars.ContextVar = contextvars.ContextVar("vinculo_org_defaults", default=None)


def _shared_org_defaults() -> dict:
    if org_defaults_source is None:  # before the apps are ready: nothing to read yet, and nothing to keep
        return {}
    levels = cache.get(ORG_DEFAULTS_CACHE_KEY)
    if levels is None:
        levels = org_defaults_source()
        cache.set(ORG_DEFAULTS_CACHE_KEY, levels, 300)
    return levels


def org_default_levels() -> dict:
    """{"app_label.model": level} for the types with a default set: once per request (a cache read)."""
    scope = _scope.get()
    if scope is None:
        return _shared_org_defaults()
    if "levels" not in scope:
        scope["levels"] = _shared_org_defaults()
    return scope["levels"]


def org_default_level(record_type: str) -> str:
    """The org-wide default of "app_label.model"; types without one are private."""
    return org_default_levels().get(record_type, AccessLevel.PRIVATE)


def org_default(model) -> str:
    return org_default_level(model._meta.label_lower)


def forget_org_defaults() -> None:
    """After a default changes: every worker reads the table again."""
    cache.delete(ORG_DEFAULTS_CACHE_KEY)
    scope = _scope.get()
    if scope is not None:
        scope.pop("levels", None)


@contextlib.contextmanager
def access_scope():
    """A unit of work (a request, a background task) that reads the org defaults once, as they are now."""
    token = _scope.set({})
    try:
        yield
    finally:
        _scope.reset(token)


class AccessScopeMiddleware:
    """Every request reads the org-wide defaults once, as they are when it starts (see `access_scope`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with access_scope():
            return self.get_response(request)


# --- The role hierarchy and the record filters ------------------------------------------------------------

def subordinate_ids(user):
    """A subquery of the ids of users strictly below `user` in the role hierarchy."""
    User = get_user_model()
    role = user.role
    if role is None:
        return User.objects.none().values("id")
    return User.objects.filter(role__path__startswith=role.path).exclude(role_id=role.pk).values("id")


def access_rule(model, user, write: bool, per_row: bool) -> models.Q:
    """`model.access_rule(...)` (its policy's rule), built once per user within an `access_scope` (a request):
    the account page asks for the same few rules a dozen times. The rules are lazy SQL, so they stay right
    while records change; only the user's own role is read when one is built."""
    scope = _scope.get()
    if scope is None:
        return model.access_rule(user, write=write, per_row=per_row)
    rules = scope.setdefault("rules", {})
    # A stand-in (core.compiled) has a placeholder id whoever it stands for.
    key = (model, user.pk, getattr(user, "stands_for", None), write, per_row)
    if key not in rules:
        rules[key] = model.access_rule(user, write=write, per_row=per_row)
    return rules[key]


# Within this block each rule is built once per user (the name the request middleware's tests use).
rules_built_once = access_scope


class RecordQuerySet(models.QuerySet):
    """`per_row`: see `core.policy.Parent`; use it when the query already narrows to a few rows."""

    def visible_to(self, user, per_row: bool = False):
        return self.model.policy.filter(self, user, write=False, per_row=per_row)

    def editable_by(self, user, per_row: bool = False):
        return self.model.policy.filter(self, user, write=True, per_row=per_row)

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


# What every channel prints in place of a related record its reader may not see (a history line, a PDF,
# a form choice kept from an earlier edit).
HIDDEN_RECORD = gettext_lazy("a record you cannot see")


def has_policy(model) -> bool:
    """Whether `model`'s records are guarded by an access policy (users, stages, products… are not)."""
    from .policy import registry

    return model._meta.concrete_model in registry


def visible_ids(user, model, ids) -> set:
    """The ids among `ids` of `model`'s records that `user` may see, records in the recycle bin included
    (their name may be shown where the live ones' would be): one query, none for an admin or a type
    without a policy (for which every id counts as visible)."""
    ids = {pk for pk in ids if pk is not None}
    if not ids or not has_policy(model) or is_admin(user):
        return ids
    manager = getattr(model, "all_objects", model._default_manager)
    return set(manager.visible_to(user, per_row=True).filter(pk__in=ids).values_list("pk", flat=True))


def may_see(user, record) -> bool:
    """Whether `user` may see `record`, a related record about to be rendered (a quote's account or
    contact in its PDF): the question every rendering of a record reached through another asks. One
    query at most; False for None."""
    if record is None:
        return False
    return record.pk in visible_ids(user, type(record), [record.pk])


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
