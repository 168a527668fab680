"""Report exports read their rows from the one rows query a chunk at a time, as the writer asks for them,
and show them exactly as the report page's run does (the reader's rows, hidden fields blank, related records
they may not see unnamed)."""

import csv
import datetime
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from vinculo.exchange import xlsx
from vinculo.reports import engine, jobs, output
from vinculo.reports.engine import Aggregate, Definition, RowStream, export, run
from vinculo.reports.predefined import BY_SLUG
from vinculo.sales.models import OpportunityCompetitor
from vinculo.sales.tests.factories import CompetitorFactory, OpportunityFactory, default_pipeline

pytestmark = pytest.mark.django_db

CHUNK = 4


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 4 rows, so that a few deals cross several chunk boundaries."""
    monkeypatch.setattr(engine, "CHUNK_ROWS", CHUNK)


def _deals(org, northern: int = 7):
    """`northern` deals of the northern rep on his account, closing on 1, 2… June; two of his on the southern
    account (which he may not open), without a close date; two of the southern rep's; the first northern deal
    lost to two competitors."""
    stages = default_pipeline()
    deals = [OpportunityFactory(owner=org.vendedor_norte, account=org.north_account, stage=stages[index % 3],
                                amount=Decimal(10 + index), expected_close_date=datetime.date(2026, 6, 1 + index))
             for index in range(northern)]
    for index in range(2):
        OpportunityFactory(owner=org.vendedor_norte, account=org.south_account, stage=stages[index],
                           amount=Decimal(500 + index), name=f"Norte en el sur {index}", expected_close_date=None)
        OpportunityFactory(owner=org.vendedor_sur, account=org.south_account, stage=stages[index],
                           amount=Decimal(900 + index), name=f"Negocio del sur {index}")
    alfa, beta = CompetitorFactory(name="Alfa SA"), CompetitorFactory(name="Beta SA")
    for competitor in (alfa, beta):
        OpportunityCompetitor.objects.create(opportunity=deals[0], competitor=competitor, result="they_won")


DEFINITIONS = [
    Definition("opportunity", columns=["name", "account", "account.territory", "owner", "stage", "amount",
                                       "expected_close_date"],
               group_by=["stage", "owner"], aggregates=[Aggregate("amount", "sum")], sort=["-amount"]),
    Definition("opportunity", columns=["name", "account", "amount"], group_by=["account"],
               aggregates=[Aggregate("amount", "max")]),
    Definition("opportunity", columns=["name", "competitor_entries.competitor", "amount"]),  # to-many: 2 rows for one deal
]


@pytest.mark.parametrize("definition", DEFINITIONS, ids=["two-levels", "by-account", "to-many"])
@pytest.mark.parametrize("reader", ["vendedor_norte", "director", "admin"])
def test_an_exported_report_holds_what_the_page_shows_across_chunks(org, small_chunks, definition, reader):
    _deals(org)
    user = getattr(org, reader)
    shown = run(definition, user, limit=1000)
    exported = export(definition, user, limit=1000)
    assert isinstance(exported.rows, RowStream)
    assert (exported.groups, exported.total) == (shown.groups, shown.total)
    assert list(exported.rows) == shown.rows
    assert len(shown.rows) > CHUNK


def test_the_reader_cannot_see_a_related_record_in_any_chunk(org, small_chunks):
    _deals(org)
    rows = list(export(DEFINITIONS[1], org.vendedor_norte, limit=1000).rows)
    # His 7 deals and his 2 on the account he may not open; the southern rep's are not his to see.
    assert len(rows) == 9
    accounts = [row["account"][1] for row in rows if row["name"][1].startswith("Norte en el sur")]
    assert accounts == ["a record you cannot see"] * 2
    assert all("Pesquera" not in str(row) and "Negocio del sur" not in str(row) for row in rows)


def test_an_export_stops_at_its_limit_and_says_so(org, small_chunks):
    _deals(org)
    result = export(DEFINITIONS[1], org.vendedor_norte, limit=6)
    assert len(list(result.rows)) == 6 and result.rows.truncated
    assert result.total.count == 9  # the totals count every row
    whole = export(DEFINITIONS[1], org.vendedor_norte, limit=9)
    assert len(list(whole.rows)) == 9 and not whole.rows.truncated


def _counting_iterator(monkeypatch) -> list:
    """Rows handed out by any QuerySet.iterator(), as they are."""
    fetched = []
    real = models.QuerySet.iterator

    def iterator(self, *args, **kwargs):
        for row in real(self, *args, **kwargs):
            fetched.append(row)
            yield row

    monkeypatch.setattr(models.QuerySet, "iterator", iterator)
    return fetched


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "ics"])
def test_the_writer_gets_each_chunk_before_the_next_is_read(org, small_chunks, monkeypatch, fmt):
    """Were the rows read whole before writing (a list), the first chunk would be written with every row read."""
    _deals(org, northern=9)  # 11 rows for the northern rep: chunks of 4, 4 and 3
    monkeypatch.setattr(xlsx, "PROGRESS_EVERY", CHUNK)
    fetched = _counting_iterator(monkeypatch)
    result = export(DEFINITIONS[0], org.vendedor_norte, limit=1000)
    assert fetched == []  # the groups and the total are computed; no row is read yet
    progress = []
    write = {"xlsx": lambda out, p: output.to_xlsx(result, "r", out, p), "csv": lambda out, p: output.write_csv(
        result, out, p), "ics": lambda out, p: output.write_ics(result, "r", out, p)}[fmt]
    write(io.BytesIO(), lambda written: progress.append((written, len(fetched))))
    assert progress == [(4, 4), (8, 8), (11, 11)]


def test_an_export_reads_as_many_queries_whatever_its_chunks(org, small_chunks):
    """Whether the reader may see each row's account is read with the rows, not asked once per chunk."""
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            output.write_csv(export(DEFINITIONS[0], org.vendedor_norte, limit=1000), io.BytesIO())
        return len(captured.captured_queries)

    _deals(org, northern=1)  # 3 rows: one chunk
    queries()  # what the access policy reads about the reader once, and caches
    one_chunk = queries()
    for index in range(10):
        OpportunityFactory(owner=org.vendedor_norte, account=org.south_account if index % 2 else org.north_account,
                           stage=default_pipeline()[0], amount=Decimal(index))
    assert queries() == one_chunk  # 13 rows: four chunks


