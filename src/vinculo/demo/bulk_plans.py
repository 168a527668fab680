"""The large dataset's business plans, in bulk: enough plans with objectives for the benchmark's plans
overview (`Size.plans` in all, the story plans of demo/plans.py included), on accounts picked at random.

Each picked account gets this year's annual plan (approved, submitted or a draft) and, when approved, two
quarterly sub-plans, also approved; about half get last year's plan too, expired. Each plan has two
objectives (visits, revenue won), its workflow transitions, and a submitted plan an unread notice to its
owner's manager (never e-mailed: bulk writes emit no events). A top-up: it adds only what the database
lacks, so running the demo again, or on a dataset built before plans had volume, makes the rest."""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from vinculo.accounts.models import Account
from vinculo.core import clock, search
from vinculo.org.models import User
from vinculo.plans.models import BusinessPlan, Notification, Objective, PlanTransition

SANTIAGO = ZoneInfo("America/Santiago")
CHUNK = 2000
Status = BusinessPlan.Status
THIS_YEAR_STATUSES = [(Status.APPROVED, 45), (Status.SUBMITTED, 20), (Status.DRAFT, 35)]


def _quarters(year: int) -> list[tuple[date, date]]:
    starts = [date(year, month, 1) for month in (1, 4, 7, 10)]
    ends = [start - timedelta(days=1) for start in starts[1:]] + [date(year, 12, 31)]
    return list(zip(starts, ends, strict=True))


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SANTIAGO)


class _Family:
    """The plans of one account: this year's annual (and its quarters), maybe last year's."""

    def __init__(self, account: dict, rng: random.Random, today: date):
        self.account, self.rng, self.today = account, rng, today
        status = rng.choices([s for s, _ in THIS_YEAR_STATUSES], [w for _, w in THIS_YEAR_STATUSES])[0]
        year = today.year
        self.annual = self._plan(f"{year}", date(year, 1, 1), date(year, 12, 31), status,
                                 BusinessPlan.PeriodType.ANNUAL)
        quarters = [quarter for quarter in _quarters(year) if quarter[0] <= today][-2:]
        self.quarters = [self._plan(f"T{(start.month - 1) // 3 + 1} {year}", start, end, Status.APPROVED,
                                    BusinessPlan.PeriodType.QUARTERLY)
                         for start, end in quarters] if status == Status.APPROVED else []
        self.last_year = (self._plan(f"{year - 1}", date(year - 1, 1, 1), date(year - 1, 12, 31), Status.EXPIRED,
                                     BusinessPlan.PeriodType.ANNUAL) if rng.random() < 0.5 else None)

    def _plan(self, label, start, end, status, period_type) -> BusinessPlan:
        account, millions = self.account, self.rng.randint(20, 900)
        target = Decimal(millions * 1_000_000 if account["currency"] == "CLP" else millions * 1_000)
        if period_type == BusinessPlan.PeriodType.QUARTERLY:
            target = (target / 4).quantize(Decimal(1))
        plan = BusinessPlan(
            account_id=account["pk"], owner_id=account["owner_id"], name=f"Plan {account['name'][:120]} {label}",
            period_type=period_type, period_start=start, period_end=end, status=status,
            revenue_target=target, currency=account["currency"], business_unit_id=account["business_unit_id"],
            revenue_basis=BusinessPlan.RevenueBasis.ACCOUNT, created_by_id=account["owner_id"],
            updated_by_id=account["owner_id"], version={Status.DRAFT: 1, Status.SUBMITTED: 2,
                                                        Status.APPROVED: 3, Status.EXPIRED: 4}[status])
        plan.submitted_on = min(self.today, start + timedelta(days=self.rng.randint(5, 40)))
        return plan

    def plans(self) -> list[BusinessPlan]:
        return [self.annual, *self.quarters, *([self.last_year] if self.last_year else [])]


