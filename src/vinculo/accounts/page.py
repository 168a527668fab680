"""What the account page (Customer 360) shows besides the account's own fields: its related lists, the
activity timeline, the alerts and the sales panel.

Only the sections a user needs at once are rendered with the page (those registered with `lazy=False`: the
timeline and the contacts); every other one is a placeholder that loads its own fragment URL when it scrolls
into view (htmx), with a plain link for browsers without scripts. Every related list is one query for its page
of rows; `related_counts` counts the page's sections in one query, so the page runs a bounded number of queries
whatever the account holds. Access to an account's records is inherited from the account, which the caller has
already fetched through the permission helper.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Func, OuterRef, QuerySet, Subquery
from django.urls import reverse

from .models import Account
from .sales import SalesSummary, account_ids, sales_summary

PAGE_SIZE = 10


@dataclass
class RelatedPage:
    """One page of a list on the account page, with the links that page it (htmx fragment and plain link)."""

    name: str  # the section id and the `<name>_page` parameter of the account page
    rows: list
    total: int
    number: int
    size: int
    fragment_url: str
    page_url: str
    params: dict = field(default_factory=dict)  # kept when paging, e.g. the timeline's kind filter
    filters: list = field(default_factory=list)  # the timeline's kind chips

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.size + len(self.rows)

    def _links(self, number: int) -> dict:
        fragment = urlencode({**self.params, "page": number})
        page = urlencode({**self.params, f"{self.name}_page": number})
        return {"hx_get": f"{self.fragment_url}?{fragment}", "href": f"{self.page_url}?{page}#{self.name}"}

    @property
    def previous(self) -> dict | None:
        return self._links(self.number - 1) if self.number > 1 else None

    @property
    def next(self) -> dict | None:
        return self._links(self.number + 1) if self.number < self.num_pages else None


@dataclass
class Placeholder:
    """A section the page loads on demand: it fetches `fragment_url` when it scrolls into view (htmx), and
    links to `href`, the page with the section shown, for browsers without scripts."""

    name: str
    total: int | None  # None when the counts query does not count it (per-user counts)
    fragment_url: str
    href: str
    placeholder: bool = True


# Far past any section's last page (each is clamped to its last), yet small enough that the offset it makes
# fits the databases' 64-bit integers.
MAX_PAGE_NUMBER = 2**31


def page_number(value) -> int:
    try:
        return min(max(1, int(value)), MAX_PAGE_NUMBER)
    except (TypeError, ValueError):
        return 1


def clamp_page(number: int, total: int, size: int) -> int:
    return min(number, max(1, -(-total // size)))


class Section:
    """A section of the account page: a list of the account's records, paged, that an app registers with
    `register`. The page counts every section in one query (`count`), shows the first page of each, and
    serves each page again as an htmx fragment (`fragment_url_name`, default "accounts:related")."""

    key: str  # the section's id, its `<key>_page` parameter and its name in the template's context
    label: str = ""
    template: str = ""  # the section, a `<section id="<key>">` that also serves as the fragment
    order: int = 100
    column: str = "main"  # "main" or "side"
    fragment_url_name: str = "accounts:related"
    alerts_template: str = ""  # shows `alerts` at the top of the page (e.g. the contracts to renew)
    # Loaded on demand (a placeholder that fetches the fragment when it scrolls into view) unless the module
    # says a user needs it at once; the page then runs none of the section's queries.
    lazy: bool = True
    # `count` depends on nothing but the account (no user, date or `prepared`): it joins the counts query.
    shared_count: bool = True

    def prepare(self, account: Account, user):
        """Anything `count` and `page` both need, computed once per request (a queryset)."""
        return None

    def count(self, account: Account, user, prepared):
        """An expression counting the section's rows for the counts query, or None to let `page` count.
        With `shared_count` it depends on the account alone (an OuterRef("pk")), and is called with None
        for all three arguments: the query is compiled once per process."""
        return None

    def page(self, account: Account, user, number: int, today: date, total: int | None, params: Mapping,
             prepared) -> "RelatedPage":
        raise NotImplementedError

    def alerts(self, account: Account, today: date, page: "RelatedPage | None") -> list:
        """What the section warns about at the top of the account page, given the page of it shown, or None
        when the section loads on demand (its `alerts_template` shows them); nothing by default."""
        return []

    def contacts(self, page: "RelatedPage") -> list:
        """The contacts the page's rows name, whose visibility `mark_contacts` sets."""
        return []

    def contacts_marked(self, page: "RelatedPage") -> None:
        """Called once the contacts of `page` have `visible` set."""

    def fragment_url(self, account: Account) -> str:
        if self.fragment_url_name == "accounts:related":
            return reverse(self.fragment_url_name, args=[account.pk, self.key])
        return reverse(self.fragment_url_name, args=[account.pk])