def test_a_background_csv_and_calendar_export_stream_the_readers_rows(org, small_chunks):
    from icalendar import Calendar

    _deals(org)
    definition = jobs.job_definition(Definition("opportunity", columns=["name", "account", "expected_close_date"],
                                                sort=["expected_close_date"]))
    written = {}
    for fmt in ("csv", "ics"):
        out, progress = io.BytesIO(), []
        jobs.write(SimpleNamespace(definition=definition, user=org.vendedor_norte, format=fmt, title="Cierres"), out,
                   progress.append)
        written[fmt] = out.getvalue()
        assert progress == [4, 8, 9]
    lines = list(csv.reader(io.StringIO(written["csv"].decode())))
    assert lines[0] == ["Name", "Account", "Expected close date"] and len(lines) == 10
    assert lines[1][1:] == ["Minera Norte Grande SpA", "2026-06-01"]
    assert [line[1] for line in lines[8:]] == ["a record you cannot see"] * 2  # no close date: last
    events = Calendar.from_ical(written["ics"]).walk("VEVENT")
    # One event per dated row: the two without a close date have none.
    assert sorted(event.decoded("dtstart") for event in events) == [datetime.date(2026, 6, day) for day in range(1, 8)]


def test_an_exported_report_leaves_a_financial_field_blank_in_every_chunk(org, small_chunks, settings):
    from vinculo.accounts.tests.factories import InvoiceFactory

    settings.VINCULO = {**settings.VINCULO, "INVOICE_AMOUNTS_RESTRICTED": True}
    for index in range(6):
        InvoiceFactory(account=org.north_account, number=f"F-{index}", due_date=datetime.date(2020, 1, 1 + index),
                       amount=Decimal("123456"))
    definition = BY_SLUG["overdue-invoices-by-account"].build()
    book = load_workbook(io.BytesIO(output.to_xlsx(export(definition, org.vendedor_norte, limit=1000), "r")))
    header = [cell.value for cell in book.worksheets[0][1]]
    balances = [row[header.index("Unpaid balance")].value for row in book.worksheets[0].iter_rows(min_row=2)]
    assert balances == [None] * 6
    assert all(cell.value != 123456 * 6 for line in book.worksheets[1].iter_rows() for cell in line)
    book = load_workbook(io.BytesIO(output.to_xlsx(export(definition, org.finance, limit=1000), "r")))
    balances = [row[header.index("Unpaid balance")].value for row in book.worksheets[0].iter_rows(min_row=2)]
    assert balances == [123456] * 6
