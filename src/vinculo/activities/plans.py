"""What activities measure for business plans (plans.metrics): the activities of a kind done in a period."""

from decimal import Decimal

from django.db.models import Count, Q

from vinculo.plans.metrics import Scope

from .models import Activity


def scope_q(scope: Scope) -> Q:
    """Done activities (of `scope.activity_kind` when given) of the account in the period: those linked to the
    objective or the plans when the scope says so, else all of them."""
    start, end = scope.moments()
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
    if all(scope.objective_id is not None for scope in scopes):
        return _count_linked(scopes)
    counts = Activity.objects.filter(account_id__in={scope.account_id for scope in scopes}).aggregate(
        **{f"n{index}": Count("pk", filter=scope_q(scope)) for index, scope in enumerate(scopes)})
    return [Decimal(counts[f"n{index}"]) for index in range(len(scopes))]


def _count_linked(scopes: list[Scope]) -> list[Decimal]:
    """`count_activities` when each scope counts the activities linked to its objective: those few are read
    and sorted here, a query much cheaper to build than a filtered count per scope."""
    periods = [scope.moments() for scope in scopes]
    # Read through the accounts' index: SQLite's statistics cannot tell that almost every activity has no
    # objective, so given only the objectives (or dates too) it scans millions of activities. Periods are
    # checked here.
    rows = list(Activity.objects.filter(
        account_id__in={scope.account_id for scope in scopes},
        objective_id__in={scope.objective_id for scope in scopes}, status=Activity.Status.DONE,
    ).order_by().values_list("objective_id", "account_id", "kind", "occurred_at"))
    return [Decimal(sum(1 for objective_id, account_id, kind, occurred_at in rows
                        if objective_id == scope.objective_id and account_id == scope.account_id
                        and (not scope.activity_kind or kind == scope.activity_kind) and start <= occurred_at < end))
            for scope, (start, end) in zip(scopes, periods, strict=True)]


def kinds() -> list[tuple[str, str]]:
    return list(Activity.Kind.choices)
