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


def test_hidden_related_record_is_not_named_in_any_group_level_nor_output(org):
    from io import BytesIO

    import openpyxl
    from pypdf import PdfReader

    from vinculo.reports.output import to_csv, to_pdf, to_xlsx

    first, second = default_pipeline()[:2]
    _deal(org, org.vendedor_norte, org.north_account, first, "10")
    _deal(org, org.vendedor_norte, org.south_account, second, "5")  # his deal, on an account he may not open
    result = run(Definition("opportunity", columns=["name", "account", "amount"], group_by=["owner", "account"],
                            aggregates=[Aggregate("amount", "sum")]), org.vendedor_norte)
    children = result.groups[0].children
    # The visible account first, the hidden one last (not placed by its name), counted but not named.
    assert [(child.label, child.count) for child in children] == [
        ("Minera Norte Grande SpA", 1), ("a record you cannot see", 1)]
    workbook = openpyxl.load_workbook(BytesIO(to_xlsx(result, "r")))
    cells = {str(cell.value) for sheet in workbook for row in sheet.iter_rows() for cell in row}
    pdf = "".join(page.extract_text() for page in PdfReader(BytesIO(to_pdf(result, "r"))).pages)
    for text in ("\n".join(cells), pdf, to_csv(result)):
        assert "Pesquera" not in text
    assert "Pesquera" not in repr(result.groups)
    director = run(Definition("opportunity", group_by=["account"]), org.director)
    assert [group.label for group in director.groups] == ["Minera Norte Grande SpA", "Pesquera Sur Austral SpA"]


def _competitors(org):
    """D1 (100) lost to Alfa and to Beta, D2 (30) won against Alfa, D3 (5) without a competitor."""
    from vinculo.sales.models import OpportunityCompetitor
    from vinculo.sales.tests.factories import CompetitorFactory

    stage = default_pipeline()[0]
    alfa, beta = CompetitorFactory(name="Alfa SA"), CompetitorFactory(name="Beta SA")
    one = _deal(org, org.vendedor_norte, org.north_account, stage, "100")
    two = _deal(org, org.vendedor_norte, org.north_account, stage, "30")
    _deal(org, org.vendedor_norte, org.north_account, stage, "5")
    for deal, competitor, result in ((one, alfa, "they_won"), (one, beta, "they_won"), (two, alfa, "we_won")):
        OpportunityCompetitor.objects.create(opportunity=deal, competitor=competitor, result=result)
    return stage


def test_grouping_across_a_to_many_relation_counts_each_record_once_per_group(org):
    _competitors(org)
    result = run(Definition("opportunity", group_by=["competitor_entries.result"],
                            aggregates=[Aggregate("amount", "sum"), Aggregate("amount", "avg")]), org.vendedor_norte)
    # D1 has two "they won" entries: one deal of 100 in "They won", not two of 200.
    assert [(g.label, g.count, g.values["sum:amount"]) for g in result.groups] == [
        ("—", 1, {"CLP": Decimal("5.00")}), ("They won", 1, {"CLP": Decimal("100.00")}),
        ("We won", 1, {"CLP": Decimal("30.00")})]
    assert result.groups[1].values["avg:amount"] == {"CLP": Decimal("100.00")}
    assert (result.total.count, result.total.values["sum:amount"]) == (3, {"CLP": Decimal("135.00")})


def test_filtering_across_a_to_many_relation_counts_each_record_once(org):
    stage = _competitors(org)
    definition = Definition("opportunity", columns=["name", "amount"],
                            filters=[Filter("competitor_entries.result", "eq", "they_won")], group_by=["stage"],
                            aggregates=[Aggregate("amount", "sum")])
    result = run(definition, org.vendedor_norte)
    assert [(g.label, g.count, g.values["sum:amount"]) for g in result.groups] == [
        (stage.name, 1, {"CLP": Decimal("100.00")})]
    assert (result.total.count, result.total.values["sum:amount"]) == (1, {"CLP": Decimal("100.00")})
    assert len(result.rows) == 1
    assert len(run(definition, org.vendedor_norte, limit=5000).rows) == 1  # an export: once too
    # Grouped by competitor: D1 in each of its two groups, once; the total counts it once.
    by_competitor = run(Definition("opportunity", filters=[Filter("competitor_entries.result", "eq", "they_won")],
                                   group_by=["competitor_entries.competitor"], aggregates=[Aggregate("amount", "sum")]),
                        org.vendedor_norte)
    assert [(g.label, g.count, g.values["sum:amount"]) for g in by_competitor.groups] == [
        ("Alfa SA", 1, {"CLP": Decimal("100.00")}), ("Beta SA", 1, {"CLP": Decimal("100.00")})]
    assert (by_competitor.total.count, by_competitor.total.values["sum:amount"]) == (1, {"CLP": Decimal("100.00")})


def test_aggregating_a_to_many_column_is_refused(org):
    with pytest.raises(ReportError) as refused:
        run(Definition("opportunity", aggregates=[Aggregate("competitor_entries.competitor", "count")]), org.admin)
    assert refused.value.field == "aggregates"
    assert "several values" in refused.value.message