class RelatedList(Section):
    """A section listing the account's rows of one model, which has an `account` foreign key."""

    def __init__(self, key: str, model: type, rows: Callable[[Account, date], QuerySet], label: str = "",
                 template: str = "", order: int = 100, column: str = "main",
                 decorate: Callable[[object, date], None] | None = None, has_contact: bool = False,
                 lazy: bool = True):
        self.key, self.model, self.rows, self.label, self.order, self.column = key, model, rows, label, order, column
        self.lazy = lazy
        self.template = template or f"accounts/_{key}_list.html"
        self.decorate = decorate  # per-row flags computed in Python (dates)
        self.has_contact = has_contact  # rows name a contact (`contact`), shown only if the viewer may see it

    def count(self, account, user, prepared):
        return count_of(self.model.objects.filter(account=OuterRef("pk")))

    def page(self, account, user, number, today, total, params, prepared):
        page = page_of(self, self.rows(account, today), total, number, account)
        if self.decorate:
            for row in page.rows:
                self.decorate(row, today)
        return page

    def contacts(self, page):
        return [row.contact for row in page.rows if row.contact_id] if self.has_contact else []


SECTIONS: dict[str, Section] = {}


def register(section: Section) -> Section:
    """Add a section to the account page (from an app's `AppConfig.ready()`)."""
    if section.key in SECTIONS:
        raise ImproperlyConfigured(f"The account page already has a section {section.key!r}.")
    if section.column not in ("main", "side"):
        raise ImproperlyConfigured(f"Section {section.key!r}: column must be 'main' or 'side'.")
    SECTIONS[section.key] = section
    return section


def sections(column: str | None = None) -> list[Section]:
    found = [section for section in SECTIONS.values() if column in (None, section.column)]
    return sorted(found, key=lambda section: (section.order, section.key))


_contact_visibility: Callable | None = None


def register_contact_visibility(visible_ids: Callable) -> None:
    """How to tell which contacts (of other accounts) a user may see: `visible_ids(ids, user)` → set of ids.
    The contacts app registers it."""
    global _contact_visibility
    _contact_visibility = visible_ids


def count_of(queryset):
    """`queryset`'s row count as an expression for the page's one counts query (a section's `count`)."""
    return Subquery(queryset.order_by().values(n=Func("pk", function="COUNT")))


# Stands for the account's id in the counts query compiled once per process (no real id is negative).
_ACCOUNT_PLACEHOLDER = -918_273_645
_counts_sql: dict[tuple, tuple[list[str], str, list]] = {}


def _compiled_counts(keys: tuple[str, ...]) -> tuple[list[str], str, list]:
    """The SQL of the counts query of the sections `keys`, compiled once per process and database: Django
    takes longer to compile a dozen subqueries than the database takes to run them."""
    alias = Account.all_objects.db
    found = _counts_sql.get((alias, keys))
    if found is None:
        counts = {}
        for key in keys:
            expression = SECTIONS[key].count(None, None, None)
            if expression is not None:
                # Prefixed: related names such as "contracts" are taken on the model.
                counts[f"n_{key}"] = expression
        if counts:
            query = Account.all_objects.filter(pk=_ACCOUNT_PLACEHOLDER).values(**counts).query
            sql, params = query.get_compiler(using=alias).as_sql()
            found = ([name.removeprefix("n_") for name in query.annotation_select], sql, list(params))
        else:
            found = ([], "", [])
        _counts_sql[(alias, keys)] = found
    return found


def related_counts(account: Account, keys=None) -> dict[str, int | None]:
    """The number of rows of the sections `keys` (default all) whose count depends on the account alone
    (`shared_count`), in one query; None for the others, which count their own when shown."""
    keys = tuple(sorted(key for key in (SECTIONS if keys is None else keys) if SECTIONS[key].shared_count))
    names, sql, params = _compiled_counts(keys)
    totals = {}
    if names:
        with connections[Account.all_objects.db].cursor() as cursor:
            cursor.execute(sql, [account.pk if value == _ACCOUNT_PLACEHOLDER else value for value in params])
            totals = dict(zip(names, cursor.fetchone(), strict=True))
    return {key: totals.get(key) for key in SECTIONS}


