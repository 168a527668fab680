"""What the account page (Customer 360) shows besides the account's own fields: its related lists, the
activity timeline, the alerts and the sales panel.

Every related list is one query for its page of rows; `related_counts` counts all of them in one query, so the
page runs a bounded number of queries whatever the account holds. Access to an account's records is inherited
from the account, which the caller has already fetched through the permission helper.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Case, Exists, F, Func, OuterRef, Q, QuerySet, Subquery, When
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from vinculo.activities.models import Activity
from vinculo.activities.timeline import timeline
from vinculo.contacts.models import Contact, ContactAccountLink
from vinculo.core import clock
from vinculo.sales.models import Opportunity

from .models import (
    Account,
    ContentDelivery,
    Contract,
    CustomerAsset,
    Document,
    DocumentVersion,
    Invoice,
    Note,
    Payment,
)
from .sales import SalesSummary, account_ids, sales_summary

PAGE_SIZE = 10
TIMELINE_PAGE_SIZE = 10
ALERT_WINDOW_DAYS = 60
RENEWAL_ALERTS_SHOWN = 5  # the alerts template slices to the same number


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


def page_number(value) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


def _clamp(number: int, total: int, size: int) -> int:
    return min(number, max(1, -(-total // size)))


@dataclass(frozen=True)
class RelatedList:
    model: type
    rows: Callable[[Account, date], QuerySet]  # the account's rows, ordered, with what the template shows
    decorate: Callable[[object, date], None] | None = None  # per-row flags computed in Python (dates)
    has_contact: bool = False  # rows name a contact (`contact`), shown only if the viewer may see it


def _contract_rows(account, today):
    # Renewals due first (so the alerts come from the first page), then the other current contracts by
    # expiry, then the expired ones, latest first.
    due = Contract.objects.renewals_due(today, within_days=ALERT_WINDOW_DAYS).filter(pk=OuterRef("pk"))
    return (
        Contract.objects.filter(account=account).select_related("contact")
        .annotate(
            renewal_due=Exists(due),
            expired=Case(When(end_date__lt=today, then=True), default=False),
            current_end=Case(When(end_date__gte=today, then=F("end_date"))),
        )
        .order_by(
            "-renewal_due", "expired", F("current_end").asc(nulls_last=True), F("end_date").desc(nulls_last=True),
            "-pk",
        )
    )


def _decorate_contract(contract, today):
    contract.days_left = contract.days_to_expiry(today)
    contract.is_expired = contract.status == Contract.Status.EXPIRED or (
        contract.days_left is not None and contract.days_left < 0
    )


def _decorate_invoice(invoice, today):
    invoice.overdue = invoice.is_overdue(today)
    invoice.days_overdue = (today - invoice.due_date).days if invoice.overdue else 0


def _document_rows(account, today):
    versions = DocumentVersion.objects.filter(document=OuterRef("pk")).order_by("-number")
    return (
        Document.objects.filter(account=account).select_related("updated_by")
        .annotate(
            current_version_id=Subquery(versions.values("pk")[:1]),
            current_version_number=Subquery(versions.values("number")[:1]),
            current_version_size=Subquery(versions.values("size")[:1]),
        )
        .order_by("-updated_at", "-pk")
    )


RELATED_LISTS = {
    "assets": RelatedList(
        CustomerAsset, lambda account, today: CustomerAsset.objects.filter(account=account).select_related("contact"),
        has_contact=True,
    ),
    "contracts": RelatedList(Contract, _contract_rows, _decorate_contract, has_contact=True),
    "invoices": RelatedList(
        Invoice, lambda account, today: Invoice.objects.filter(account=account).order_by("-issue_date", "-pk"),
        _decorate_invoice,
    ),
    "payments": RelatedList(
        Payment, lambda account, today: Payment.objects.filter(account=account).select_related("invoice")
    ),
    "notes": RelatedList(
        Note, lambda account, today: Note.objects.filter(account=account).select_related("created_by", "contact"),
        has_contact=True,
    ),
    "deliveries": RelatedList(
        ContentDelivery,
        lambda account, today: ContentDelivery.objects.filter(account=account).select_related("contact", "delivered_by"),
        has_contact=True,
    ),
    "documents": RelatedList(Document, _document_rows),
    # Every deal of an account the user may see is visible to them (Opportunity.policy has the account as parent).
    "opportunities": RelatedList(
        Opportunity,
        lambda account, today: Opportunity.objects.filter(account=account)
        .select_related("owner", "stage", "business_unit").order_by("-created_at", "-pk"),
    ),
}


def _count(queryset):
    return Subquery(queryset.order_by().values(n=Func("pk", function="COUNT")))


def contacts_queryset(account: Account, user) -> QuerySet:
    """The contacts of the account the user may see: all its own (they inherit the account's visibility)
    and those of other accounts linked to it that the user may see."""
    # Ids first: an OR with a subquery keeps both engines from using the account index.
    linked = list(ContactAccountLink.objects.filter(account=account).values_list("contact_id", flat=True))
    if linked:
        linked = list(Contact.objects.visible_to(user, per_row=True).filter(pk__in=linked).values_list("pk", flat=True))
    return Contact.objects.filter(Q(account=account) | Q(pk__in=linked)).order_by("last_name", "first_name", "pk")


def related_counts(account: Account, contacts: QuerySet) -> dict[str, int]:
    """The number of rows of every related list of the account (and of `contacts`), in one query."""
    counts = {f"n_{name}": _count(related.model.objects.filter(account=OuterRef("pk")))
              for name, related in RELATED_LISTS.items()}
    # Prefixed: related names such as "contracts" are taken on the model.
    row = Account.all_objects.filter(pk=account.pk).values(n_contacts=_count(contacts), **counts).get()
    return {name.removeprefix("n_"): value for name, value in row.items()}


def _urls(account, name):
    fragment = (
        reverse("accounts:contacts", args=[account.pk]) if name == "contacts"
        else reverse("accounts:timeline", args=[account.pk]) if name == "timeline"
        else reverse("accounts:related", args=[account.pk, name])
    )
    return {"fragment_url": fragment, "page_url": account.get_absolute_url()}


def _page(name: str, rows: QuerySet, total: int | None, number: int, account: Account) -> RelatedPage:
    if total is None:
        total = rows.count()
    number = _clamp(number, total, PAGE_SIZE)
    offset = (number - 1) * PAGE_SIZE
    return RelatedPage(name, list(rows[offset:offset + PAGE_SIZE]), total, number, PAGE_SIZE, **_urls(account, name))


def related_page(name: str, account: Account, number: int, today: date, total: int | None = None) -> RelatedPage:
    """Page `number` of the related list `name`; pass `total` when `related_counts` already counted it.
    Call `mark_contacts` on the result before rendering it."""
    related = RELATED_LISTS[name]
    page = _page(name, related.rows(account, today), total, number, account)
    if related.decorate:
        for row in page.rows:
            related.decorate(row, today)
    return page


def contacts_page(account: Account, user, number: int, rows: QuerySet | None = None,
                  total: int | None = None) -> RelatedPage:
    return _page("contacts", contacts_queryset(account, user) if rows is None else rows, total, number, account)


def named_contacts(page: RelatedPage) -> list:
    """The contacts a page names: the `contact` of its rows, the contacts of its timeline entries."""
    if page.name == "timeline":
        return [contact for entry in page.rows for contact in entry.all_contacts]
    if page.name in RELATED_LISTS and RELATED_LISTS[page.name].has_contact:
        return [row.contact for row in page.rows if row.contact_id]
    return []


def mark_contacts(pages: list[RelatedPage], account: Account, user) -> None:
    """Set `visible` on every contact the pages name. The account's own contacts inherit its visibility;
    those of other accounts (linked contacts) are checked in one query, run only when there are some."""
    contacts = [contact for page in pages for contact in named_contacts(page)]
    others = {contact.pk for contact in contacts if contact.account_id != account.pk}
    visible = (set(Contact.objects.visible_to(user, per_row=True).filter(pk__in=others).values_list("pk", flat=True))
               if others else set())
    for contact in contacts:
        contact.visible = contact.account_id == account.pk or contact.pk in visible
    for page in pages:
        if page.name == "timeline":
            for entry in page.rows:
                entry.contacts = [contact for contact in entry.all_contacts if contact.visible]
                entry.hidden_contacts = len(entry.all_contacts) - len(entry.contacts)


TIMELINE_FILTERS = (
    ("", _("All")),
    (Activity.Kind.CALL, _("Calls")),
    (Activity.Kind.MEETING, _("Meetings")),
    (Activity.Kind.VISIT, _("Visits")),
    (Activity.Kind.EMAIL, _("Emails")),
    (Activity.Kind.NOTE, _("Notes")),
)
TIMELINE_KINDS = tuple(Activity.Kind.values)


def timeline_page(account: Account, user, kind: str, number: int) -> RelatedPage:
    """A page of the account's merged timeline, optionally of one kind ("note" includes the account's notes).
    Call `mark_contacts` on the result before rendering it."""
    kind = kind if kind in TIMELINE_KINDS else ""
    kinds = (kind,) if kind else ()
    entries, total = timeline(account, user, kinds, (number - 1) * TIMELINE_PAGE_SIZE, TIMELINE_PAGE_SIZE)
    if not entries and number > 1 and total:
        number = _clamp(number, total, TIMELINE_PAGE_SIZE)
        entries, total = timeline(account, user, kinds, (number - 1) * TIMELINE_PAGE_SIZE, TIMELINE_PAGE_SIZE)
    now = clock.now()
    for entry in entries:
        entry.upcoming = entry.at > now
        record = entry.record
        entry.all_contacts = (
            ([record.contact] if record.contact_id else []) if entry.is_note else list(record.contacts.all())
        )
    params = {"kind": kind} if kind else {}
    result = RelatedPage("timeline", entries, total, number, TIMELINE_PAGE_SIZE, params=params,
                         **_urls(account, "timeline"))
    result.filters = [
        {
            "label": label, "current": value == kind,
            "hx_get": result.fragment_url + (f"?kind={value}" if value else ""),
            "href": result.page_url + (f"?kind={value}" if value else "") + "#timeline",
        }
        for value, label in TIMELINE_FILTERS
    ]
    return result


def renewal_alerts(account: Account, today: date, contracts: RelatedPage) -> list[Contract]:
    """The contracts to renew within the alert window (one more than shown, to tell whether there are more).
    They lead the first page of the contracts list, so only another page needs a query."""
    if contracts.number == 1:
        return [contract for contract in contracts.rows if contract.renewal_due][:RENEWAL_ALERTS_SHOWN + 1]
    due = list(
        Contract.objects.renewals_due(today, within_days=ALERT_WINDOW_DAYS).filter(account=account)
        .order_by("end_date", "pk")[:RENEWAL_ALERTS_SHOWN + 1]
    )
    for contract in due:
        _decorate_contract(contract, today)
    return due


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
class SalesPanel:
    summary: SalesSummary
    bars: list[Bar]
    rollup: bool
    accounts_included: int  # with the roll-up, the account and its children the user may see
    target_progress: Decimal | None  # this year's sales against the account's sales target, in percent

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
    progress = summary.year / account.sales_target * 100 if account.sales_target else None
    return SalesPanel(summary, bars, rollup, len(ids), progress)
