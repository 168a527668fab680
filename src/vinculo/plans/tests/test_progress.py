"""Progress of objectives and plans (issue #12, points 3 and 4), each checked against a count or sum made by
hand in the test: only records linked (or, for global objectives, matching) and dated in the period count;
sub-plans roll up; money is converted at the rate of the day the deal was won."""

import datetime
import zoneinfo
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from vinculo.accounts.tests.factories import AccountFactory, IndustryFactory
from vinculo.activities.models import Activity
from vinculo.contacts.models import Contact
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.org.models import ExchangeRate, Territory
from vinculo.plans import progress
from vinculo.plans.models import BusinessPlan, Objective
from vinculo.sales.models import Opportunity
from vinculo.sales.tests.factories import OpportunityFactory

from .factories import ObjectiveFactory, PlanFactory

pytestmark = pytest.mark.django_db
State = Objective.State
TODAY = date(2026, 6, 1)


def at(day: date, hour: int = 12):
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour))


def activity(account, day, kind="visit", status=Activity.Status.DONE, **links):
    return Activity.objects.create(account=account, owner=account.owner, subject="Visita", kind=kind,
                                   status=status, occurred_at=at(day), **links)


def won(account, day, amount, currency="CLP", **links):
    return OpportunityFactory(account=account, status=Opportunity.Status.WON, closed_on=day,
                              amount=Decimal(amount), currency=currency, **links)


@pytest.fixture
def plan(org):
    return PlanFactory(account=org.north_account, owner=org.vendedor_norte)


# The state rule: a 10-day period, 1 to 10 January; at the end of 5 January half the time has gone.

@pytest.mark.parametrize(("value", "today", "state"), [
    (Decimal(4), date(2026, 1, 5), State.ON_TRACK),  # 40 % done, 50 % elapsed: 10 points behind, the margin
    (Decimal(3), date(2026, 1, 5), State.AT_RISK),  # 20 points behind
    (Decimal(0), date(2025, 12, 31), State.ON_TRACK),  # not started
    (Decimal(10), date(2026, 1, 5), State.ACHIEVED),
    (Decimal(12), date(2026, 1, 11), State.ACHIEVED),
    (Decimal(9), date(2026, 1, 10), State.ON_TRACK),  # last day: 90 % done, 100 % elapsed
    (Decimal(8), date(2026, 1, 10), State.AT_RISK),
    (Decimal(9), date(2026, 1, 11), State.MISSED),
    (None, date(2026, 1, 11), State.MISSED),
])
def test_state_from_progress_time_elapsed_and_margin(value, today, state):
    assert progress.state_of(value, Decimal(10), date(2026, 1, 1), date(2026, 1, 10), today, margin=10) == state


def test_activity_objective_counts_linked_done_activities_of_its_kind_in_the_period(org, plan):
    objective = ObjectiveFactory(plan=plan, target=Decimal(2), due_date=date(2026, 6, 30))
    account = org.north_account
    counted = activity(account, date(2026, 3, 10), objective=objective, plan=plan)
    activity(account, date(2026, 6, 30), objective=objective, plan=plan)  # on the due date: counts
    activity(account, date(2026, 7, 1), objective=objective, plan=plan)  # after the due date
    activity(account, date(2025, 12, 31), objective=objective, plan=plan)  # before the period
    activity(account, date(2026, 3, 11))  # not linked
    activity(account, date(2026, 3, 12), kind="call", objective=objective, plan=plan)  # another kind
    activity(account, date(2026, 3, 13), status=Activity.Status.PLANNED, objective=objective, plan=plan)
    binned = activity(account, date(2026, 3, 14), objective=objective, plan=plan)
    Activity.objects.filter(pk=binned.pk).update(deleted_at=at(TODAY))
    found = progress.objective_progress(objective, TODAY)
    assert (found.value, found.target, found.state, found.percent) == (2, Decimal(2), State.ACHIEVED, 100)
    Activity.objects.filter(pk=counted.pk).update(objective=None)
    found = progress.objective_progress(objective, TODAY)
    # 1 of 2 on 1 June; 152 of 181 days gone (84 %), 50 % done: at risk.
    assert (found.value, found.state, found.percent) == (1, State.AT_RISK, 50)