def _objectives(plan: BusinessPlan, rng: random.Random) -> list[Objective]:
    quarterly = plan.period_type == BusinessPlan.PeriodType.QUARTERLY
    return [
        Objective(plan=plan, name="Visitas a faena" if quarterly else "Visitas técnicas en el año",
                  metric=Objective.Metric.ACTIVITIES, activity_kind="visit",
                  target=Decimal(rng.randint(2, 4) if quarterly else rng.randint(6, 12)), currency=plan.currency,
                  created_by_id=plan.owner_id, updated_by_id=plan.owner_id),
        Objective(plan=plan, name="Ingresos por servicios", metric=Objective.Metric.REVENUE_WON,
                  target=(plan.revenue_target * Decimal("0.3")).quantize(Decimal(1)), currency=plan.currency,
                  created_by_id=plan.owner_id, updated_by_id=plan.owner_id),
    ]


def _workflow(plan: BusinessPlan, managers: dict[int, int | None]) -> tuple[list, list]:
    """The transitions that brought `plan` to its status, and a submitted plan's notice to the reviewer."""
    steps = {Status.DRAFT: [], Status.SUBMITTED: [Status.SUBMITTED], Status.APPROVED: [Status.SUBMITTED, Status.APPROVED],
             Status.EXPIRED: [Status.SUBMITTED, Status.APPROVED, Status.EXPIRED]}[plan.status]
    manager_id = managers.get(plan.owner_id)
    transitions, day, before = [], plan.submitted_on, Status.DRAFT
    for step in steps:
        by_id = plan.owner_id if step == Status.SUBMITTED else (manager_id if step == Status.APPROVED else None)
        at = _at(plan.period_end + timedelta(days=1), 3) if step == Status.EXPIRED else _at(day)
        transitions.append(PlanTransition(plan=plan, from_status=before, to_status=step, by_id=by_id, at=at))
        before, day = step, day + timedelta(days=2)
    notices = []
    if plan.status == Status.SUBMITTED and manager_id:
        notices.append(Notification(recipient_id=manager_id, plan=plan, kind=Notification.Kind.SUBMITTED,
                                    actor_id=plan.owner_id, at=_at(plan.submitted_on)))
    return transitions, notices


def top_up_plans(wanted: int, seed: int, progress=None) -> int:
    """Add plans (with objectives, transitions and notices) until the database holds `wanted`; the number
    added. Bulk inserts, a chunk of plans at a time."""
    missing = wanted - BusinessPlan.all_objects.count()
    if missing <= 0:
        return 0
    rng, today = random.Random(seed * 7919 + 12), clock.today()
    planned = set(BusinessPlan.all_objects.values_list("account_id", flat=True))
    accounts = [row for row in Account.objects.filter(owner__isnull=False).order_by("pk").values(
        "pk", "owner_id", "currency", "business_unit_id", "legal_name", "trade_name") if row["pk"] not in planned]
    rng.shuffle(accounts)
    managers = dict(User.objects.values_list("pk", "manager_id"))
    made = 0
    while made < missing and accounts:
        families = []
        while accounts and made < missing and sum(len(f.plans()) for f in families) < CHUNK:
            account = accounts.pop()
            account["name"] = account["trade_name"] or account["legal_name"]
            family = _Family(account, rng, today)
            if made + len(family.plans()) > missing:  # the last family: only what is still missing
                family.quarters, family.last_year = [], None
            families.append(family)
            made += len(family.plans())
        tops = [plan for family in families for plan in (family.annual, *([family.last_year] if family.last_year else []))]
        BusinessPlan.objects.bulk_create(tops, batch_size=500)
        for family in families:
            for quarter in family.quarters:
                quarter.parent_id = family.annual.pk
        BusinessPlan.objects.bulk_create([q for family in families for q in family.quarters], batch_size=500)
        plans = [plan for family in families for plan in family.plans()]
        Objective.objects.bulk_create([o for plan in plans for o in _objectives(plan, rng)], batch_size=1000)
        transitions, notices = [], []
        for plan in plans:
            found = _workflow(plan, managers)
            transitions += found[0]
            notices += found[1]
        PlanTransition.objects.bulk_create(transitions, batch_size=1000)
        Notification.objects.bulk_create(notices, batch_size=1000)
        if progress:
            progress(f"  plans: {made:,} of {missing:,} added")
    search.rebuild(BusinessPlan)
    return made
