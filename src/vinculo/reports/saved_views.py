"""Saved views of the list pages: saving a list's current filters, columns and sort under a name, changing
and deleting one (its owner or an administrator only), and the views menu every registered list shows
(core.lists.views_menu). One set of rules for the pages and the API."""

from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, router, transaction
from django.db.models import CharField, Value
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _

from vinculo.core import compiled, lists
from vinculo.org.models import Role, SalesTeam

from .models import SavedView, Visibility, saved_views_for

# Query parameters that are not part of a view: where the page is, how it counts.
NOT_SAVED = {"page", "count", "sort", "cols", "csrfmiddlewaretoken"}
MAX_FILTERS = 30
MAX_VALUES = 50
MAX_VALUE_LENGTH = 200


def parse_query(query_string: str) -> tuple[dict, str, list[str]]:
    """A list's query string as a view's filters, sort and columns; empty values left out."""
    query = QueryDict(query_string or "")
    filters = {}
    for key in query:
        values = [value for value in query.getlist(key) if value.strip()]
        if key not in NOT_SAVED and values:
            filters[key] = values
    columns = [name for name in query.get("cols", "").split(",") if name]
    return filters, query.get("sort", ""), columns


def _clean_filters(filters) -> dict:
    if not isinstance(filters, dict) or len(filters) > MAX_FILTERS:
        raise ValidationError({"filters": [_("Filters must be at most %(count)d parameters, each a list of "
                                              "values.") % {"count": MAX_FILTERS}]})
    cleaned = {}
    for key, values in filters.items():
        values = values if isinstance(values, list) else [values]
        if (not isinstance(key, str) or not key or len(key) > 60 or key in NOT_SAVED or len(values) > MAX_VALUES
                or any(not isinstance(value, str | int | float) or isinstance(value, bool)
                       or len(str(value)) > MAX_VALUE_LENGTH for value in values)):
            raise ValidationError({"filters": [_("The filter “%(name)s” is not a list of short values.")
                                               % {"name": str(key)[:60]}]})
        cleaned[key] = [str(value) for value in values if str(value).strip()]
    return {key: values for key, values in cleaned.items() if values}


def _clean_columns(columns) -> list[str]:
    if not isinstance(columns, list) or len(columns) > 50 or any(
            not isinstance(name, str) or not name or len(name) > 60 or "," in name for name in columns):
        raise ValidationError({"columns": [_("Columns must be a list of column names.")]})
    return columns


def apply_sharing(item, values: dict) -> None:
    """Set whom `item` (a SavedView or SavedReport) is shared with from `values` (visibility, team, role ids);
    ValidationError names the field at fault. Users are set after saving (`share_with_users`)."""
    if "visibility" in values:
        if values["visibility"] not in Visibility.values:
            raise ValidationError({"visibility": [_("Choose whom to share it with: only me, chosen users, a team, a role or everyone.")]})
        item.visibility = values["visibility"]
    for name, model in (("team", SalesTeam), ("role", Role)):
        if name in values:
            value = values[name]
            if value in (None, ""):
                setattr(item, name, None)
            else:
                found = model.objects.filter(pk=value).first() if str(value).isdigit() else None
                if found is None:
                    raise ValidationError({name: [_("There is no such %(what)s.")
                                                  % {"what": model._meta.verbose_name}]})
                setattr(item, name, found)
    item.clean_sharing()
    if item.visibility == Visibility.USERS and "users" not in values and not item.pk:
        raise ValidationError({"users": [_("Choose the users to share with.")]})


def chosen_users(values: dict):
    """The active users named in values["users"] (None when not given); ValidationError for any other id."""
    ids = values.get("users")
    if ids is None:
        return None
    found = list(get_user_model().objects.filter(pk__in=ids, is_active=True))
    if len(found) != len(set(ids)):
        raise ValidationError({"users": [_("Each user must be an active user.")]})
    return found


def share_with_users(item, users) -> None:
    """After saving `item`: its chosen users, kept only while it is shared with chosen users."""
    if item.visibility != Visibility.USERS:
        item.users.clear()
    elif users is not None:
        item.users.set(users)


def _apply(view: SavedView, values: dict) -> SavedView:
    if "name" in values:
        name = (values["name"] or "").strip()
        if not name:
            raise ValidationError({"name": [_("Give the view a name.")]})
        if len(name) > 100:
            raise ValidationError({"name": [_("The name is at most 100 characters.")]})
        view.name = name
    if "list_key" in values:
        if values["list_key"] not in lists.registry:
            raise ValidationError({"list_key": [_("There is no such list.")]})
        view.list_key = values["list_key"]
    if "filters" in values:
        view.filters = _clean_filters(values["filters"] or {})
    if "columns" in values:
        view.columns = _clean_columns(values["columns"] or [])
    if "sort" in values:
        sort = values["sort"] or ""
        if not isinstance(sort, str) or len(sort) > 60:
            raise ValidationError({"sort": [_("The sort is a column name, “-” before it for descending.")]})
        view.sort = sort
    apply_sharing(view, values)
    return view