def test_a_period_runs_from_local_midnight_to_local_midnight(org, plan):
    """Santiago is four hours behind UTC in January and June: 23:30 there on the last day is the next day in
    UTC and still counts; 00:10 there on the day after does not."""
    santiago = zoneinfo.ZoneInfo("America/Santiago")
    visits = ObjectiveFactory(plan=plan, target=Decimal(9), due_date=date(2026, 6, 30))
    created = ObjectiveFactory(plan=plan, metric=Objective.Metric.OPPORTUNITIES_CREATED, activity_kind="",
                               target=Decimal(9), due_date=date(2026, 6, 30))
    moments = {
        datetime.datetime(2025, 12, 31, 23, 50, tzinfo=santiago): False,
        datetime.datetime(2026, 1, 1, 0, 10, tzinfo=santiago): True,
        datetime.datetime(2026, 6, 30, 23, 30, tzinfo=santiago): True,
        datetime.datetime(2026, 7, 1, 0, 10, tzinfo=santiago): False,
    }
    for moment in moments:
        Activity.objects.create(account=org.north_account, owner=org.vendedor_norte, subject="Visita",
                                kind="visit", status=Activity.Status.DONE, occurred_at=moment, objective=visits,
                                plan=plan)
        deal = OpportunityFactory(account=org.north_account, objective=created, plan=plan)
        Opportunity.objects.filter(pk=deal.pk).update(created_at=moment)
    with timezone.override(santiago):
        assert progress.objective_progress(visits, TODAY).value == 2
        assert progress.objective_progress(created, TODAY).value == 2


def test_revenue_won_sums_linked_won_deals_in_the_plans_currency_at_the_dated_rate(org, plan):
    ExchangeRate.objects.create(currency="USD", date=date(2025, 12, 1), rate=Decimal("880"))
    ExchangeRate.objects.create(currency="USD", date=date(2026, 3, 1), rate=Decimal("900"))
    ExchangeRate.objects.create(currency="USD", date=date(2026, 3, 20), rate=Decimal("950"))
    account = org.north_account
    won(account, date(2026, 2, 1), "1000000", plan=plan)
    won(account, date(2026, 3, 15), "100", "USD", plan=plan)  # at 900 on 15 March: 90,000
    won(account, date(2026, 3, 25), "10", "USD", plan=plan)  # at 950: 9,500
    won(account, date(2027, 1, 2), "777", plan=plan)  # after the period
    won(account, date(2026, 4, 1), "500000")  # not linked
    OpportunityFactory(account=account, plan=plan, amount=Decimal("300"))  # open
    OpportunityFactory(account=account, plan=plan, status=Opportunity.Status.LOST, closed_on=date(2026, 4, 1))
    won(org.south_account, date(2026, 4, 1), "40000")  # another account
    assert progress.plan_revenue(plan, TODAY).value == Decimal("1099500")
    plan.revenue_basis = BusinessPlan.RevenueBasis.ACCOUNT
    assert progress.plan_revenue(plan, TODAY).value == Decimal("1599500")
    # In dollars: 1,000,000 CLP at 880 on 1 February (1,136.3636…) + 100 + 10 + 500,000 at 950 on 1 April
    # (526.3157…) = 1,772.6794…, rounded once.
    plan.currency = "USD"
    assert progress.plan_revenue(plan, TODAY).value == Decimal("1772.68")


def test_revenue_objective_counts_deals_linked_to_it(org, plan):
    objective = ObjectiveFactory(plan=plan, metric=Objective.Metric.REVENUE_WON, activity_kind="",
                                 target=Decimal("2000000"))
    won(org.north_account, date(2026, 5, 1), "1500000", objective=objective, plan=plan)
    won(org.north_account, date(2026, 5, 2), "9000", plan=plan)  # the plan's, not the objective's
    found = progress.objective_progress(objective, TODAY)
    assert (found.value, found.currency) == (Decimal("1500000"), "CLP")


def test_no_rate_leaves_revenue_unmeasured_rather_than_wrong(org, plan):
    won(org.north_account, date(2026, 2, 1), "100", "EUR", plan=plan)
    assert progress.plan_revenue(plan, TODAY).value is None


def test_sub_plans_roll_up_to_their_parent(org, plan):
    account = org.north_account
    first = PlanFactory(account=account, owner=org.vendedor_norte, parent=plan, period_type="quarterly",
                        period_start=date(2026, 1, 1), period_end=date(2026, 3, 31), revenue_target=Decimal(400000))
    second = PlanFactory(account=account, owner=org.vendedor_norte, parent=plan, period_type="quarterly",
                         period_start=date(2026, 4, 1), period_end=date(2026, 6, 30), revenue_target=Decimal(300000))
    won(account, date(2026, 2, 1), "300000", plan=first)
    won(account, date(2026, 5, 1), "200000", plan=second)
    objective = ObjectiveFactory(plan=second, metric=Objective.Metric.REVENUE_WON, activity_kind="",
                                 target=Decimal(1))
    won(account, date(2026, 5, 2), "50000", objective=objective, plan=second)
    won(account, date(2026, 9, 1), "100000", plan=plan)
    revenue = {p.name: progress.plan_revenue(p, TODAY).value for p in (plan, first, second)}
    assert revenue == {plan.name: Decimal(650000), first.name: Decimal(300000), second.name: Decimal(250000)}
    assert revenue[plan.name] == revenue[first.name] + revenue[second.name] + Decimal(100000)


