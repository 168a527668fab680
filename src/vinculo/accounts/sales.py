"""An account's sales figures, computed from its invoices in two queries (plus the exchange rates' when
invoices are in other currencies)."""

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from vinculo.core.money import MissingRate, RateHistory, base_currency, quantize

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
    currency: str = ""
    month: Decimal = ZERO
    quarter: Decimal = ZERO
    year: Decimal = ZERO
    previous_year_to_date: Decimal = ZERO
    previous_year: Decimal = ZERO
    last_12_months: list[tuple[date, Decimal]] = field(default_factory=list)
    outstanding: Decimal = ZERO
    overdue: Decimal = ZERO
    overdue_count: int = 0
    # Currencies of invoices left out of the figures: no exchange rate to convert them.
    unconverted: list[str] = field(default_factory=list)

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


def _month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def sales_summary(ids: list[int], today: date, currency: str | None = None) -> SalesSummary:
    """Sales per month, quarter and year of the accounts `ids`, with their outstanding and overdue balances,
    in `currency` (the base currency when None).

    Invoices in another currency are converted at the rate of the last day of their month (today's for the
    month in progress), balances at today's rate; a currency without a rate is left out and listed in
    `unconverted`. Runs two queries, plus at most two per other currency for the rates."""
    currency = currency or base_currency()
    summary = SalesSummary(today=today, currency=currency)
    start = date(today.year - 1, 1, 1)
    first_month = min(start, _month_start(today, 11))
    billed = Invoice.objects.billed().filter(account_id__in=ids)
    # The same period last year ends on today's date last year: its last month counts only up to that day.
    try:
        same_day_last_year = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        same_day_last_year = date(today.year - 1, 2, 28)
    rows = list(
        billed.filter(issue_date__gte=first_month, issue_date__lte=today)
        .annotate(month=TruncMonth("issue_date"))
        .values("month", "currency")
        .annotate(total=Sum("amount"), to_same_day=Sum("amount", filter=Q(issue_date__lte=same_day_last_year)))
        .order_by()
    )
    balances = list(
        billed.filter(balance__gt=0).values("currency").annotate(
            outstanding=Sum("balance"),
            overdue=Sum("balance", filter=Q(due_date__lt=today)),
            overdue_count=Count("pk", filter=Q(due_date__lt=today)),
        ).order_by()
    )
    currencies = {row["currency"] for row in rows} | {row["currency"] for row in balances}
    rates = RateHistory(currencies | {currency}, first_month, today) if currencies - {currency} else None
    unconverted = set()

    def converted(amount, from_currency, on):
        if from_currency == currency or not amount:
            return amount or ZERO
        try:
            return rates.value(amount, from_currency, currency, on)
        except MissingRate:
            unconverted.add(from_currency)
            return ZERO

    monthly, to_same_day = {}, {}
    for row in rows:
        month = row["month"]
        on = min(_month_end(month), today)
        monthly[month] = monthly.get(month, ZERO) + converted(row["total"], row["currency"], on)
        to_same_day[month] = to_same_day.get(month, ZERO) + converted(row["to_same_day"], row["currency"], on)
    if rates:
        # Converted sums are rounded once per month, to the currency's minor unit.
        monthly = {month: quantize(total, currency) for month, total in monthly.items()}
        to_same_day = {month: quantize(total, currency) for month, total in to_same_day.items()}
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
    for row in balances:
        summary.outstanding += converted(row["outstanding"], row["currency"], today)
        summary.overdue += converted(row["overdue"], row["currency"], today)
        summary.overdue_count += row["overdue_count"]
    if rates:
        summary.outstanding = quantize(summary.outstanding, currency)
        summary.overdue = quantize(summary.overdue, currency)
    summary.unconverted = sorted(unconverted)
    return summary
