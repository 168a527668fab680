"""What activities measure for business plans (plans.metrics): the activities of a kind done in a period."""

from decimal import Decimal

from vinculo.plans.metrics import Scope

from .models import Activity


def count_activities(scope: Scope) -> Decimal:
    """Done activities (of `scope.activity_kind` when given) of the account in the period: those linked to the
    objective or the plans when the scope says so, else all of them. One query."""
    found = Activity.objects.filter(account_id=scope.account_id, status=Activity.Status.DONE,
                                    occurred_at__date__gte=scope.start, occurred_at__date__lte=scope.end)
    if scope.activity_kind:
        found = found.filter(kind=scope.activity_kind)
    if scope.objective_id is not None:
        found = found.filter(objective_id=scope.objective_id)
    elif scope.plan_ids:
        found = found.filter(plan_id__in=scope.plan_ids)
    return Decimal(found.count())


def kinds() -> list[tuple[str, str]]:
    return list(Activity.Kind.choices)
