"""In a browser: build a report with a related column, a relative-date filter and a grouping, run it, see
its bar chart, save it, drill into a bar, export it to Excel."""

import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from vinculo.core import clock
from vinculo.org.tests.factories import TerritoryFactory
from vinculo.reports.models import SavedReport
from vinculo.sales.tests.factories import OpportunityFactory, default_pipeline

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_build_save_chart_drill_and_export_a_report(browser_page, org):
    page = browser_page
    first, second = default_pipeline()[:2]
    org.north_account.territory = TerritoryFactory(name="Norte Grande")
    org.north_account.save(update_fields=["territory"])
    soon = clock.today() + datetime.timedelta(days=10)
    OpportunityFactory(
        owner=org.vendedor_norte,
        account=org.north_account,
        stage=first,
        amount=Decimal(100),
        expected_close_date=soon,
        name="Pronto uno",
    )
    OpportunityFactory(
        owner=org.vendedor_norte,
        account=org.north_account,
        stage=first,
        amount=Decimal(50),
        expected_close_date=soon,
        name="Pronto dos",
    )
    OpportunityFactory(
        owner=org.vendedor_norte,
        account=org.north_account,
        stage=second,
        amount=Decimal(7),
        expected_close_date=soon,
        name="Pronto tres",
    )
    OpportunityFactory(
        owner=org.vendedor_norte,
        account=org.north_account,
        stage=first,
        amount=Decimal(999),
        expected_close_date=soon + datetime.timedelta(days=400),
        name="Lejano",
    )
    OpportunityFactory(
        owner=org.vendedor_sur,
        account=org.south_account,
        stage=first,
        amount=Decimal(1000),
        expected_close_date=soon,
        name="Del sur",
    )
    org.vendedor_norte.language = "en"
    org.vendedor_norte.save(update_fields=["language"])
    page.goto("/login/")
    page.fill("#id_username", "vendedor.norte")
    page.fill("#id_password", "demo")
    page.click(".login-form button[type=submit]")

    page.goto("/reports/")
    page.get_by_role("link", name="New report").click()
    page.select_option("#id_type", "opportunity")  # htmx brings the type's columns
    page.locator("input[name=col][value='account.territory']").check()
    row = page.locator("[data-filter-row]").first
    row.locator("select[name=f_field]").select_option("expected_close_date")
    row.locator("select[name=f_op]").select_option("next_days")
    row.locator("input[name=f_value]").fill("30")
    page.locator("select[name=g]").first.select_option("stage")
    page.select_option("select[name=a_fn]", "sum")
    page.select_option("select[name=a_field]", "amount")
    page.get_by_role("button", name="Run").click()

    bars = page.locator("svg a.report-bar")
    expect(bars).to_have_count(2)
    expect(page.locator("table.report-table")).to_contain_text("Pronto uno")
    expect(page.locator("table.report-table")).to_contain_text("Norte Grande")  # the related column
    expect(page.locator("table.report-table")).not_to_contain_text("Lejano")
    expect(page.locator("table.report-table")).not_to_contain_text("Del sur")
    expect(page.locator("table.report-table tfoot")).to_contain_text("3 records")

    page.fill("#id_name", "Cierres del mes")
    page.get_by_role("button", name="Save report").click()
    expect(page.locator("h1")).to_have_text("Cierres del mes")
    saved = SavedReport.objects.get(name="Cierres del mes")
    assert saved.definition["group_by"] == ["stage"]

    page.locator("svg a.report-bar").first.click()  # the first stage: its two deals
    table = page.locator("table.report-table")
    expect(table).to_contain_text("Pronto dos")
    expect(table).not_to_contain_text("Pronto tres")
    expect(table.locator("tfoot")).to_contain_text("2 records")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export to Excel").click()
    book = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    sheet = book.worksheets[0]
    header, *rows = sheet.iter_rows(values_only=True)
    assert header == ("Name", "Account", "Territory", "Owner", "Stage", "Amount", "Expected close date")
    by_name = {row[0]: row for row in rows}
    assert sorted(by_name) == ["Pronto dos", "Pronto uno"]
    assert by_name["Pronto uno"][2] == "Norte Grande"
    # Typed cells: the amount a number, the close date a date (openpyxl reads it back as midnight).
    assert by_name["Pronto uno"][5] == 100 and isinstance(by_name["Pronto uno"][5], int | float)
    assert by_name["Pronto uno"][6] == datetime.datetime.combine(soon, datetime.time())
