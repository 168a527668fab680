"""The record list pattern shared by every list page: filter, quick search, sort, paginate, choose columns.

A list page is a `RecordListView` subclass naming its model, columns, filter form and templates.
The full page includes the table fragment; htmx requests (filters, sort, pagination, column choice)
get the fragment alone, so both render from one template.
"""

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as default
from itertools import islice

from django import forms
from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections, router
from django.db.models import (
    Case,
    DateTimeField,
    DurationField,
    Exists,
    F,
    Model,
    OuterRef,
    QuerySet,
    Value,
    When,
)
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView
from django_htmx.http import push_url

from . import clock, compiled, search, versioned
from .compiled import mark_visible  # noqa: F401  (the list pages' helper, kept where they import it)
from .forms import LocalDates


def capped_count(queryset, cap: int | None) -> tuple[int, bool]:
    """(count, exact): the rows of `queryset` counted up to `cap` (all with `cap=None`); past it, the cap
    plus one and False. Two queries, one when nothing it reads has changed since it was last counted."""
    if cap is None:
        counted = queryset.order_by()
        return versioned.cached(counted, "count", counted.count), True
    # Without the order: a sliced count keeps it, and would sort every row to count the first ones.
    counted = queryset.order_by()[: cap + 1]
    found = versioned.cached(counted, "count", counted.count)
    return found, found <= cap


