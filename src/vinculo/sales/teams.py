"""The open deals section of the sales team pages (see org.teams)."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Sum

from vinculo.accounts.models import Account
from vinculo.core import clock
from vinculo.core.money import MissingRate, quantize, rates_on
from vinculo.org.teams import RECORDS_SHOWN

from .models import Opportunity


def _open_totals(opportunities, currency: str) -> dict[int | None, Decimal | None]:
    """Open amount per sales team id in `currency` (None where a currency has no rate). One query for the
    sums, one per currency for today's rates."""
    sums = defaultdict(dict)
    for row in opportunities.values("sales_team_id", "currency").annotate(total=Sum("amount")).order_by():
        sums[row["sales_team_id"]][row["currency"]] = row["total"] or Decimal(0)
    currencies = {code for amounts in sums.values() for code in amounts} | {currency}
    try:
        rates = rates_on(currencies, clock.today())
    except MissingRate:
        rates = None
    totals = {}
    for team_id, amounts in sums.items():
        if rates is None:
            totals[team_id] = sum(amounts.values()) if set(amounts) == {currency} else None
        else:
            totals[team_id] = quantize(
                sum((amount * rates[code] for code, amount in amounts.items()), Decimal(0)) / rates[currency], currency)
    return totals


def _open_deals(user):
    return Opportunity.objects.visible_to(user).filter(status=Opportunity.Status.OPEN)


def annotate_teams(teams, user, currency) -> None:
    """`open_count` and `open_total` (in `currency`) on each team: its open deals the user may see."""
    open_deals = _open_deals(user).filter(sales_team__isnull=False)
    counts = dict(open_deals.values("sales_team_id").annotate(n=Count("pk")).order_by()
                  .values_list("sales_team_id", "n"))
    totals = _open_totals(open_deals, currency)
    for team in teams:
        team.open_count = counts.get(team.pk, 0)
        team.open_total = totals.get(team.pk, Decimal(0))


def team_deals(team, user, currency) -> dict:
    open_deals = (_open_deals(user).filter(sales_team=team).select_related("account", "stage", "owner")
                  .order_by("expected_close_date", "pk"))
    deals = list(open_deals[:RECORDS_SHOWN])
    if deals:
        visible_accounts = set(Account.objects.visible_to(user).filter(pk__in={deal.account_id for deal in deals})
                               .values_list("pk", flat=True))
        for deal in deals:
            deal.account_visible = deal.account_id in visible_accounts
    return {"rows": deals, "count": open_deals.count(),
            "open_total": _open_totals(open_deals, currency).get(team.pk, Decimal(0))}