def test_opportunities_created_and_executive_contacts(org, plan):
    account = org.north_account
    created = ObjectiveFactory(plan=plan, metric=Objective.Metric.OPPORTUNITIES_CREATED, activity_kind="",
                               target=Decimal(3))
    inside = [OpportunityFactory(account=account, objective=created, plan=plan) for _ in range(2)]
    before = OpportunityFactory(account=account, objective=created, plan=plan)
    OpportunityFactory(account=account, plan=plan)  # linked to the plan only
    Opportunity.objects.filter(pk__in=[deal.pk for deal in inside]).update(created_at=at(date(2026, 2, 2)))
    Opportunity.objects.filter(pk=before.pk).update(created_at=at(date(2025, 12, 31)))
    assert progress.objective_progress(created, TODAY).value == 2

    contacts = ObjectiveFactory(plan=plan, metric=Objective.Metric.EXECUTIVE_CONTACTS, activity_kind="",
                                target=Decimal(2))
    ceo = ContactFactory(account=account, executive_level=Contact.ExecutiveLevel.C_LEVEL)
    vp = ContactFactory(account=account, executive_level=Contact.ExecutiveLevel.VP)
    ContactFactory(account=account, executive_level=Contact.ExecutiveLevel.MANAGER)
    ContactFactory(account=org.south_account, executive_level=Contact.ExecutiveLevel.C_LEVEL)
    old = ContactFactory(account=account, executive_level=Contact.ExecutiveLevel.C_LEVEL)
    Contact.objects.filter(pk__in=[ceo.pk, vp.pk]).update(created_at=at(date(2026, 3, 3)))
    Contact.objects.filter(pk=old.pk).update(created_at=at(date(2025, 6, 1)))
    Contact.objects.exclude(pk__in=[ceo.pk, vp.pk, old.pk]).update(created_at=at(date(2026, 3, 4)))
    # Executive level is C-level or vice president: the CEO and the VP of this account; the manager is not.
    assert progress.objective_progress(contacts, TODAY).value == 2


def test_manual_objective_reads_its_recorded_progress(plan):
    objective = ObjectiveFactory(plan=plan, metric=Objective.Metric.MANUAL, activity_kind="", target=Decimal(4),
                                 manual_progress=Decimal(4))
    assert progress.objective_progress(objective, TODAY).state == State.ACHIEVED


def test_global_objectives_apply_to_the_accounts_they_name_and_only_there(org):
    chile = Territory.objects.create(name="Chile", kind="country")
    north = Territory.objects.create(name="Norte", kind="region", parent=chile)
    antofagasta = Territory.objects.create(name="Antofagasta", kind="zone", parent=north)
    south = Territory.objects.create(name="Sur", kind="region", parent=chile)
    mining = IndustryFactory(name="Minería")
    in_north = AccountFactory(owner=org.vendedor_norte, territory=antofagasta, industry=mining)
    in_south = AccountFactory(owner=org.vendedor_sur, territory=south, industry=mining, account_type="prospect")
    period = {"plan": None, "period_start": date(2026, 1, 1), "period_end": date(2026, 12, 31)}
    everyone = ObjectiveFactory(name="Todas", **period)
    northern = ObjectiveFactory(name="Norte", territory=north, **period)
    miners = ObjectiveFactory(name="Mineras", industry=mining, **period)
    customers = ObjectiveFactory(name="Clientes", account_type="customer", **period)
    ObjectiveFactory(name="Pasada", plan=None, period_start=date(2025, 1, 1), period_end=date(2025, 12, 31))

    def names(account):
        return set(progress.global_objectives_for(account, TODAY).values_list("name", flat=True))

    assert names(in_north) == {"Todas", "Norte", "Mineras", "Clientes"}
    assert names(in_south) == {"Todas", "Mineras"}
    assert names(org.north_account) == {"Todas", "Clientes"}
    assert {everyone.pk, northern.pk, miners.pk, customers.pk} >= set(
        progress.global_objectives_for(in_north, TODAY).values_list("pk", flat=True))

    # A global objective counts the matching records of each account, linked or not.
    activity(in_north, date(2026, 2, 1))
    activity(in_north, date(2026, 2, 2))
    activity(in_south, date(2026, 2, 3))
    activity(in_south, date(2025, 2, 3))
    assert progress.objective_progress(everyone, TODAY, account_id=in_north.pk).value == 2
    assert progress.objective_progress(everyone, TODAY, account_id=in_south.pk).value == 1
