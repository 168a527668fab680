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


def _objective_scope(objective: Objective, account_id: int | None) -> metrics.Scope | None:
    account_id = objective.plan.account_id if objective.plan_id else account_id
    if account_id is None or objective.metric == Objective.Metric.MANUAL:
        return None
    return metrics.Scope(account_id=account_id, start=objective.start, end=objective.end,
                         objective_id=objective.pk if objective.plan_id else None,
                         activity_kind=objective.activity_kind, currency=objective.target_currency)


def _measured(items: list[tuple[str, metrics.Scope | None]]) -> list[Decimal | None]:
    """The measure of each (metric, scope), None without a scope: one `measure_many` per metric among them."""
    values: list[Decimal | None] = [None] * len(items)
    for metric in {metric for metric, scope in items if scope is not None}:
        indexes = [i for i, (found, scope) in enumerate(items) if found == metric and scope is not None]
        for i, value in zip(indexes, metrics.measure_many(metric, [items[i][1] for i in indexes]), strict=True):
            values[i] = value
    return values


def _objectives_found(objectives: list[Objective], values: list[Decimal | None], today: date) -> list[Progress]:
    found = []
    for objective, value in zip(objectives, values, strict=True):
        if objective.metric == Objective.Metric.MANUAL:
            value = objective.manual_progress
        if value is not None and not objective.is_money and value == value.to_integral():
            value = value.quantize(Decimal(1))
        state = state_of(value, objective.target, objective.start, objective.end, today, objective.risk_margin)
        found.append(Progress(value, objective.target, state, objective.target_currency if objective.is_money else ""))
    return found


def objectives_progress(objectives, today: date, account_id: int | None = None) -> list[Progress]:
    """The progress of each objective: under a plan, from the records linked to it in the plan's period up to
    its due date; a global one, from the matching records of `account_id` in its period. One query per metric
    among them (plus the exchange rates' for revenue in other currencies), whatever their number; the
    objectives' plans must be loaded (select_related)."""
    return plans_progress((), objectives, today, account_id)[1]


def objective_progress(objective: Objective, today: date, account_id: int | None = None) -> Progress:
    return objectives_progress([objective], today, account_id)[0]


def plan_trees(plans) -> dict[int, tuple[int, ...]]:
    """Each plan's id → its id and those of its live sub-plans at every depth: one query for all the
    plans of their accounts."""
    plans = list(plans)
    children: dict[int, list[int]] = {}
    rows = BusinessPlan.objects.filter(account_id__in={plan.account_id for plan in plans}).values_list("pk", "parent_id")
    for pk, parent_id in rows:
        children.setdefault(parent_id, []).append(pk)
    trees = {}
    for plan in plans:
        ids, frontier = [plan.pk], [plan.pk]
        while frontier:
            frontier = [child for pk in frontier for child in children.get(pk, []) if child not in ids]
            ids.extend(frontier)
        trees[plan.pk] = tuple(ids)
    return trees


def _plan_scopes(plans: list[BusinessPlan]) -> list[metrics.Scope]:
    trees = plan_trees(plans) if any(p.revenue_basis == BusinessPlan.RevenueBasis.LINKED for p in plans) else {}
    return [metrics.Scope(account_id=plan.account_id, start=plan.period_start, end=plan.period_end,
                          plan_ids=trees.get(plan.pk, ()) if plan.revenue_basis == BusinessPlan.RevenueBasis.LINKED
                          else (), currency=plan.currency) for plan in plans]


def plans_progress(plans, objectives, today: date, account_id: int | None = None,
                   margin: int = 10) -> tuple[list[Progress], list[Progress]]:
    """`plans_revenue` of `plans` and `objectives_progress` of `objectives`, measured together: the plans'
    revenue and the revenue objectives' are one measure (one query for the won deals, the rates read once)."""
    plans, objectives = list(plans), list(objectives)
    items = [(Objective.Metric.REVENUE_WON, scope) for scope in _plan_scopes(plans)]
    items += [(objective.metric, _objective_scope(objective, account_id)) for objective in objectives]
    values = _measured(items)
    revenues = [Progress(value, plan.revenue_target,
                         state_of(value, plan.revenue_target, plan.period_start, plan.period_end, today, margin),
                         plan.currency) for plan, value in zip(plans, values[:len(plans)], strict=True)]
    return revenues, _objectives_found(objectives, values[len(plans):], today)


def plans_revenue(plans, today: date, margin: int = 10) -> list[Progress]:
    """Each plan's revenue actual in its currency against its target: the won deals linked to it or to one
    of its sub-plans at any depth (or to their objectives), or, with the "account" basis, every deal of the
    account won in the period (which holds the sub-plans' periods). Sub-plans so roll up to their parent.
    Two queries (plus the exchange rates'), whatever the number of plans."""
    return plans_progress(plans, (), today, margin=margin)[0]


def plan_revenue(plan: BusinessPlan, today: date, margin: int = 10) -> Progress:
    return plans_revenue([plan], today, margin)[0]


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


def executive_contacts(scopes: list[metrics.Scope]) -> list[Decimal]:
    """New contacts at executive level (C-level or vice president) of each scope's account created in its
    period, in one query. Contacts are not linked to plans: the account's count."""
    from django.db.models import Count

    from vinculo.contacts.models import Contact

    levels = (Contact.ExecutiveLevel.C_LEVEL, Contact.ExecutiveLevel.VP)
    counts = Contact.objects.filter(account_id__in={scope.account_id for scope in scopes},
                                    executive_level__in=levels).aggregate(**{
        f"n{index}": Count("pk", filter=Q(account_id=scope.account_id, created_at__gte=scope.moments()[0],
                                          created_at__lt=scope.moments()[1]))
        for index, scope in enumerate(scopes)})
    return [Decimal(counts[f"n{index}"]) for index in range(len(scopes))]
