"""What deals measure for business plans (plans.metrics): revenue won and opportunities created in a
period, linked to a plan or an objective, or all of the account's."""

from decimal import Decimal

from django.db.models import Count, Q

from vinculo.core.money import RateHistory, quantize
from vinculo.plans.metrics import Scope

from .models import Opportunity


def _linked_q(scope: Scope) -> Q:
    q = Q(account_id=scope.account_id)
    if scope.objective_id is not None:
        return q & Q(objective_id=scope.objective_id)
    if scope.plan_ids:
        return q & Q(plan_id__in=scope.plan_ids)
    return q


def _matches(row: dict, scope: Scope) -> bool:
    """Whether a won deal read by `revenue_won` (as a dict) is in `scope`: of its account, closed in its period,
    linked to its objective or plans when it says so."""
    if row["account_id"] != scope.account_id or not scope.start <= row["closed_on"] <= scope.end:
        return False
    if scope.objective_id is not None:
        return row["objective_id"] == scope.objective_id
    return not scope.plan_ids or row["plan_id"] in scope.plan_ids


def revenue_won(scopes: list[Scope]) -> list[Decimal]:
    """The amounts of the deals won (closed) in each scope's period, in its currency, each converted at the
    rate of its closing day (core.money, dated rates) and rounded once. One query, plus two per currency to
    convert (none when every deal is in its scope's currency, or its rates were read within the request);
    MissingRate when a currency has no rate on a closing day."""
    first, last = min(scope.start for scope in scopes), max(scope.end for scope in scopes)
    # The won deals of the scopes' accounts over all their periods, sorted to each scope here (`_matches`):
    # one filter, where an OR of every scope's made the query slower to build than to run. Unordered: the
    # sums need no order, and the deals' default one would have the database sort them.
    rows = Opportunity.objects.filter(
        account_id__in={scope.account_id for scope in scopes}, status=Opportunity.Status.WON,
        closed_on__gte=first, closed_on__lte=last,
    ).order_by().values_list("amount", "currency", "closed_on", "account_id", "plan_id", "objective_id")
    by_account: dict[int, list[dict]] = {}
    for amount, currency, closed_on, account_id, plan_id, objective_id in rows:
        by_account.setdefault(account_id, []).append({
            "amount": amount, "currency": currency, "closed_on": closed_on, "account_id": account_id,
            "plan_id": plan_id, "objective_id": objective_id})
    matched = [[row for row in by_account.get(scope.account_id, ()) if _matches(row, scope)] for scope in scopes]
    # Rates only for the deals in another currency than their scope's, over the days they were won: most plans
    # count deals in their own currency, and then no rate is read at all.
    converted = [(row, scope) for scope, found in zip(scopes, matched, strict=True) for row in found
                 if row["currency"] != scope.currency]
    rates = None
    if converted:
        rates = RateHistory({c for row, scope in converted for c in (row["currency"], scope.currency)},
                            min(row["closed_on"] for row, _scope in converted),
                            max(row["closed_on"] for row, _scope in converted))
    totals = []
    for scope, found in zip(scopes, matched, strict=True):
        total = Decimal(0)
        for row in found:
            total += row["amount"] if row["currency"] == scope.currency else rates.value(
                row["amount"], row["currency"], scope.currency, row["closed_on"])
        totals.append(quantize(total, scope.currency))
    return totals


def opportunities_created(scopes: list[Scope]) -> list[Decimal]:
    """Deals created in each scope's period, whatever became of them. One query."""
    counts = Opportunity.objects.filter(account_id__in={scope.account_id for scope in scopes}).aggregate(**{
        f"n{index}": Count("pk", filter=_linked_q(scope) & Q(created_at__gte=scope.moments()[0],
                                                             created_at__lt=scope.moments()[1]))
        for index, scope in enumerate(scopes)})
    return [Decimal(counts[f"n{index}"]) for index in range(len(scopes))]
