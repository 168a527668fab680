"""An account's sales figures, computed from its invoices in two queries."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from .models import Account, Invoice

ZERO = Decimal(0)


def _month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


@dataclass
class SalesSummary:
    today: date
    month: Decimal = ZERO
    quarter: Decimal = ZERO
    year: Decimal = ZERO
    previous_year_to_date: Decimal = ZERO
    previous_year: Decimal = ZERO
    last_12_months: list[tuple[date, Decimal]] = field(default_factory=list)
    outstanding: Decimal = ZERO
    overdue: Decimal = ZERO
    overdue_count: int = 0

    @property
    def year_over_year(self) -> Decimal | None:
        """Change of this year to date against the same period last year, in percent."""
        if not self.previous_year_to_date:
            return None
        return (self.year - self.previous_year_to_date) / self.previous_year_to_date * 100

    @property
    def best_month(self) -> Decimal:
        return max((total for _, total in self.last_12_months), default=ZERO)


def account_ids(account: Account, include_children: bool = False) -> list[int]:
    """The account, and with `include_children` its descendants (one query per level of the hierarchy)."""
    ids, frontier = [account.pk], [account.pk]
    while include_children and frontier:
        frontier = list(Account.objects.filter(parent_id__in=frontier).exclude(pk__in=ids).values_list("pk", flat=True))
        ids.extend(frontier)
    return ids


def sales_summary(ids: list[int], today: date) -> SalesSummary:
    """Sales per month, quarter and year of the accounts `ids`, with their outstanding and overdue balances.
    Runs two queries."""
    summary = SalesSummary(today=today)
    start = date(today.year - 1, 1, 1)
    billed = Invoice.objects.billed().filter(account_id__in=ids)
    # The same period last year ends on today's date last year: its last month counts only up to that day.
    try:
        same_day_last_year = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        same_day_last_year = date(today.year - 1, 2, 28)
    rows = (
        billed.filter(issue_date__gte=min(start, _month_start(today, 11)), issue_date__lte=today)
        .annotate(month=TruncMonth("issue_date"))
        .values("month")
        .annotate(total=Sum("amount"), to_same_day=Sum("amount", filter=Q(issue_date__lte=same_day_last_year)))
        .order_by()
    )
    monthly, to_same_day = {}, {}
    for row in rows:
        month = row["month"].date() if hasattr(row["month"], "date") else row["month"]
        monthly[month], to_same_day[month] = row["total"], row["to_same_day"] or ZERO
    this_month, this_quarter = _month_start(today), _quarter_start(today)
    for month, total in monthly.items():
        if month.year == today.year:
            summary.year += total
            if month >= this_quarter:
                summary.quarter += total
            if month == this_month:
                summary.month += total
        elif month.year == today.year - 1:
            summary.previous_year += total
            if month.month < today.month:
                summary.previous_year_to_date += total
            elif month.month == today.month:
                summary.previous_year_to_date += to_same_day[month]
    summary.last_12_months = [
        (_month_start(today, back), monthly.get(_month_start(today, back), ZERO)) for back in range(11, -1, -1)
    ]
    balances = billed.filter(balance__gt=0).aggregate(
        outstanding=Sum("balance"),
        overdue=Sum("balance", filter=Q(due_date__lt=today)),
        overdue_count=Count("pk", filter=Q(due_date__lt=today)),
    )
    summary.outstanding = balances["outstanding"] or ZERO
    summary.overdue = balances["overdue"] or ZERO
    summary.overdue_count = balances["overdue_count"]
    return summary

