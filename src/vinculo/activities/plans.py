"""What activities measure for business plans (plans.metrics): the activities of a kind done in a period."""

from decimal import Decimal

from django.db.models import Count, Q

from vinculo.core.clock import day_bounds
from vinculo.plans.metrics import Scope

from .models import Activity


def scope_q(scope: Scope) -> Q:
    """Done activities (of `scope.activity_kind` when given) of the account in the period: those linked to the
    objective or the plans when the scope says so, else all of them."""
    start, end = day_bounds(scope.start, scope.end)
    q = Q(account_id=scope.account_id, status=Activity.Status.DONE, occurred_at__gte=start, occurred_at__lt=end)
    if scope.activity_kind:
        q &= Q(kind=scope.activity_kind)
    if scope.objective_id is not None:
        q &= Q(objective_id=scope.objective_id)
    elif scope.plan_ids:
        q &= Q(plan_id__in=scope.plan_ids)
    return q


def count_activities(scopes: list[Scope]) -> list[Decimal]:
    """The activities of each scope, in one query."""
    counts = Activity.objects.filter(account_id__in={scope.account_id for scope in scopes}).aggregate(
        **{f"n{index}": Count("pk", filter=scope_q(scope)) for index, scope in enumerate(scopes)})
    return [Decimal(counts[f"n{index}"]) for index in range(len(scopes))]


def kinds() -> list[tuple[str, str]]:
    return list(Activity.Kind.choices)
