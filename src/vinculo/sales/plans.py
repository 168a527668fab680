"""What deals measure for business plans (plans.metrics): revenue won and opportunities created in a
period, linked to a plan or an objective, or all of the account's."""

from decimal import Decimal

from vinculo.core.money import RateHistory, quantize
from vinculo.plans.metrics import Scope

from .models import Opportunity


def _deals(scope: Scope):
    found = Opportunity.objects.filter(account_id=scope.account_id)
    if scope.objective_id is not None:
        return found.filter(objective_id=scope.objective_id)
    if scope.plan_ids:
        return found.filter(plan_id__in=scope.plan_ids)
    return found


def revenue_won(scope: Scope) -> Decimal:
    """The amounts of the deals won (closed) in the period, in `scope.currency`, each converted at the rate of
    its closing day (core.money, dated rates) and rounded once. One query, plus two per other currency for the
    rates; MissingRate when a currency has no rate on a closing day."""
    rows = list(_deals(scope).filter(status=Opportunity.Status.WON, closed_on__gte=scope.start,
                                     closed_on__lte=scope.end).values_list("amount", "currency", "closed_on"))
    currencies = {currency for _, currency, _ in rows}
    if currencies <= {scope.currency}:
        return quantize(sum((amount for amount, _, _ in rows), Decimal(0)), scope.currency)
    rates = RateHistory(currencies | {scope.currency}, scope.start, scope.end)
    total = sum((rates.value(amount, currency, scope.currency, closed_on) for amount, currency, closed_on in rows),
                Decimal(0))
    return quantize(total, scope.currency)


def opportunities_created(scope: Scope) -> Decimal:
    """Deals created in the period, whatever became of them. One query."""
    return Decimal(_deals(scope).filter(created_at__date__gte=scope.start, created_at__date__lte=scope.end).count())
