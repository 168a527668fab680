"""Pages for saved list views: saving the current view from a list's views menu, changing or deleting one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vinculo.core import lists
from vinculo.org.models import Role, SalesTeam

from . import saved_views
from .models import Visibility, saved_views_for


def _next(request, default: str) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return default


def _list_url(list_key: str) -> str:
    entry = lists.registry.get(list_key)
    return reverse(entry.url_name) if entry else reverse("reports:list")


def _errors(exc: ValidationError) -> str:
    return " ".join(message for messages_ in exc.message_dict.values() for message in messages_)


def _sharing(request) -> dict:
    """Whom to share with, from the view page's fields or the views menu's one choice ("team:3", "role:2")."""
    kind, _sep, pk = request.POST.get("share", "").partition(":")
    if kind in (Visibility.TEAM, Visibility.ROLE):
        return {"visibility": kind, "team": pk if kind == Visibility.TEAM else None,
                "role": pk if kind == Visibility.ROLE else None}
    if kind:
        return {"visibility": kind, "team": None, "role": None}
    return {"visibility": request.POST.get("visibility", Visibility.PRIVATE),
            "team": request.POST.get("team") or None, "role": request.POST.get("role") or None}


@login_required
@require_POST
def save(request):
    """Save the list's current filters, sort and columns (from the views menu), then show the list through it."""
    filters, sort, columns = saved_views.parse_query(request.POST.get("query", ""))
    chosen = [name for name in request.POST.get("columns", "").split(",") if name]
    list_key = request.POST.get("list_key", "")
    back = _next(request, _list_url(list_key))
    try:
        view = saved_views.create_view(request.user, {
            "list_key": list_key, "name": request.POST.get("name", ""), "filters": filters, "sort": sort,
            "columns": chosen or columns, **_sharing(request)})
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        query = request.POST.get("query", "")
        return redirect(f"{back}?{query}" if query else back)
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    query = view.query()
    return redirect(f"{back}?{query}" if query else back)


@login_required
def edit(request, pk):
    """Rename a view or change whom it is shared with; delete it. Its owner or an administrator only."""
    view = get_object_or_404(saved_views_for(request.user).select_related("team", "role"), pk=pk)
    if not view.editable_by(request.user):
        raise PermissionDenied
    back = _next(request, _list_url(view.list_key))
    error = None
    if request.method == "POST":
        try:
            saved_views.update_view(view, request.user, {"name": request.POST.get("name", ""), **_sharing(request)})
        except ValidationError as exc:
            error = _errors(exc)
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
            query = view.query()
            return redirect(f"{back}?{query}" if query else back)
    entry = lists.registry.get(view.list_key)
    return render(request, "reports/views/edit.html", {
        "view": view, "error": error, "next": back, "list_label": entry.label if entry else view.list_key,
        "visibility_choices": [(v, label) for v, label in Visibility.choices if v != Visibility.USERS
                               or view.visibility == Visibility.USERS],
        "teams": SalesTeam.objects.all(), "roles": Role.objects.all(),
    })


@login_required
@require_POST
def delete(request, pk):
    view = get_object_or_404(saved_views_for(request.user), pk=pk)
    saved_views.delete_view(view, request.user)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect(_next(request, _list_url(view.list_key)))
