"""The ten predefined reports, each run by two users who see different rows; every subtotal and total below
is worked out by hand from the records the test creates."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from vinculo.accounts.tests.factories import InvoiceFactory
from vinculo.activities.models import Activity
from vinculo.customer360.tests.factories import ContractFactory
from vinculo.reports.engine import run
from vinculo.reports.predefined import BY_SLUG, PREDEFINED
from vinculo.sales.models import OpportunityCompetitor
from vinculo.sales.tests.factories import (
    CompetitorFactory,
    LeadFactory,
    OpportunityFactory,
    QuoteFactory,
    default_pipeline,
)
from vinculo.work.tests.factories import log, make_project, make_task

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 5, 14)


@pytest.fixture(autouse=True)
def today():
    with mock.patch("vinculo.core.clock.today", return_value=TODAY):
        yield TODAY


def report(slug, user):
    return run(BY_SLUG[slug].build(), user)


def summary(result, key):
    return [(group.label, group.count, group.values.get(key)) for group in result.groups]


def clp(amount):
    return {"CLP": Decimal(amount)}


def test_there_are_ten():
    assert len(PREDEFINED) == 10 and len(BY_SLUG) == 10


def deal(owner, account, amount, stage=None, **extra):
    return OpportunityFactory(owner=owner, account=account, amount=Decimal(amount),
                              stage=stage or default_pipeline()[0], **extra)


def won(owner, account, amount, closed_on, **extra):
    return deal(owner, account, amount, status="won", closed_on=closed_on, **extra)


def lost(owner, account, amount, closed_on=TODAY, **extra):
    return deal(owner, account, amount, status="lost", closed_on=closed_on, **extra)


def test_pipeline_by_stage(org):
    first, second = default_pipeline()[:2]
    deal(org.vendedor_norte, org.north_account, "100", first)
    deal(org.vendedor_norte, org.north_account, "50", first)
    deal(org.vendedor_norte, org.north_account, "7", second, currency="USD")
    won(org.vendedor_norte, org.north_account, "999", TODAY)  # won: not in the pipeline
    deal(org.vendedor_sur, org.south_account, "1000", first)

    north = report("pipeline-by-stage", org.vendedor_norte)
    assert summary(north, "sum:amount") == [(first.name, 2, clp(150)), (second.name, 1, {"USD": Decimal(7)})]
    assert (north.total.count, north.total.values["sum:amount"]) == (3, {"CLP": Decimal(150), "USD": Decimal(7)})
    director = report("pipeline-by-stage", org.director)
    assert summary(director, "sum:amount") == [(first.name, 3, clp(1150)), (second.name, 1, {"USD": Decimal(7)})]
    assert (director.total.count, director.total.values["sum:amount"]) == (4, {"CLP": Decimal(1150),
                                                                                "USD": Decimal(7)})


def test_won_revenue_by_month_and_owner(org):
    won(org.vendedor_norte, org.north_account, "100", datetime.date(2026, 3, 1))
    won(org.vendedor_norte, org.north_account, "200", datetime.date(2026, 3, 31))
    won(org.vendedor_norte2, org.north_account, "50", datetime.date(2026, 4, 1))
    won(org.vendedor_sur, org.south_account, "1000", datetime.date(2026, 3, 10))
    deal(org.vendedor_norte, org.north_account, "77")  # open
    lost(org.vendedor_norte, org.north_account, "88")

    north = report("won-revenue-by-month-and-owner", org.vendedor_norte)  # his account's deals, his colleague's too
    assert summary(north, "sum:amount") == [("03-2026", 2, clp(300)), ("04-2026", 1, clp(50))]
    assert [(c.label, c.count, c.values["sum:amount"]) for c in north.groups[0].children] == [
        (str(org.vendedor_norte), 2, clp(300))]
    assert (north.total.count, north.total.values["sum:amount"]) == (3, clp(350))
    director = report("won-revenue-by-month-and-owner", org.director)
    assert summary(director, "sum:amount") == [("03-2026", 3, clp(1300)), ("04-2026", 1, clp(50))]
    assert [(c.label, c.count, c.values["sum:amount"]) for c in director.groups[0].children] == [
        (str(org.vendedor_norte), 2, clp(300)), (str(org.vendedor_sur), 1, clp(1000))]
    assert (director.total.count, director.total.values["sum:amount"]) == (4, clp(1350))


def test_win_rate_by_source(org):
    won(org.vendedor_norte, org.north_account, "1", TODAY, source="web")
    lost(org.vendedor_norte, org.north_account, "1", source="web")
    lost(org.vendedor_norte, org.north_account, "1", source="web")
    won(org.vendedor_norte, org.north_account, "1", TODAY, source="referral")
    deal(org.vendedor_norte, org.north_account, "1", source="web")  # open: not decided
    won(org.vendedor_sur, org.south_account, "1", TODAY, source="web")
    won(org.vendedor_sur, org.south_account, "1", TODAY, source="web")

    north = report("win-rate-by-source", org.vendedor_norte)
    assert [(g.label, g.count, g.values["sum:won"], float(g.values["avg:won"])) for g in north.groups] == [
        ("Referral", 1, 1, 1.0), ("Website", 3, 1, pytest.approx(1 / 3))]
    assert (north.total.count, north.total.values["sum:won"], float(north.total.values["avg:won"])) == (4, 2, 0.5)
    director = report("win-rate-by-source", org.director)
    assert [(g.label, g.count, g.values["sum:won"], float(g.values["avg:won"])) for g in director.groups] == [
        ("Referral", 1, 1, 1.0), ("Website", 5, 3, 0.6)]
    assert (director.total.count, float(director.total.values["avg:won"])) == (6, pytest.approx(4 / 6))


def test_deals_by_competitor(org):
    alfa, beta = CompetitorFactory(name="Alfa SA"), CompetitorFactory(name="Beta SA")
    one = won(org.vendedor_norte, org.north_account, "100", TODAY)
    two = lost(org.vendedor_norte, org.north_account, "200")
    three = lost(org.vendedor_sur, org.south_account, "1000")
    deal(org.vendedor_norte, org.north_account, "5")  # no competitor: not in the report
    for opportunity, competitor in ((one, alfa), (two, alfa), (two, beta), (three, beta)):
        OpportunityCompetitor.objects.create(opportunity=opportunity, competitor=competitor)

    north = report("deals-by-competitor", org.vendedor_norte)
    assert summary(north, "sum:amount") == [("Alfa SA", 2, clp(300)), ("Beta SA", 1, clp(200))]
    assert [(c.label, c.count) for c in north.groups[0].children] == [("Lost", 1), ("Won", 1)]
    assert (north.total.count, north.total.values["sum:amount"]) == (2, clp(300))  # two deals
    director = report("deals-by-competitor", org.director)
    assert summary(director, "sum:amount") == [("Alfa SA", 2, clp(300)), ("Beta SA", 2, clp(1200))]
    assert [(c.label, c.count, c.values["sum:amount"]) for c in director.groups[1].children] == [
        ("Lost", 2, clp(1200))]
    assert (director.total.count, director.total.values["sum:amount"]) == (3, clp(1300))


def test_overdue_invoices_by_account_hides_amounts_without_the_permission(org, settings):
    settings.VINCULO = {**settings.VINCULO, "INVOICE_AMOUNTS_RESTRICTED": True}
    day = datetime.date
    InvoiceFactory(account=org.north_account, due_date=day(2026, 5, 13), amount=Decimal(100))  # one day late
    InvoiceFactory(account=org.north_account, due_date=TODAY, amount=Decimal(300))  # due today: not late
    InvoiceFactory(account=org.north_account, due_date=day(2026, 4, 1), amount=Decimal(70), balance=Decimal(40),
                   status="partially_paid")
    InvoiceFactory(account=org.north_account, due_date=day(2026, 4, 1), amount=Decimal(70), balance=Decimal(0),
                   status="paid")
    InvoiceFactory(account=org.north_account, due_date=day(2026, 4, 1), amount=Decimal(9), status="draft")
    InvoiceFactory(account=org.south_account, due_date=day(2026, 1, 1), amount=Decimal(500))

    north = report("overdue-invoices-by-account", org.vendedor_norte)
    assert summary(north, "sum:balance") == [("Minera Norte Grande SpA", 2, None)]
    assert (north.total.count, north.total.values["sum:balance"]) == (2, None)
    assert {row["balance"] for row in north.rows} == {(None, "")}
    finance = report("overdue-invoices-by-account", org.finance)
    assert summary(finance, "sum:balance") == [("Minera Norte Grande SpA", 2, clp(140)),
                                               ("Pesquera Sur Austral SpA", 1, clp(500))]
    assert (finance.total.count, finance.total.values["sum:balance"]) == (3, clp(640))
    assert sorted(row["balance"][0] for row in finance.rows) == [Decimal(40), Decimal(100), Decimal(500)]


def _activity(owner, account, when, status="done"):
    return Activity.objects.create(owner=owner, account=account, subject="Visita", status=status,
                                   occurred_at=timezone.make_aware(datetime.datetime.combine(when, datetime.time(12))))


def test_activities_per_rep_per_week(org):
    monday, previous_monday = datetime.date(2026, 5, 11), datetime.date(2026, 5, 4)
    _activity(org.vendedor_norte, org.north_account, monday)
    _activity(org.vendedor_norte, org.north_account, datetime.date(2026, 5, 17))  # Sunday: the same week
    _activity(org.vendedor_norte, org.north_account, datetime.date(2026, 5, 10))  # Sunday: the week before
    _activity(org.vendedor_norte, org.north_account, monday, status="planned")  # not done
    _activity(org.vendedor_sur, org.south_account, monday)

    def weeks(group):
        return [(child.key.date() if isinstance(child.key, datetime.datetime) else child.key, child.count)
                for child in group.children]

    north = report("activities-per-rep-per-week", org.vendedor_norte)
    assert [(g.label, g.count) for g in north.groups] == [(str(org.vendedor_norte), 3)]
    assert weeks(north.groups[0]) == [(previous_monday, 1), (monday, 2)]
    assert north.total.count == 3
    director = report("activities-per-rep-per-week", org.director)
    assert [(g.label, g.count) for g in director.groups] == [(str(org.vendedor_norte), 3), (str(org.vendedor_sur), 1)]
    assert weeks(director.groups[1]) == [(monday, 1)]
    assert director.total.count == 4


def test_time_per_customer(org):
    north_task = make_task(org.vendedor_norte, project=make_project(org.north_account, org.vendedor_norte))
    south_task = make_task(org.vendedor_sur, project=make_project(org.south_account, org.vendedor_sur))
    log(north_task, org.vendedor_norte, minutes=30)
    log(north_task, org.vendedor_norte, minutes=45)
    log(south_task, org.vendedor_sur, minutes=60)

    north = report("time-per-customer", org.vendedor_norte)
    assert summary(north, "sum:minutes") == [("Minera Norte Grande SpA", 2, 75)]
    assert (north.total.count, north.total.values["sum:minutes"]) == (2, 75)
    director = report("time-per-customer", org.director)
    assert sorted(summary(director, "sum:minutes")) == [("Minera Norte Grande SpA", 2, 75),
                                                        ("Pesquera Sur Austral SpA", 1, 60)]
    assert (director.total.count, director.total.values["sum:minutes"]) == (3, 135)


def test_leads_by_source_and_status(org):
    for source, status in (("web", "new"), ("web", "new"), ("web", "contacted"), ("referral", "new")):
        LeadFactory(owner=org.vendedor_norte, source=source, status=status)
    LeadFactory(owner=org.vendedor_sur, source="web", status="new")

    north = report("leads-by-source-and-status", org.vendedor_norte)
    assert [(g.label, g.count) for g in north.groups] == [("Referral", 1), ("Website", 3)]
    assert [(c.label, c.count) for c in north.groups[1].children] == [("Contacted", 1), ("New", 2)]
    assert north.total.count == 4
    director = report("leads-by-source-and-status", org.director)
    assert [(g.label, g.count) for g in director.groups] == [("Referral", 1), ("Website", 4)]
    assert [(c.label, c.count) for c in director.groups[1].children] == [("Contacted", 1), ("New", 3)]
    assert director.total.count == 5


def test_quotes_by_status(org):
    north_deal = deal(org.vendedor_norte, org.north_account, "1")
    south_deal = deal(org.vendedor_sur, org.south_account, "1")
    for opportunity, status, total in ((north_deal, "draft", 100), (north_deal, "sent", 200),
                                       (north_deal, "sent", 50), (south_deal, "draft", 1000)):
        QuoteFactory(opportunity=opportunity, status=status, total=Decimal(total))

    north = report("quotes-by-status", org.vendedor_norte)
    assert summary(north, "sum:total") == [("Draft", 1, clp(100)), ("Sent", 2, clp(250))]
    assert (north.total.count, north.total.values["sum:total"]) == (3, clp(350))
    director = report("quotes-by-status", org.director)
    assert summary(director, "sum:total") == [("Draft", 2, clp(1100)), ("Sent", 2, clp(250))]
    assert (director.total.count, director.total.values["sum:total"]) == (4, clp(1350))


def test_contracts_renewing_by_quarter(org):
    day = datetime.date
    ContractFactory(account=org.north_account, end_date=day(2026, 3, 31), value=Decimal(100))  # last day of Q1
    ContractFactory(account=org.north_account, end_date=day(2026, 4, 1), value=Decimal(200))  # first day of Q2
    ContractFactory(account=org.north_account, end_date=day(2026, 6, 30), value=Decimal(50))
    ContractFactory(account=org.north_account, end_date=day(2026, 5, 1), value=Decimal(9), status="expired")
    ContractFactory(account=org.north_account, end_date=None, value=Decimal(9))  # open-ended
    ContractFactory(account=org.south_account, end_date=day(2026, 2, 1), value=Decimal(1000))

    north = report("contracts-renewing-by-quarter", org.vendedor_norte)
    assert summary(north, "sum:value") == [("Q1 2026", 1, clp(100)), ("Q2 2026", 2, clp(250))]
    assert (north.total.count, north.total.values["sum:value"]) == (3, clp(350))
    director = report("contracts-renewing-by-quarter", org.director)
    assert summary(director, "sum:value") == [("Q1 2026", 2, clp(1100)), ("Q2 2026", 2, clp(250))]
    assert (director.total.count, director.total.values["sum:value"]) == (4, clp(1350))