class CappedPaginator(Paginator):
    """Counts the rows only up to `cap`, or a page past the one asked for when that is further: on a list of
    250,000 visible rows the exact count costs more than the page of 25 it is shown with. `is_exact` tells
    whether `count` is all of them or the cap plus one (shown as "more than …"); `cap=None` counts them all."""

    def __init__(self, object_list, per_page, *, cap: int | None, number=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        try:
            asked = max(1, int(number))
        except (TypeError, ValueError):
            asked = 1
        self.cap = None if cap is None else max(cap, (asked + 1) * per_page)
        self.is_exact = True

    @cached_property
    def count(self):
        if self.cap is None:
            return super().count
        counter = getattr(self.object_list, "capped_count", None)
        found, self.is_exact = counter(self.cap) if counter else capped_count(self.object_list, self.cap)
        return found

    @property
    def at_least(self) -> int:
        """What the list can say it holds: the exact count, or the cap when there are more."""
        return self.count if self.is_exact else self.cap


@dataclass(frozen=True)
class Preset:
    """A predefined view of a list, shipped in code: query parameters the list's filter form takes, and/or
    `narrow(queryset, user)` for what no filter says ("no activity for 30 days"). Chosen with `?preset=<slug>`."""

    slug: str
    label: object
    query: dict = default(default_factory=dict)
    narrow: Callable | None = None

    def apply(self, queryset, user):
        return self.narrow(queryset, user) if self.narrow else queryset


@dataclass
class ListEntry:
    key: str
    label: object
    url_name: str
    presets: dict[str, Preset] = default(default_factory=dict)


# The lists that take saved and predefined views, by key (RecordListView.list_key). Each app registers its own
# in AppConfig.ready(); the views menu itself is offered by a higher layer (`views_menu_provider`).
registry: dict[str, ListEntry] = {}
views_menu_provider: Callable | None = None


def register(key: str, label, url_name: str, presets: list[Preset] = ()) -> ListEntry:
    entry = registry.setdefault(key, ListEntry(key, label, url_name))
    entry.label, entry.url_name = label, url_name
    for preset in presets:
        entry.presets[preset.slug] = preset
    return entry


def preset_for(list_key: str, slug) -> Preset | None:
    entry = registry.get(list_key)
    return entry.presets.get(slug) if entry and slug else None


def views_menu(request, list_key: str, query, columns=()) -> dict | None:
    """The views menu of a list page (saved and predefined views, saving the current one), or None when the
    list takes no views or no app offers the menu."""
    if list_key not in registry or views_menu_provider is None:
        return None
    return views_menu_provider(request, registry[list_key], query, list(columns))


@dataclass(frozen=True)
class ListAction:
    """A link a list page offers for what it currently lists (an export), grouped in a menu of the toolbar.
    `url(query, columns)` gives its address from the page's query string and its shown columns; it runs no
    query, so the menu costs the page nothing."""

    menu: object
    label: object
    url: Callable


# The actions of each list, by key (RecordListView.list_key); apps above register theirs in AppConfig.ready(),
# so this module never imports them (the exports register "Export": CSV, Excel…).
list_actions: dict[str, list[ListAction]] = {}


def register_action(list_key: str, action: ListAction) -> None:
    list_actions.setdefault(list_key, []).append(action)


def action_menus(list_key: str, query, columns) -> list[dict]:
    """The toolbar menus of a list's registered actions: [{"label", "items": [{"label", "url"}]}], in the
    order registered."""
    menus: dict[str, dict] = {}
    for action in list_actions.get(list_key, ()):
        menu = menus.setdefault(str(action.menu), {"label": action.menu, "items": []})
        menu["items"].append({"label": action.label, "url": action.url(query, list(columns))})
    return list(menus.values())


@dataclass(frozen=True)
class ListQuery:
    """What a list page reads from its request, for a list read without one (an export in the background)."""

    user: object
    GET: object


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    order_by: tuple[str, ...] = ()  # empty: not sortable
    default: bool = True
    always: bool = False  # cannot be hidden (the record's name)


def nearest_first(field: str, moment) -> tuple:
    """Order terms putting first the rows whose `field` lies nearest `moment`, before or after it: what is on
    today, then yesterday's and tomorrow's, and so on outwards."""
    moment = Value(moment, output_field=DateTimeField())
    distance = Case(When(**{f"{field}__gte": moment}, then=F(field) - moment), default=moment - F(field),
                    output_field=DurationField())
    return (distance.asc(),)


def nearest_page(walk, field: str, moment, start: int, size: int) -> list:
    """Rows `start` to `start + size` in the order of `nearest_first`, read as two walks of an index on `field`
    outwards from `moment` — `walk(True, n)`: the first n rows to come, earliest first; `walk(False, n)`: the
    first n past ones, latest first — merged, rather than as a sort of every row by its distance (bench/: the
    director's activity list, 2,275,930 activities, 19 s). Equally near, a row to come goes first."""
    wanted = start + size
    merged = heapq.merge(
        ((getattr(row, field) - moment, 0, position, row) for position, row in enumerate(walk(True, wanted))),
        ((moment - getattr(row, field), 1, position, row) for position, row in enumerate(walk(False, wanted))),
    )
    return [row for *_key, row in islice(merged, start, wanted)]


class ListFilterForm(LocalDates, forms.Form):
    """GET filters of a list. Each field filters on the model field of the same name unless the
    subclass overrides `filter_<name>`; invalid values are ignored rather than failing the page."""

    q = forms.CharField(label=_("Quick search"), required=False, max_length=200)
    # The predefined view chosen (`?preset=`), applied after the filters; set by the list view.
    preset: Preset | None = None

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def apply(self, queryset, skip=()):
        """`queryset` narrowed by every valid filter, less those named in `skip`."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        for name, value in data.items():
            if not self._is_set(name, value) or name in skip:
                continue
            custom = getattr(self, f"filter_{name}", None)
            queryset = custom(queryset, value) if custom else queryset.filter(**{name: value})
        if self.preset is not None:
            queryset = self.preset.apply(queryset, self.user)
        return queryset

    def _is_set(self, name: str, value) -> bool:
        """Whether a filter holds a value: an unticked checkbox holds none (False is what it sends unticked)."""
        if value is False and isinstance(self.fields.get(name), forms.BooleanField):
            return False
        return value not in (None, "", [])

    def filter_q(self, queryset, value):
        return queryset.filter(pk__in=search.matching_ids(queryset.model, value))

    @property
    def set_values(self) -> tuple:
        """The filters set and their values as a query puts them in its SQL (a record by its id, and a tree
        node by its path as well): a key for SQL compiled once for them (core.compiled)."""

        def in_sql(value):
            if isinstance(value, Model):
                return (value._meta.label, value.pk, getattr(value, "path", None))
            if isinstance(value, (list, tuple, QuerySet)):
                return tuple(in_sql(item) for item in value)
            return value

        data = getattr(self, "cleaned_data", {})
        preset = self.preset.slug if self.preset is not None else None
        return (preset, *((name, in_sql(value)) for name, value in sorted(data.items()) if self._is_set(name, value)))

    @property
    def folded_fields(self) -> list:
        """The visible filters besides the quick search: what a phone folds behind the "Filters" button."""
        return [field for field in self.visible_fields() if field.name != "q"]

    @property
    def set_count(self) -> int:
        """How many of the folded filters hold a value, shown on the button that unfolds them."""
        data = getattr(self, "cleaned_data", {})
        return sum(1 for field in self.folded_fields if data.get(field.name) not in (None, "", [], False))

    @property
    def active(self) -> bool:
        return any(self._is_set(name, value) for name, value in getattr(self, "cleaned_data", {}).items())


class CompiledRows:
    """What a list page pages through — a page of its rows, their count — read with SQL compiled once per
    process (core.compiled) for each shape of user, sort and page: a request builds no queryset, where the
    access rules alone took 5–20 ms of Python to build and compile per list page (bench/). The key of a list
    with filters or a predefined view holds the user, the filters, the day and the time zone
    (`RecordListView.compile_key`)."""

    ordered = True  # by the list's sort, ending with the primary key

    def __init__(self, view: "RecordListView"):
        self.view, self.model = view, view.model

    def _name(self, part: str) -> str:
        return f"list:{type(self.view).__module__}.{type(self.view).__qualname__}:{part}"

    def __getitem__(self, window: slice) -> "PageRows":
        """The rows of `window`, read when first used: a list may show others instead (the activity list's
        nearest first)."""
        view = self.view
        start, stop = window.start or 0, window.stop
        # A page's full size even when fewer rows are left (the last page): one compiled query per page number.
        stop = max(stop, start + view.paginate_by)
        per_row = view.page_per_row(start // view.paginate_by + 1)

        def build(user, _record):
            return view.narrow(view.records(user, per_row))[start:stop]

        return PageRows(lambda: compiled.fetch(self._name("page"), self.model, build, view.request.user, 0,
                                               key=(view.sort, start, stop, per_row, *view.compile_key())))

    def capped_count(self, cap: int | None) -> tuple[int, bool]:
        """As `capped_count`: the rows counted up to `cap`, kept until a table the count reads is written."""
        view = self.view

        def build(user, _record):
            # Without the order: a sliced count keeps it, and would sort every row to count the first ones.
            rows = view.narrow(view.records(user, view.per_row)).order_by().values("pk")
            return rows if cap is None else rows[: cap + 1]

        try:
            sql, params = compiled.sql(self._name("count"), self.model, build, view.request.user, 0,
                                       key=(cap, view.per_row, *view.compile_key()))
        except EmptyResultSet:  # filtered on an empty list of ids: nothing to count
            return 0, True
        using = router.db_for_read(self.model)
        sql = f"SELECT COUNT(*) FROM ({sql}) counted"

        def count():
            with connections[using].cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()[0]

        found = versioned.cached_sql(using, sql, params, "count", count)
        return found, cap is None or found <= cap

    def count(self) -> int:
        return self.capped_count(None)[0]


class PageRows(Sequence):
    """A page's rows, fetched by `fetch()` the first time they are used."""

    def __init__(self, fetch: Callable[[], list]):
        self._fetch = fetch

    @cached_property
    def rows(self) -> list:
        return self._fetch()

    def __getitem__(self, index):
        return self.rows[index]

    def __len__(self):
        return len(self.rows)


class RecordListView(LoginRequiredMixin, ListView):
    columns: tuple[Column, ...] = ()
    filter_form_class = ListFilterForm
    default_sort = ""
    # Sorts that are no column's, by name: a method name giving the order terms (the default sort may be one).
    named_sorts: dict[str, str] = {}
    search_placeholder = ""
    # Key under User.list_preferences where this list's column choice is remembered.
    list_key = ""
    fragment_template_name = ""
    select_related: tuple[str, ...] = ()
    paginate_by = settings.VINCULO["PAGE_SIZE"]
    # Check each row's access on its own (see core.policy.Parent): for lists whose pages are
    # cut from many rows and that count them some other way.
    per_row = False
    # What pages through the list: its page and its count, read with SQL compiled once per process.
    rows_class = CompiledRows
    filter_form = None  # bound to the request's filters by read_query()

    @classmethod
    def for_query(cls, user, params) -> "RecordListView":
        """The list as `user` sees it at `?params`, without a request: its filters, view, sort and columns
        (`narrow`, `chosen_columns`) for what reads the list elsewhere, such as its export."""
        view = cls()
        view.setup(ListQuery(user, params))
        return view

    def get(self, request, *args, **kwargs):
        self.read_query()
        self.object_list = self.rows_class(self)
        return self.render_to_response(self.get_context_data())

    def get_queryset(self):
        return self.narrow(self.records(self.request.user, self.per_row))

    def records(self, user, per_row: bool):
        """The records `user` may see, before the filters."""
        queryset = self.model.objects.visible_to(user, per_row=per_row)
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return queryset

    def page_per_row(self, number: int) -> bool:
        """Whether page `number` is read checking each row's access on its own (`per_row`)."""
        return self.per_row

    def read_query(self):
        """The request's filters (the filter form, validated, and the predefined view) and its sort."""
        self.filter_form = self.filter_form_class(self.request.GET, user=self.request.user)
        self.filter_form.preset = preset_for(self.list_key, self.request.GET.get("preset"))
        self.filter_form.is_valid()
        self.sort = self._sort_param()

    def compile_key(self) -> tuple:
        """What makes this list's SQL another for the same shape of user (core.compiled): nothing without
        filters; with filters or a predefined view, the user, their values, the day and the time zone, since a
        filter may put in it values it read as this user, and a day's bounds in their time zone."""
        form = self.filter_form
        if not (form.active or form.preset is not None):
            return ()
        return self.request.user.pk, form.set_values, clock.today(), timezone.get_current_timezone_name()

    def narrow(self, queryset):
        """`queryset` filtered (filter form and predefined view) and sorted as this page lists it."""
        if self.filter_form is None:
            self.read_query()
        queryset = self.filter_form.apply(queryset)
        if self.sort in self.named_sorts:
            return queryset.order_by(*getattr(self, self.named_sorts[self.sort])(), "-pk")
        column = self._column(self.sort.lstrip("-"))
        descending = self.sort.startswith("-")
        order = [f"-{field}" if descending else field for field in column.order_by]
        return queryset.order_by(*order, "-pk" if descending else "pk")

    def _column(self, name):
        return next((column for column in self.readable_columns if column.name == name and column.order_by), None)

    def _sort_param(self) -> str:
        sort = self.request.GET.get("sort", "")
        return sort if sort in self.named_sorts or self._column(sort.lstrip("-")) else self.default_sort

    def paginate_queryset(self, queryset, page_size):
        # Out-of-range or malformed page numbers show the nearest page instead of a 404.
        number = self.request.GET.get("page")
        cap = None if self.request.GET.get("count") == "exact" else settings.VINCULO["EXACT_COUNT_UP_TO"]
        paginator = CappedPaginator(queryset, page_size, cap=cap, number=number)
        page = paginator.get_page(number)
        return paginator, page, page.object_list, page.has_other_pages()

    @cached_property
    def readable_columns(self) -> tuple[Column, ...]:
        """The columns less those showing a field the user may not read (a field group of the model's policy,
        such as an account's financial data)."""
        policy = getattr(self.model, "policy", None)
        names = {column.name for column in self.columns}
        if policy is None or not any(name in names for group in policy.field_groups.values() for name in group.fields):
            return self.columns
        hidden = set(policy.hidden_fields(self.request.user))
        return tuple(column for column in self.columns if column.name not in hidden)

    def chosen_columns(self) -> list[str]:
        # A saved view names its columns in the address (`cols=name,stage`); otherwise the user's own choice.
        from_view = self._clean_columns(self.request.GET.get("cols", "").split(","))
        if from_view:
            return from_view
        preferences = self.request.user.list_preferences or {}
        names = (preferences.get(self.list_key) or {}).get("columns") or []
        return self._clean_columns(names) or [column.name for column in self.readable_columns if column.default]

    def _clean_columns(self, names) -> list[str]:
        chosen = {column.name for column in self.readable_columns} & set(names)
        if not chosen:
            return []
        return [column.name for column in self.readable_columns if column.name in chosen or column.always]

    def _fragment_only(self) -> bool:
        htmx = getattr(self.request, "htmx", None)
        return bool(htmx) and not htmx.boosted and not htmx.history_restore_request

    def get_template_names(self):
        return [self.fragment_template_name if self._fragment_only() else self.template_name]

    def clean_query(self):
        """The current query string without empty parameters: what links and the address bar show."""
        query = self.request.GET.copy()
        for key in list(query):
            values = [value for value in query.getlist(key) if value.strip()]
            if values:
                query.setlist(key, values)
            else:
                del query[key]
        return query

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if self._fragment_only() and self.request.method == "GET":
            query = context["query"].urlencode()
            push_url(response, f"{self.request.path}?{query}" if query else self.request.path)
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        shown = self.chosen_columns()
        current, descending = self.sort.lstrip("-"), self.sort.startswith("-")
        headers = []
        for column in self.readable_columns:
            if column.name not in shown:
                continue
            sorted_here = column.order_by and column.name == current
            headers.append({
                "column": column,
                "sortable": bool(column.order_by),
                "direction": ("descending" if descending else "ascending") if sorted_here else "",
                "next_sort": f"-{column.name}" if sorted_here and not descending else column.name,
            })
        context.update(
            filter_form=self.filter_form,
            chips=self._chips(),
            headers=headers,
            shown=set(shown),
            all_columns=self.readable_columns,
            # Each column's name by its key: a cell's data-label, shown above its value when rows become cards
            # (translated here once, not in each row).
            labels={column.name: str(column.label) for column in self.columns},
            sort=self.sort,
            default_sort=self.default_sort,
            search_placeholder=self.search_placeholder,
            query=self.clean_query(),
            preset=self.filter_form.preset,
        )
        context["views_menu"] = views_menu(self.request, self.list_key, context["query"], shown)
        context["action_menus"] = action_menus(self.list_key, context["query"], shown)
        return context

    def _chips(self):
        """Filters set by id from other pages (e.g. "contacts of this account"), shown as removable chips."""
        chips = []
        for field in self.filter_form.hidden_fields():
            value = self.filter_form.cleaned_data.get(field.name) if self.filter_form.is_bound else None
            if value in (None, ""):
                continue
            query = self.clean_query()
            query.pop(field.name, None)
            query.pop("page", None)
            chips.append({"label": field.label, "value": value,
                          "remove_url": f"{self.request.path}?{query.urlencode()}" if query else self.request.path})
        preset = self.filter_form.preset
        if preset is not None:
            query = self.clean_query()
            for key in ("preset", "page", *preset.query):
                query.pop(key, None)
            chips.append({"label": _("View"), "value": preset.label,
                          "remove_url": f"{self.request.path}?{query.urlencode()}" if query else self.request.path})
        return chips

    def post(self, request, *args, **kwargs):
        """Remember the column choice for this list, then show the list as it was."""
        names = self._clean_columns(request.POST.getlist("columns"))
        if names:
            preferences = dict(request.user.list_preferences or {})
            preferences[self.list_key] = {**(preferences.get(self.list_key) or {}), "columns": names}
            request.user.list_preferences = preferences
            request.user.save(update_fields=["list_preferences"])
            if "cols" in request.GET:  # the columns just chosen replace a saved view's
                request.GET = request.GET.copy()
                request.GET.pop("cols")
        if getattr(request, "htmx", None):
            return self.get(request, *args, **kwargs)
        query = request.GET.urlencode()
        return redirect(f"{request.path}?{query}" if query else request.path)


def with_visibility(queryset, user, field: str, name: str):
    """Annotate `name`: whether `user` may see the record `field` points to (the SQL form of
    `mark_visible`, for querysets that are not evaluated here, e.g. API lists)."""
    target = queryset.model._meta.get_field(field).related_model
    return queryset.annotate(**{name: Exists(target.objects.visible_to(user).filter(pk=OuterRef(field)))})