@transaction.atomic
def create_view(user, values: dict) -> SavedView:
    """Save a view for `user`; `values` names list_key, name, filters, columns, sort and the sharing fields
    (visibility, team, role, users). ValidationError names the field at fault."""
    for required in ("list_key", "name"):
        values.setdefault(required, "")
    view = _apply(SavedView(owner=user), values)
    users = chosen_users(values)
    view.save()
    share_with_users(view, users)
    return view


@transaction.atomic
def update_view(view: SavedView, user, values: dict) -> SavedView:
    """Change a view: its owner or an administrator only (PermissionDenied otherwise)."""
    if not view.editable_by(user):
        raise PermissionDenied
    _apply(view, values)
    users = chosen_users(values)
    view.save()
    share_with_users(view, users)
    return view


def delete_view(view: SavedView, user) -> None:
    if not view.editable_by(user):
        raise PermissionDenied
    view.delete()


def _same(a: QueryDict, b: QueryDict) -> bool:
    def items(query):
        return sorted((key, value) for key in query if key not in ("page", "count") for value in query.getlist(key))
    return items(a) == items(b)


def _teams_and_role(user, _record):
    """(kind, id, name) of the user's teams (kind "") and role ("role"), in that order and by name."""
    kind = Value("", output_field=CharField())
    teams = SalesTeam.objects.filter(memberships__user=user).annotate(kind=kind)
    role = Role.objects.filter(pk=user.role_id).annotate(kind=Value("role", output_field=CharField()))
    both = teams.order_by().values_list("kind", "pk", "name").union(role.order_by().values_list("kind", "pk", "name"))
    return both.order_by("kind", "name")


def menu(request, entry: lists.ListEntry, query: QueryDict, columns: list[str]) -> dict:
    """The views menu of a list page: the list's predefined views, the saved views the user may open (theirs
    first), and the form saving the current filters, columns and sort. Three queries: the views, the teams and
    the roles to share with."""
    user = request.user
    path = request.path
    # Both queries are on every list page: their SQL is compiled once per process (core.compiled).
    saved = compiled.fetch("reports:views-menu:saved", SavedView,
                           lambda user, _record, key: saved_views_for(user, key).select_related("team", "role"),
                           user, 0, values=(entry.key,))
    saved.sort(key=lambda view: (view.owner_id != user.pk, view.name.lower(), view.pk))
    presets = []
    for preset in entry.presets.values():
        preset_query = QueryDict(mutable=True)
        preset_query.update({**preset.query, "preset": preset.slug})
        presets.append({"label": preset.label, "url": f"{path}?{preset_query.urlencode()}",
                        "current": query.get("preset") == preset.slug})
    views = []
    for view in saved:
        view_query = view.query()
        views.append({"view": view, "url": f"{path}?{view_query}" if view_query else path,
                      "current": _same(QueryDict(view_query), query), "mine": view.owner_id == user.pk,
                      "editable": view.editable_by(user),
                      "edit_url": f"{reverse('reports:view_edit', args=[view.pk])}?{urlencode({'next': path})}"})
    saving = query.copy()
    for key in ("page", "count", "cols"):
        saving.pop(key, None)
    # Shared from the list with the user's own teams or role (one query for both); other teams and roles from the
    # view's page.
    query, params = compiled.sql("reports:views-menu:share-with", SalesTeam, _teams_and_role, user, 0)
    with connections[router.db_for_read(SalesTeam)].cursor() as cursor:
        cursor.execute(query, params)
        both = cursor.fetchall()
    share_with = [(f"{kind or 'team'}:{pk}", (_("Role %(name)s") if kind else _("Team %(name)s")) % {"name": name})
                  for kind, pk, name in both]
    return {
        "template": "reports/_views_menu.html",
        "presets": presets,
        "views": views,
        "save_url": reverse("reports:view_save"),
        "list_key": entry.key,
        "query": saving.urlencode(),
        "columns": ",".join(columns),
        "next": path,
        "share_choices": [(Visibility.PRIVATE.value, Visibility.PRIVATE.label), *share_with,
                          (Visibility.EVERYONE.value, Visibility.EVERYONE.label)],
    }
