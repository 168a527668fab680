import datetime
from decimal import Decimal
from unittest import mock

import pytest

from vinculo.reports.engine import Aggregate, Definition, Filter, ReportError, run
from vinculo.sales.models import Opportunity
from vinculo.sales.tests.factories import OpportunityFactory, default_pipeline

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 5, 14)  # a Thursday in the second quarter


@pytest.fixture
def today():
    with mock.patch("vinculo.core.clock.today", return_value=TODAY):
        yield TODAY


def _deal(org, owner, account, stage, amount, currency="CLP", **extra):
    return OpportunityFactory(owner=owner, account=account, stage=stage, amount=Decimal(amount), currency=currency,
                              **extra)


def test_pipeline_sums_per_currency_and_counts_only_the_readers_deals(org):
    first, second = default_pipeline()[:2]
    _deal(org, org.vendedor_norte, org.north_account, first, "100")
    _deal(org, org.vendedor_norte, org.north_account, first, "50")
    _deal(org, org.vendedor_norte, org.north_account, second, "7", currency="USD")
    _deal(org, org.vendedor_sur, org.south_account, first, "1000")
    definition = Definition("opportunity", columns=["name", "account", "stage", "amount"], group_by=["stage"],
                            aggregates=[Aggregate("amount", "sum")])
    north = run(definition, org.vendedor_norte)
    assert [(g.label, g.count, g.values["sum:amount"]) for g in north.groups] == [
        (first.name, 2, {"CLP": Decimal("150")}), (second.name, 1, {"USD": Decimal("7")})]
    assert (north.total.count, north.total.values["sum:amount"]) == (3, {"CLP": Decimal("150"), "USD": Decimal("7")})
    director = run(definition, org.director)
    assert (director.total.count, director.total.values["sum:amount"]) == (
        4, {"CLP": Decimal("1150"), "USD": Decimal("7")})


def test_query_count_does_not_grow_with_rows(org, django_assert_max_num_queries):
    stages = default_pipeline()
    definition = Definition("opportunity", columns=["name", "account", "account.territory", "owner", "amount"],
                            group_by=["stage", "owner"], aggregates=[Aggregate("amount", "sum")])
    for index in range(3):
        _deal(org, org.vendedor_norte, org.north_account, stages[index % 3], "10")
    with django_assert_max_num_queries(8) as few:
        run(definition, org.gerente_norte)
    for index in range(30):
        _deal(org, org.vendedor_norte2, org.north_account, stages[index % 3], "10")
        _deal(org, org.vendedor_sur, org.south_account, stages[index % 3], "10")
    with django_assert_max_num_queries(len(few.captured_queries)):
        result = run(definition, org.gerente_norte)
    assert result.total.count == 33


def test_relative_dates_bound_the_period_on_both_ends(org, today):
    stage = default_pipeline()[0]
    for day in (datetime.date(2026, 3, 31), datetime.date(2026, 4, 1), datetime.date(2026, 6, 30),
                datetime.date(2026, 7, 1), datetime.date(2026, 4, 15), datetime.date(2026, 5, 14)):
        _deal(org, org.vendedor_norte, org.north_account, stage, "1", expected_close_date=day)

    def count(op, value=None):
        return run(Definition("opportunity", filters=[Filter("expected_close_date", op, value)]), org.admin).total.count

    assert count("this_quarter") == 4  # 1 Apr, 15 Apr, 14 May, 30 Jun
    assert count("this_month") == 1
    assert count("today") == 1
    assert count("last_days", 30) == 2  # 15 Apr … 14 May
    assert count("last_days", 29) == 1  # 16 Apr … 14 May
    assert count("next_days", 47) == 2  # 14 May … 30 Jun
    assert count("before_today") == 3


def test_related_record_the_reader_may_not_see_reads_hidden(org):
    stage = default_pipeline()[0]
    # Rep North owns a deal on the southern account, which he may not open.
    _deal(org, org.vendedor_norte, org.south_account, stage, "5")
    result = run(Definition("opportunity", columns=["name", "account"], group_by=["account"]), org.vendedor_norte)
    assert result.rows[0]["account"][1] == "a record you cannot see"
    assert result.groups[0].label == "a record you cannot see"


@pytest.mark.parametrize("definition, field", [
    (Definition("nothing"), "record_type"),
    (Definition("opportunity", columns=["password"]), "columns"),
    (Definition("opportunity", filters=[Filter("amount", "gt", "lots")]), "filters"),
    (Definition("opportunity", filters=[Filter("amount", "teleport", "1")]), "filters"),
    (Definition("opportunity", filters=[Filter("name", "this_month")]), "filters"),
    (Definition("opportunity", group_by=["stage", "owner", "account"]), "group_by"),
    (Definition("opportunity", group_by=["name:month"]), "group_by"),
    (Definition("opportunity", aggregates=[Aggregate("name", "sum")]), "aggregates"),
])
def test_bad_definitions_are_refused_with_the_part_at_fault(org, definition, field):
    with pytest.raises(ReportError) as refused:
        run(definition, org.vendedor_norte)
    assert refused.value.field == field


def test_mine_and_my_team(org):
    stage = default_pipeline()[0]
    _deal(org, org.vendedor_norte, org.north_account, stage, "1")
    _deal(org, org.gerente_norte, org.north_account, stage, "1")
    _deal(org, org.vendedor_sur, org.south_account, stage, "1")
    assert run(Definition("opportunity", filters=[Filter("owner", "mine")]), org.gerente_norte).total.count == 1
    assert run(Definition("opportunity", filters=[Filter("owner", "my_team")]), org.gerente_norte).total.count == 2
    assert Opportunity.objects.count() == 3


def test_a_moment_compared_with_a_day_is_the_day_it_falls_on(org):
    from django.utils import timezone

    from vinculo.activities.models import Activity

    for hour in (0, 23):
        Activity.objects.create(owner=org.vendedor_norte, account=org.north_account, subject="Llamada",
                                occurred_at=timezone.make_aware(datetime.datetime(2026, 5, 11, hour, 30)))
    Activity.objects.create(owner=org.vendedor_norte, account=org.north_account, subject="Llamada",
                            occurred_at=timezone.make_aware(datetime.datetime(2026, 5, 12, 0, 30)))

    def count(op, value):
        return run(Definition("activity", filters=[Filter("occurred_at", op, value)]), org.admin).total.count

    assert count("eq", "2026-05-11") == 2
    assert count("between", ["2026-05-11", "2026-05-12"]) == 3
    assert count("gt", "2026-05-11") == 1
