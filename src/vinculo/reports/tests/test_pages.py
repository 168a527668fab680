import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from vinculo.reports.models import SavedReport
from vinculo.sales.tests.factories import OpportunityFactory, default_pipeline

pytestmark = pytest.mark.django_db


def _deals(org):
    first, second = default_pipeline()[:2]
    OpportunityFactory(owner=org.vendedor_norte, account=org.north_account, stage=first, amount=Decimal("100"),
                       expected_close_date=datetime.date(2026, 6, 1))
    OpportunityFactory(owner=org.vendedor_norte, account=org.north_account, stage=second, amount=Decimal("40"))
    OpportunityFactory(owner=org.vendedor_sur, account=org.south_account, stage=first, amount=Decimal("1000"),
                       name="Negocio del sur")
    return first, second


def test_list_shows_the_ten_predefined_reports_and_the_nav_entry(client, org):
    client.force_login(org.vendedor_norte)
    page = client.get(reverse("reports:list"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert page.content.decode().count(reverse("reports:predefined", args=["pipeline-by-stage"])) == 1
    assert len(page.context["predefined"]) == 10


def test_predefined_report_page_shows_only_the_readers_deals_with_a_chart_and_drill_down(client, org):
    first, _second = _deals(org)
    client.force_login(org.vendedor_norte)
    page = client.get(reverse("reports:predefined", args=["pipeline-by-stage"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Negocio del sur" not in html
    assert "<svg" in html and 'class="report-bar"' in html
    bars = page.context["chart"]["bars"]
    assert [bar["label"] for bar in bars] == [first.name, _second.name]
    # A bar drills into the opportunity list, filtered as the bar: open deals of its stage.
    assert bars[0]["href"] == f"{reverse('sales:opportunity_list')}?status=open&stage={first.pk}"
    drill = client.get(bars[0]["href"])
    assert drill.status_code == 200
    listed = drill.content.decode()
    assert "Negocio del sur" not in listed


def test_a_group_the_list_cannot_filter_drills_into_the_reports_own_records(client, org):
    _deals(org)
    client.force_login(org.vendedor_norte)
    page = client.get(reverse("reports:predefined", args=["won-revenue-by-month-and-owner"]))
    assert page.status_code == 200
    url = reverse("reports:builder")
    page = client.get(url, {"type": "opportunity", "col": ["name", "amount"], "f_field": "expected_close_date",
                            "f_op": "not_empty", "f_value": "", "g": "stage", "a_fn": "sum", "a_field": "amount"})
    bar = page.context["chart"]["bars"][0]
    assert bar["href"].startswith(url)
    drill = client.get(bar["href"])
    assert drill.context["result"].total.count == 1  # the one northern deal of the first stage with a close date
    assert drill.context["result"].groups == []


def test_builder_runs_a_report_with_a_related_column_a_relative_date_and_a_grouping(client, org):
    _deals(org)
    client.force_login(org.director)
    page = client.get(reverse("reports:builder"), {
        "type": "opportunity", "col": ["name", "account.territory", "amount"],
        "f_field": ["expected_close_date", ""], "f_op": ["next_days", "eq"], "f_value": ["36500", ""],
        "g": ["owner", ""], "a_fn": "sum", "a_field": "amount"})
    assert page.status_code == 200
    result = page.context["result"]
    # Closing within 100 years: the deal closing on 1 June 2026 (the others have no date, or the factory's).
    assert result.columns[1].label == "Territory"
    assert sum(group.count for group in result.groups) == result.total.count
    assert result.total.values["sum:amount"] == {"CLP": sum(
        (Decimal(row["amount"][0]) for row in result.rows), Decimal(0))}


def test_builder_reports_a_bad_value_as_a_clear_error_not_a_500(client, org):
    client.force_login(org.director)
    page = client.get(reverse("reports:builder"), {"type": "opportunity", "f_field": "amount", "f_op": "gt",
                                                   "f_value": "mucho"})
    assert page.status_code == 400
    assert "is not a valid value" in page.content.decode()


def test_save_and_reopen_a_report_private_to_its_owner(client, org):
    _deals(org)
    client.force_login(org.vendedor_norte)
    page = client.get(reverse("reports:builder"), {"type": "opportunity", "col": ["name", "amount"], "g": "stage",
                                                   "a_fn": "sum", "a_field": "amount"})
    saved = client.post(reverse("reports:save"), {"name": "Mi embudo", "definition": page.context["definition_json"]})
    report = SavedReport.objects.get(name="Mi embudo")
    assert saved.status_code == 302 and report.owner == org.vendedor_norte
    assert client.get(reverse("reports:saved", args=[report.pk])).context["result"].total.count == 2
    client.force_login(org.vendedor_sur)
    assert client.get(reverse("reports:saved", args=[report.pk])).status_code == 404
    report.visibility = "everyone"
    report.save()
    # Shared: the southern rep runs it on his own rows.
    assert client.get(reverse("reports:saved", args=[report.pk])).context["result"].total.count == 1


def test_xlsx_export_has_typed_cells_a_frozen_header_and_the_group_totals(client, org):
    _deals(org)
    client.force_login(org.vendedor_norte)
    response = client.get(reverse("reports:predefined_export", args=["pipeline-by-stage", "xlsx"]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    rows = book.worksheets[0]
    assert [cell.value for cell in rows[1]] == ["Name", "Account", "Owner", "Stage", "Amount", "Expected close date"]
    assert rows.freeze_panes == "A2" and rows.auto_filter.ref
    assert rows.max_row == 3  # the header and the two northern deals
    amounts = sorted(rows.cell(row=r, column=5).value for r in (2, 3))
    assert amounts == [40, 100] and all(rows.cell(row=r, column=5).data_type == "n" for r in (2, 3))
    assert isinstance(rows.cell(row=2, column=6).value, datetime.datetime) or rows.cell(row=2, column=6).value is None
    groups = book.worksheets[1]
    assert [c.value for c in groups[groups.max_row]][:4] == ["Total", 2, 140, "CLP"]


def test_csv_export_lists_only_the_readers_rows(client, org):
    _deals(org)
    client.force_login(org.vendedor_norte)
    response = client.get(reverse("reports:predefined_export", args=["pipeline-by-stage", "csv"]))
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(lines) == 3 and all("Negocio del sur" not in line for line in lines)


def test_report_page_query_count_does_not_grow_with_rows(client, org, django_assert_max_num_queries):
    _deals(org)
    OpportunityFactory(owner=org.vendedor_norte, account=org.north_account, status="won",
                       closed_on=datetime.date(2026, 1, 1), amount=Decimal(1))
    client.force_login(org.director)
    url = reverse("reports:predefined", args=["won-revenue-by-month-and-owner"])
    client.get(url)
    with django_assert_max_num_queries(40) as before:
        client.get(url)
    for index in range(25):
        OpportunityFactory(owner=org.vendedor_norte, account=org.north_account, status="won",
                           closed_on=datetime.date(2026, 1 + index % 12, 1), amount=Decimal(index))
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(url)


def test_pdf_and_ics_exports_hold_only_the_readers_deals(client, org):
    from icalendar import Calendar
    from pypdf import PdfReader

    _deals(org)
    client.force_login(org.vendedor_norte)
    pdf = client.get(reverse("reports:predefined_export", args=["pipeline-by-stage", "pdf"]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Pipeline by stage (open deals)" in text and "Minera Norte Grande SpA" in text
    assert "Negocio del sur" not in text and "Total" in text
    ics = client.get(reverse("reports:predefined_export", args=["pipeline-by-stage", "ics"]))
    events = Calendar.from_ical(ics.content).walk("VEVENT")
    assert len(events) == 2
    assert {event.decoded("dtstart") for event in events} == {datetime.date(2026, 6, 1), datetime.date(2026, 12, 31)}
    assert all("sur" not in str(event.get("summary")) for event in events)


def test_every_export_leaves_invoice_amounts_blank_without_the_permission(client, org, settings):
    from pypdf import PdfReader

    from vinculo.accounts.tests.factories import InvoiceFactory

    settings.VINCULO = {**settings.VINCULO, "INVOICE_AMOUNTS_RESTRICTED": True}
    InvoiceFactory(account=org.north_account, number="F-1", due_date=datetime.date(2020, 1, 1),
                   amount=Decimal("123456"))
    client.force_login(org.vendedor_norte)
    url = "reports:predefined_export"
    book = load_workbook(io.BytesIO(client.get(reverse(url, args=["overdue-invoices-by-account", "xlsx"])).content))
    header = [cell.value for cell in book.worksheets[0][1]]
    row = [cell.value for cell in book.worksheets[0][2]]
    assert row[header.index("Unpaid balance")] is None
    assert all(cell.value != 123456 for line in book.worksheets[1].iter_rows() for cell in line)
    csv_text = client.get(reverse(url, args=["overdue-invoices-by-account", "csv"])).content.decode()
    assert "123456" not in csv_text and "F-1" in csv_text
    pdf = client.get(reverse(url, args=["overdue-invoices-by-account", "pdf"])).content
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "123" not in text.replace("F-1", "") and "F-1" in text
    page = client.get(reverse("reports:predefined", args=["overdue-invoices-by-account"])).content.decode()
    assert "123.456" not in page and "123,456" not in page and "123456" not in page
    client.force_login(org.finance)
    book = load_workbook(io.BytesIO(client.get(reverse(url, args=["overdue-invoices-by-account", "xlsx"])).content))
    assert book.worksheets[0][2][header.index("Unpaid balance")].value == 123456
