import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.plans.models import BusinessPlan, Objective


class PlanFactory(DjangoModelFactory):
    class Meta:
        model = BusinessPlan

    account = factory.SubFactory(AccountFactory)
    owner = factory.SelfAttribute("account.owner")
    name = factory.Sequence(lambda n: f"Plan {n}")
    period_type = BusinessPlan.PeriodType.ANNUAL
    period_start = datetime.date(2026, 1, 1)
    period_end = datetime.date(2026, 12, 31)
    revenue_target = Decimal("10000000")
    currency = "CLP"


class ObjectiveFactory(DjangoModelFactory):
    class Meta:
        model = Objective

    plan = factory.SubFactory(PlanFactory)
    name = factory.Sequence(lambda n: f"Objective {n}")
    metric = Objective.Metric.ACTIVITIES
    activity_kind = "visit"
    target = Decimal(2)
