"""A plain list of organisation settings rows — pipeline stages, sales teams, … — edited on one page by users
who may administer the organisation (others get 403): the rows in a table, a form to add one or change the one
chosen, and a delete that a row still in use refuses with the reason. Every change is in the row's history.

An app describes its list with a SettingsList in its own module, adds `settings_list.urls()` to its URLs and
registers the page in the navigation from its AppConfig.ready(); the org app never imports it."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import models
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import people
from .admin_views import require_admin
from .people import delete_unless_in_use


@dataclass
class Column:
    label: str
    value: Callable[[models.Model], object]


@dataclass
class SettingsList:
    name: str  # the URL names' stem: "stage" → <app>:stage_settings, stage_settings_edit, stage_settings_delete
    namespace: str
    model: type[models.Model]
    form_class: type
    title: str
    intro: str = ""
    columns: list[Column] = field(default_factory=list)
    # Why a row may not be deleted (it is in use), or None. Runs the queries it needs.
    in_use: Callable[[models.Model], str | None] = lambda record: None
    queryset: Callable[[], models.QuerySet] | None = None
    # A model permission that also opens the page (administrators hold it through org.permissions); empty: only
    # administrators of the organisation.
    permission: str = ""

    def check(self, user) -> None:
        if not (self.permission and user.has_perm(self.permission)):
            require_admin(user)

    def _url(self, suffix: str = "") -> str:
        return f"{self.namespace}:{self.name}_settings{suffix}"

    def rows(self):
        return self.queryset() if self.queryset else self.model.objects.all()

    def urls(self, prefix: str) -> list:
        return [path(f"{prefix}/", self.page, name=f"{self.name}_settings"),
                path(f"{prefix}/<int:pk>/", self.page, name=f"{self.name}_settings_edit"),
                path(f"{prefix}/<int:pk>/delete/", self.delete, name=f"{self.name}_settings_delete")]

    def _render(self, request, form, editing, *, status=200, refused=None):
        return render(request, "org/admin/settings_list.html", {
            "list": self, "rows": [(row, [column.value(row) for column in self.columns]) for row in self.rows()],
            "form": form, "editing": editing, "refused": refused, "list_url": self._url(),
            "edit_url": self._url("_edit"), "delete_url": self._url("_delete"),
            "history": people.history(editing) if editing else (),
        }, status=status)

    def page(self, request, pk=None):
        return login_required(self._page)(request, pk)

    def _page(self, request, pk=None):
        self.check(request.user)
        editing = get_object_or_404(self.model, pk=pk) if pk is not None else None
        form = self.form_class(request.POST or None, instance=editing)
        if request.method == "POST" and form.is_valid():
            record = people.save_structure(form, by=request.user)
            messages.success(request, _("“%(name)s” saved.") % {"name": record})
            return redirect(self._url())
        return self._render(request, form, editing, status=422 if form.errors else 200)

    def delete(self, request, pk):
        return login_required(require_POST(self._delete))(request, pk)

    def _delete(self, request, pk):
        self.check(request.user)
        record = get_object_or_404(self.model, pk=pk)
        refused = delete_unless_in_use(record, self.in_use, by=request.user)
        if refused:
            return self._render(request, self.form_class(instance=record), record, status=409, refused=refused)
        messages.success(request, _("“%(name)s” deleted.") % {"name": record})
        return redirect(self._url())