def _names(result) -> list[str]:
    return [row["name"][0] for row in result.rows]


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5, 6, 7, 1000])
def test_rows_sort_by_group_then_close_date_with_empty_close_dates_last_in_each_group(org, limit):
    first, second = sorted(default_pipeline()[:2], key=lambda stage: stage.pk)
    day = datetime.date(2026, 6, 1)

    def deal(name, stage, close):
        _deal(org, org.vendedor_norte, org.north_account, stage, "10", name=name, expected_close_date=close)

    # Created in this order (ids ascending): empty dates keep it among themselves, after the dated deals.
    deal("b-none-1", second, None)
    deal("a-day5", first, day + datetime.timedelta(days=5))
    deal("a-none-1", first, None)
    deal("b-day0", second, day)
    deal("a-day1", first, day + datetime.timedelta(days=1))
    deal("a-none-2", first, None)
    deal("a-day1-later", first, day + datetime.timedelta(days=1))
    grouped = Definition("opportunity", columns=["name"], group_by=["stage"], sort=["expected_close_date"])
    expected = ["a-day1", "a-day1-later", "a-day5", "a-none-1", "a-none-2", "b-day0", "b-none-1"]
    result = run(grouped, org.vendedor_norte, limit=limit)
    assert _names(result) == expected[:limit]
    assert result.truncated == (limit < len(expected))

    latest_first = Definition("opportunity", columns=["name"], group_by=["stage"], sort=["-expected_close_date"])
    expected = ["a-day5", "a-day1", "a-day1-later", "a-none-1", "a-none-2", "b-day0", "b-none-1"]
    assert _names(run(latest_first, org.vendedor_norte, limit=limit)) == expected[:limit]

    ungrouped = Definition("opportunity", columns=["name"], sort=["expected_close_date"])
    expected = ["b-day0", "a-day1", "a-day1-later", "a-day5", "b-none-1", "a-none-1", "a-none-2"]
    assert _names(run(ungrouped, org.vendedor_norte, limit=limit)) == expected[:limit]


def test_the_pipeline_report_lists_each_stages_deals_closing_soonest_first_then_those_without_a_date(org):
    first, second = sorted(default_pipeline()[:2], key=lambda stage: stage.pk)
    day = datetime.date(2026, 6, 1)
    _deal(org, org.vendedor_norte, org.north_account, second, "1", name="b-none", expected_close_date=None)
    _deal(org, org.vendedor_norte, org.north_account, first, "1", name="a-none", expected_close_date=None)
    _deal(org, org.vendedor_norte, org.north_account, first, "1", name="a-day2", expected_close_date=day.replace(day=2))
    _deal(org, org.vendedor_norte, org.north_account, second, "1", name="b-day1", expected_close_date=day)
    _deal(org, org.vendedor_sur, org.south_account, first, "1", name="not-mine", expected_close_date=day)
    _deal(org, org.vendedor_norte, org.north_account, first, "1", name="a-won", expected_close_date=day, status="won",
          closed_on=day)
    from vinculo.reports.predefined import BY_SLUG

    assert _names(run(BY_SLUG["pipeline-by-stage"].build(), org.vendedor_norte)) == [
        "a-day2", "a-none", "b-day1", "b-none"]


def test_every_function_per_group_and_currency_and_only_the_parts_asked_for_are_computed(org):
    first, second = default_pipeline()[:2]
    _deal(org, org.vendedor_norte, org.north_account, first, "100")
    _deal(org, org.vendedor_norte, org.north_account, first, "50")
    _deal(org, org.vendedor_norte, org.north_account, first, "7", currency="USD")
    _deal(org, org.vendedor_norte, org.north_account, second, "30")
    functions = ("count", "sum", "avg", "min", "max")
    definition = Definition("opportunity", columns=["name"], group_by=["stage"],
                            aggregates=[Aggregate("amount", fn) for fn in functions])
    result = run(definition, org.vendedor_norte)

    def values(group):
        return [group.values[f"{fn}:amount"] for fn in functions]

    usd = {"USD": Decimal("7.00")}
    assert [(g.label, g.count, values(g)) for g in result.groups] == [
        (first.name, 3, [3, {"CLP": Decimal("150.00")} | usd, {"CLP": Decimal("75.00")} | usd,
                         {"CLP": Decimal("50.00")} | usd, {"CLP": Decimal("100.00")} | usd]),
        (second.name, 1, [1, {"CLP": Decimal("30.00")}, {"CLP": Decimal("30.00")}, {"CLP": Decimal("30.00")},
                          {"CLP": Decimal("30.00")}]),
    ]
    assert values(result.total) == [4, {"CLP": Decimal("180.00")} | usd, {"CLP": Decimal("60.00")} | usd,
                                    {"CLP": Decimal("30.00")} | usd, {"CLP": Decimal("100.00")} | usd]

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        summed = run(Definition("opportunity", group_by=["stage"], aggregates=[Aggregate("amount", "sum")]),
                     org.vendedor_norte)
    assert summed.total.values["sum:amount"] == {"CLP": Decimal("180.00")} | usd
    grouping = [q["sql"] for q in queries.captured_queries if "SUM(" in q["sql"]]
    assert len(grouping) == 1 and "MIN(" not in grouping[0] and "MAX(" not in grouping[0]
