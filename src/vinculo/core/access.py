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
