"""Progress of objectives and plans: a measure of the records that count (plans.metrics) against the
target, and a state — achieved, missed, at risk (progress below the share of time elapsed by more than the
margin) or on track."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q

from . import metrics
from .models import BusinessPlan, Objective

State = Objective.State


def elapsed_share(start: date, end: date, today: date) -> Decimal:
    """The share (0 to 1) of the days from `start` to `end` (both included) gone by at the end of `today`."""
    if today < start:
        return Decimal(0)
    if today >= end:
        return Decimal(1)
    return Decimal((today - start).days + 1) / Decimal((end - start).days + 1)


def state_of(value: Decimal | None, target: Decimal, start: date, end: date, today: date, margin: int) -> str:
    if value is not None and value >= target:
        return State.ACHIEVED
    if today > end:
        return State.MISSED
    done = (value or Decimal(0)) / target if target else Decimal(1)
    if done * 100 < elapsed_share(start, end, today) * 100 - margin:
        return State.AT_RISK
    return State.ON_TRACK


@dataclass
class Progress:
    value: Decimal | None  # None: the metric is not measured here (its app is not installed)
    target: Decimal
    state: str
    currency: str = ""  # money figures only

    @property
    def percent(self) -> int:
        if not self.target:
            return 100
        return min(100, int((self.value or 0) * 100 / self.target))

    @property
    def state_label(self) -> str:
        return str(State(self.state).label)


def objective_progress(objective: Objective, today: date, account_id: int | None = None) -> Progress:
    """`objective`'s progress: under a plan, from the records linked to it in the plan's period up to its due
    date; a global one, from the matching records of `account_id` in its period. A few queries (one for most
    metrics, plus the exchange rates' for revenue in other currencies)."""
    start, end = objective.start, objective.end
    if objective.metric == Objective.Metric.MANUAL:
        value = objective.manual_progress
    else:
        scope = metrics.Scope(
            account_id=objective.plan.account_id if objective.plan_id else account_id, start=start, end=end,
            objective_id=objective.pk if objective.plan_id else None, activity_kind=objective.activity_kind,
            currency=objective.target_currency)
        value = metrics.measure(objective.metric, scope) if scope.account_id else None
    if value is not None and not objective.is_money:
        value = value.normalize() if value == value.to_integral() else value
    state = state_of(value, objective.target, start, end, today, objective.risk_margin)
    return Progress(value, objective.target, state, objective.target_currency if objective.is_money else "")


def plan_revenue(plan: BusinessPlan, today: date, margin: int = 10) -> Progress:
    """The plan's revenue actual in its currency against its target: the won deals linked to it or to one
    of its sub-plans at any depth (or to their objectives), or, with the "account" basis, every deal of the
    account won in the period (which holds the sub-plans' periods). Sub-plans so roll up to their parent."""
    if plan.revenue_basis == BusinessPlan.RevenueBasis.LINKED:
        plan_ids = tuple(plan.descendant_ids())
    else:
        plan_ids = ()
    scope = metrics.Scope(account_id=plan.account_id, start=plan.period_start, end=plan.period_end,
                          plan_ids=plan_ids, currency=plan.currency)
    value = metrics.measure(Objective.Metric.REVENUE_WON, scope)
    state = state_of(value, plan.revenue_target, plan.period_start, plan.period_end, today, margin)
    return Progress(value, plan.revenue_target, state, plan.currency)


def global_objectives_for(account, on: date, user=None):
    """The live global objectives in force on `on` that apply to `account`: for all accounts, or for its
    territory (or one above it), its industry or its type (each criterion given must match)."""
    found = Objective.objects.filter(plan__isnull=True, period_start__lte=on, period_end__gte=on)
    if user is not None:
        found = found.visible_to(user)
    territory_ids = []
    if account.territory_id:
        from vinculo.org.models import Territory

        path = Territory.objects.filter(pk=account.territory_id).values_list("path", flat=True).first() or ""
        territory_ids = [int(part) for part in path.strip("/").split("/") if part]
    return (found.filter(Q(territory__isnull=True) | Q(territory_id__in=territory_ids))
            .filter(Q(industry__isnull=True) | Q(industry_id=account.industry_id))
            .filter(Q(account_type="") | Q(account_type=account.account_type)))


def executive_contacts(scope: metrics.Scope) -> Decimal:
    """New contacts at executive level (C-level or vice president) of the account created in the period."""
    from vinculo.contacts.models import Contact

    levels = (Contact.ExecutiveLevel.C_LEVEL, Contact.ExecutiveLevel.VP)
    return Decimal(Contact.objects.filter(account_id=scope.account_id, executive_level__in=levels,
                                          created_at__date__gte=scope.start, created_at__date__lte=scope.end).count())
