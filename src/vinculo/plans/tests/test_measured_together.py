"""A plan's revenue and its objectives' progress measured together (progress.plans_progress): the same figures
as measured one by one, each converted at the rate of the day the deal was won, with the won deals and the
exchange rates read once per page; a rate changed between two requests shows on the next one."""

import datetime
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from vinculo.activities.models import Activity
from vinculo.org.models import ExchangeRate
from vinculo.plans import progress
from vinculo.plans.models import BusinessPlan, Objective
from vinculo.sales.models import Opportunity
from vinculo.sales.tests.factories import OpportunityFactory

from .factories import ObjectiveFactory, PlanFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 1)
NOW = timezone.make_aware(datetime.datetime(2026, 6, 1, 12))


@pytest.fixture(autouse=True)
def june(monkeypatch):
    monkeypatch.setattr("vinculo.core.clock.now", lambda: NOW)


@pytest.fixture
def rates(db):
    for day, rate in [(date(2025, 12, 1), "880"), (date(2026, 3, 1), "900"), (date(2026, 3, 20), "950")]:
        ExchangeRate.objects.create(currency="USD", date=day, rate=Decimal(rate))


def won(account, day, amount, currency="CLP", **links):
    return OpportunityFactory(
        account=account,
        status=Opportunity.Status.WON,
        closed_on=day,
        amount=Decimal(amount),
        currency=currency,
        **links,
    )


@pytest.fixture
def measured(org, rates):
    """An approved plan of 2026 in pesos (10,000,000 target) with a revenue objective (2,000,000) and a visits
    objective (4), and what was won: linked to the plan, 1,000,000 CLP on 1 February and 100 USD on 15 March
    (at 900: 90,000); linked to the objective, 1,000 USD on 25 March (at 950: 950,000) and 200 USD on 2 March
    (at 900: 180,000); not linked, 500,000 CLP."""
    plan = PlanFactory(
        account=org.north_account,
        owner=org.vendedor_norte,
        status=BusinessPlan.Status.APPROVED,
        revenue_basis=BusinessPlan.RevenueBasis.LINKED,
    )
    revenue = ObjectiveFactory(
        plan=plan,
        name="Ingresos",
        metric=Objective.Metric.REVENUE_WON,
        activity_kind="",
        target=Decimal("2000000"),
    )
    visits = ObjectiveFactory(plan=plan, name="Visitas", target=Decimal(4))
    account = org.north_account
    won(account, date(2026, 2, 1), "1000000", plan=plan)
    won(account, date(2026, 3, 15), "100", "USD", plan=plan)
    won(account, date(2026, 3, 25), "1000", "USD", plan=plan, objective=revenue)
    won(account, date(2026, 3, 2), "200", "USD", plan=plan, objective=revenue)
    won(account, date(2026, 4, 1), "500000")
    Activity.objects.create(
        account=account,
        owner=org.vendedor_norte,
        subject="Visita",
        kind="visit",
        status=Activity.Status.DONE,
        occurred_at=NOW - datetime.timedelta(days=3),
        plan=plan,
        objective=visits,
    )
    return plan, revenue, visits


def test_plans_and_objectives_measured_together_equal_the_figures_by_hand_with_one_read(measured):
    plan, revenue, visits = measured
    objectives = [revenue, visits]
    with CaptureQueriesContext(connection) as captured:
        revenues, found = progress.plans_progress([plan], objectives, TODAY)
    # The plan counts its linked deals and its objectives' (they are linked to the plan too).
    assert revenues[0].value == Decimal("1000000") + 90_000 + 950_000 + 180_000
    assert [found[0].value, found[1].value] == [Decimal("1130000"), 1]
    assert (found[0].currency, found[1].currency) == ("CLP", "")
    deal_reads = [q for q in captured.captured_queries if 'FROM "sales_opportunity"' in q["sql"]]
    assert len(deal_reads) == 1
    assert [p.value for p in progress.plans_revenue([plan], TODAY)] == [revenues[0].value]
    assert [p.value for p in progress.objectives_progress(objectives, TODAY)] == [
        found[0].value,
        found[1].value,
    ]


def test_the_overview_shows_the_dated_revenue_reads_the_rates_once_and_a_new_rate_on_the_next_request(
    client, org, measured
):
    plan, revenue, visits = measured
    client.force_login(org.gerente_norte)
    url = reverse("plans:overview")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    # At 1 June 42 % of the year has gone: 2,220,000 of 10,000,000 is at risk, 1,130,000 of 2,000,000 is not
    # (1 visit of 4 is).
    assert [(p.pk, p.revenue.value) for p in response.context["at_risk_plans"]] == [
        (plan.pk, Decimal("2220000"))
    ]
    assert response.context["at_risk_objectives"] == [visits]
    rate_reads = [q for q in captured.captured_queries if 'FROM "org_exchangerate"' in q["sql"]]
    assert (
        len(rate_reads) == 2
    )  # the period's USD rates and the one before it, for the plan and its objective
    ExchangeRate.objects.filter(currency="USD", date=date(2026, 3, 20)).update(rate=Decimal("1000"))
    response = client.get(url)
    # The 1,000 USD of 25 March now at 1,000: 1,000,000 + 90,000 + 1,000,000 + 180,000.
    assert response.context["at_risk_plans"][0].revenue.value == Decimal("2270000")


def test_the_account_section_measures_plans_objectives_and_global_objectives_with_one_read_of_the_deals(
    client, org, measured
):
    plan, revenue, _visits = measured
    everyone = Objective.objects.create(
        name="Ingresos de todos",
        metric=Objective.Metric.REVENUE_WON,
        target=Decimal("1000"),
        currency="USD",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    client.force_login(org.vendedor_norte)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("accounts:related", args=[org.north_account.pk, "plans"]))
    assert response.status_code == 200
    deal_reads = [
        q
        for q in captured.captured_queries
        if 'FROM "sales_opportunity"' in q["sql"] and "\"status\" = 'won'" in q["sql"]
    ]
    assert len(deal_reads) == 1
    html = response.content.decode()
    assert f'href="{plan.get_absolute_url()}"' in html and revenue.name in html and everyone.name in html
    # Every won deal of the account in 2026, in dollars at each day's rate: 1,000,000 CLP at 880, 100 at 900
    # (USD), 1,000 and 200 USD, 500,000 CLP at 950 on 1 April: 1,136.36… + 1,300 + 526.31… = 2,962.68.
    assert response.context["plans"].global_objectives[0].progress.value == Decimal("2962.68")