def page_of(section: Section, rows: QuerySet, total: int | None, number: int, account: Account,
          size: int = PAGE_SIZE, params: dict | None = None) -> RelatedPage:
    """Page `number` (clamped to the last) of `rows` as `section` shows it; `total` when already counted."""
    if total is None:
        total = rows.count()
    number = clamp_page(number, total, size)
    offset = (number - 1) * size
    return RelatedPage(section.key, list(rows[offset:offset + size]), total, number, size,
                       section.fragment_url(account), account.get_absolute_url(), params=params or {})


def section_pages(account: Account, user, today: date, numbers: Mapping[str, int], params: Mapping,
                  keys=None, totals: Mapping[str, int | None] | None = None) -> dict[str, RelatedPage]:
    """Page `numbers[key]` (default 1) of each section (of `keys`, default all), with the contacts they name
    marked. `totals` are the counts already known (`related_counts`); a section without one counts itself."""
    chosen = [SECTIONS[key] for key in keys] if keys is not None else list(SECTIONS.values())
    totals = totals or {}
    pages = {}
    for section in chosen:
        prepared = section.prepare(account, user)
        pages[section.key] = section.page(account, user, numbers.get(section.key, 1), today,
                                          totals.get(section.key), params, prepared)
    mark_contacts(pages, account, user)
    return pages


def mark_contacts(pages: dict[str, RelatedPage], account: Account, user) -> None:
    """Set `visible` on every contact the pages name. The account's own contacts inherit its visibility;
    those of other accounts (linked contacts) are checked in one query, run only when there are some."""
    named = {key: SECTIONS[key].contacts(page) for key, page in pages.items()}
    contacts = [contact for found in named.values() for contact in found]
    others = {contact.pk for contact in contacts if contact.account_id != account.pk}
    visible = set(_contact_visibility(others, user)) if others and _contact_visibility else set()
    for contact in contacts:
        contact.visible = contact.account_id == account.pk or contact.pk in visible
    for key, page in pages.items():
        SECTIONS[key].contacts_marked(page)


def alerts(account: Account, today: date, pages: Mapping[str, RelatedPage]) -> list[tuple[str, list]]:
    """The alerts of every section (template, what it warns about), in the sections' order; a section not
    among `pages` (loaded on demand) finds its own."""
    found = [(section.alerts_template, section.alerts(account, today, pages.get(section.key)))
             for section in sections() if section.alerts_template]
    return [(template, items) for template, items in found if items]


@dataclass
class Bar:
    month: date
    total: Decimal
    current: bool  # the month in progress
    x: float  # position in the chart's 120 × 100 view box, one 10-wide slot per month
    height: float  # percent of the best month

    @property
    def y(self) -> float:
        return 100 - self.height


@dataclass
class SalesTarget:
    amount: Decimal
    currency: str
    sources: list = field(default_factory=list)  # the records it comes from (the current approved plans)


# Where the account's sales target comes from when an app knows better than the account's own field: the
# plans app registers its current approved plans, so there is one source of truth.
_sales_target_source: Callable | None = None


def register_sales_target(source: Callable) -> None:
    """`source(account, user, today)` → a SalesTarget, or None to fall back on the account's field."""
    global _sales_target_source
    _sales_target_source = source


def sales_target(account: Account, user, today: date) -> SalesTarget | None:
    found = _sales_target_source(account, user, today) if _sales_target_source else None
    if found is None and account.sales_target is not None:
        found = SalesTarget(account.sales_target, account.currency)
    return found


@dataclass
class SalesPanel:
    summary: SalesSummary
    bars: list[Bar]
    rollup: bool
    accounts_included: int  # with the roll-up, the account and its children the user may see
    target_progress: Decimal | None  # this year's sales against the account's sales target, in percent
    target: SalesTarget | None = None

    @property
    def has_sales(self) -> bool:
        """Whether there is anything to show: sales since January last year or money still owed."""
        summary = self.summary
        return bool(summary.year or summary.previous_year or summary.best_month or summary.outstanding)


def sales_panel(account: Account, user, today: date, rollup: bool = False) -> SalesPanel:
    """The sales figures of the account, or of the account and the child accounts the user may see."""
    ids = [account.pk]
    if rollup:
        descendants = account_ids(account, include_children=True)[1:]
        ids += list(Account.objects.visible_to(user).filter(pk__in=descendants).values_list("pk", flat=True))
    summary = sales_summary(ids, today, account.currency)
    best = summary.best_month
    this_month = today.replace(day=1)
    bars = [
        Bar(month, total, month == this_month, slot * 10 + 1.5, round(float(total / best * 100), 2) if best else 0.0)
        for slot, (month, total) in enumerate(summary.last_12_months)
    ]
    target = sales_target(account, user, today)
    progress = summary.year / target.amount * 100 if target and target.amount else None
    return SalesPanel(summary, bars, rollup, len(ids), progress, target)
