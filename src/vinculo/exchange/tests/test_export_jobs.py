"""XLSX exports with typed cells (read back by openpyxl), and exports past the inline threshold as background
jobs: queued → running → done with their progress, the file for its owner alone, a failure that leaves no
file, the access policy on every row and field, the page flow and /api/v1/exports."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core.tests.api_client import BASE, ApiClient, error_fields
from vinculo.exchange import export_jobs, exporting, xlsx
from vinculo.exchange.models import ExportJob
from vinculo.sales.models import Opportunity
from vinculo.sales.tests.factories import OpportunityFactory, default_pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def book_of(data) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data)


def deal(org, **fields):
    fields.setdefault("owner", org.vendedor_norte)
    fields.setdefault("account", org.north_account)
    return OpportunityFactory(**fields)


# ---------- Typed XLSX ----------

def test_xlsx_list_export_has_dates_as_dates_money_as_numbers_in_its_currency_and_a_frozen_bold_header(org):
    deal(org, name="Faena norte", amount=Decimal("1500000"), currency="CLP",
         expected_close_date=datetime.date(2026, 6, 30))
    deal(org, name="Dólares", amount=Decimal("1234.5"), currency="USD", expected_close_date=None)
    with translation.override("en"):
        sheet = book_of(exporting.write_xlsx(exporting.rows("deals", org.vendedor_norte, typed=True), "d")).active
    header = [cell.value for cell in sheet[1]]
    assert header == ["Name", "Account", "Stage", "Amount", "Currency", "Status", "Expected close date",
                      "Next step", "Created at"]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:I3"
    by_name = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    clp, usd = by_name["Faena norte"], by_name["Dólares"]
    assert clp[1].value == "Minera Norte Grande SpA"
    # Amounts are numbers, formatted in their own currency (no decimals for the peso).
    assert (clp[3].data_type, clp[3].value, clp[3].number_format) == ("n", 1500000, '#,##0 "CLP"')
    assert (usd[3].value, usd[3].number_format) == (1234.5, '#,##0.00 "USD"')
    # Dates are dates (openpyxl reads an Excel date as a datetime at midnight), shown day-month-year.
    assert clp[6].is_date and clp[6].value == datetime.datetime(2026, 6, 30) and clp[6].number_format == "dd-mm-yyyy"
    assert usd[6].value is None
    assert clp[8].is_date and isinstance(clp[8].value, datetime.datetime)


def test_xlsx_text_that_looks_like_a_formula_or_number_stays_text(org):
    deal(org, name="=HYPERLINK(\"http://evil\")", next_step="007")
    sheet = book_of(exporting.write_xlsx(exporting.rows("deals", org.vendedor_norte, typed=True), "d")).active
    row = [cell for cell in sheet[2]]
    assert row[0].value == "'=HYPERLINK(\"http://evil\")" and row[0].data_type == "s"
    assert row[7].value == "007" and row[7].data_type == "s"


def test_chosen_columns_come_in_their_order_and_a_hidden_one_is_left_out(org):
    with translation.override("en"):
        table = exporting.rows("accounts", org.vendedor_norte, chosen=["credit_grade", "tax_id", "legal_name"])
        assert table.headers == ["Tax id", "Legal name"]
        table = exporting.rows("accounts", org.finance, chosen=["credit_grade", "tax_id", "legal_name"])
        assert table.headers == ["Credit grade", "Tax id", "Legal name"]


def test_xlsx_amounts_keep_their_currency_without_its_column_and_times_are_local(org, settings):
    settings.TIME_ZONE = "America/Santiago"
    # 15:30 UTC on 02-01-2026 is 12:30 in Santiago (summer time, UTC-3).
    created = datetime.datetime(2026, 1, 2, 15, 30, tzinfo=datetime.timezone.utc)
    faena = deal(org, name="Faena", amount=Decimal("1500000"), currency="CLP")
    euros = deal(org, name="Euros", amount=Decimal("9.99"), currency="EUR")
    Opportunity.objects.filter(pk__in=[faena.pk, euros.pk]).update(created_at=created)
    with translation.override("en"):
        table = exporting.rows("deals", org.vendedor_norte, typed=True, chosen=["name", "amount", "created_at"])
        sheet = book_of(exporting.write_xlsx(table, "d")).active
    assert [cell.value for cell in sheet[1]] == ["Name", "Amount", "Created at"]
    by_name = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert (by_name["Faena"][1].value, by_name["Faena"][1].number_format) == (1500000, '#,##0 "CLP"')
    assert (by_name["Euros"][1].value, by_name["Euros"][1].number_format) == (9.99, '#,##0.00 "EUR"')
    assert by_name["Faena"][2].value == datetime.datetime(2026, 1, 2, 12, 30)
    assert by_name["Faena"][2].number_format == "dd-mm-yyyy hh:mm"


def test_xlsx_contact_text_is_neutralised_cleaned_and_cut_in_every_cell_of_a_chunk(org):
    odd = ContactFactory(owner=org.vendedor_norte, account=org.north_account, first_name="\tTab", last_name="Raro",
                         title="=1+1", department="I+D & <Ventas>", city="con\x01control", email="raro@x.cl",
                         description="y" * 40_000)
    ContactFactory(owner=org.vendedor_norte, account=None, first_name="Ana", last_name="Simple", email="ana@x.cl",
                   title="", department="", city="", description="")
    with translation.override("en"):
        sheet = book_of(exporting.write_xlsx(exporting.rows("contacts", org.vendedor_norte, typed=True), "c")).active
    header = [cell.value for cell in sheet[1]]
    by_email = {row[header.index("Email")].value: {name: cell for name, cell in zip(header, row, strict=True)}
                for row in sheet.iter_rows(min_row=2)}
    raro, ana = by_email[odd.email], by_email["ana@x.cl"]
    assert raro["First name"].value == "'\tTab" and raro["Job title"].value == "'=1+1"
    assert raro["Department"].value == "I+D & <Ventas>" and raro["City"].value == "concontrol"
    assert raro["Notes"].value == "y" * 32_767 and raro["Account"].value == "Minera Norte Grande SpA"
    assert all(raro[name].data_type == "s" for name in ("First name", "Job title", "Department", "City"))
    assert ana["Job title"].value is None and ana["Account"].value is None and ana["First name"].value == "Ana"


# ---------- Jobs ----------

def test_a_job_goes_queued_running_done_with_its_progress(org, settings, monkeypatch,
                                                          django_capture_on_commit_callbacks):
    for n in range(5):
        deal(org, name=f"Negocio {n}")
    deal(org, owner=org.vendedor_sur, account=org.south_account, name="Del sur")
    monkeypatch.setattr(exporting, "CHUNK", 2)
    seen = []
    real_write = exporting.write_xlsx

    def watched(table, title, out=None, progress=None):
        def recorded(written):
            job = ExportJob.objects.get()
            seen.append((job.status, written))
            progress(written)
        return real_write(table, title, out, recorded)

    monkeypatch.setattr(exporting, "write_xlsx", watched)
    monkeypatch.setattr(xlsx, "PROGRESS_EVERY", 2)
    with django_capture_on_commit_callbacks() as callbacks:
        job = export_jobs.create(org.vendedor_norte, "deals", "xlsx", title="Negocios")
    job.refresh_from_db()
    assert (job.status, job.total, job.processed, job.percent, bool(job.file)) == ("queued", 5, 0, 0, False)
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert seen == [("running", 2), ("running", 4), ("running", 5)]
    assert (job.status, job.total, job.processed, job.percent, job.error) == ("done", 5, 5, 100, "")
    assert job.started_at <= job.finished_at
    with job.file.open("rb") as handle:
        assert book_of(handle.read()).active.max_row == 6


def test_a_failure_marks_the_job_failed_with_its_reason_and_keeps_no_file(org, monkeypatch, client,
                                                                          django_capture_on_commit_callbacks):
    deal(org)

    def broken(table, title, out=None, progress=None):
        out.write(b"PK half a file")
        raise OSError("disk full")

    monkeypatch.setattr(exporting, "write_xlsx", broken)
    with django_capture_on_commit_callbacks(execute=True):
        job = export_jobs.create(org.vendedor_norte, "deals", "xlsx")
    job.refresh_from_db()
    assert (job.status, job.error, bool(job.file)) == ("failed", "disk full", False)
    client.force_login(org.vendedor_norte)
    assert client.get(reverse("exchange:export_download", args=[job.pk])).status_code == 404
    assert "disk full" in client.get(reverse("exchange:export_detail", args=[job.pk])).content.decode()


def job_csv(job: ExportJob) -> str:
    job.refresh_from_db()
    assert job.status == "done", job.error
    with job.file.open("rb") as handle:
        return handle.read().decode("utf-8-sig")


def test_a_background_export_by_vendedor_sur_holds_none_of_vendedor_nortes_private_records(
        org, django_capture_on_commit_callbacks):
    ContactFactory(account=org.north_account, last_name="Privado", email="privado@norte.cl")
    with django_capture_on_commit_callbacks(execute=True):
        contacts = export_jobs.create(org.vendedor_sur, "contacts", "csv")
        accounts = export_jobs.create(org.vendedor_sur, "accounts", "csv")
        vcards = export_jobs.create(org.vendedor_sur, "contacts", "vcard")
        rep = export_jobs.create(org.vendedor_norte, "accounts", "csv", language="en")
        finance = export_jobs.create(org.finance, "accounts", "csv", language="en")
    text = job_csv(contacts)
    assert "bustos@sur.cl" in text and "araya@norte.cl" not in text and "privado@norte.cl" not in text
    text = job_csv(accounts)
    assert "Pesquera Sur Austral SpA" in text and "Minera Norte Grande SpA" not in text
    text = job_csv(vcards)
    assert "bustos@sur.cl" in text and "norte.cl" not in text
    # No financial field without the permission: neither its column nor its value.
    text = job_csv(rep)
    assert "Minera Norte Grande SpA" in text and "Bank details" not in text and "Banco de Chile 123" not in text
    assert "Bank details" in job_csv(finance) and "Banco de Chile 123" in job_csv(finance)


def test_filters_narrow_the_list_and_may_not_name_a_hidden_field(org):
    from django.core.exceptions import ValidationError

    deal(org, name="Grande", amount=Decimal("900"))
    deal(org, name="Chica", amount=Decimal("10"))
    names = {row[0] for row in export_jobs.list_queryset("deals", org.vendedor_norte, {"amount__gte": 500})
             .values_list("name")}
    assert names == {"Grande"}
    with pytest.raises(ValidationError) as error:
        export_jobs.list_queryset("accounts", org.vendedor_norte, {"bank_details__contains": "Banco"})
    assert "filters" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        export_jobs.list_queryset("deals", org.vendedor_norte, {"expected_close_date__gte": "not a date"})
    assert "filters" in error.value.message_dict


# ---------- Pages ----------

def test_a_list_export_past_the_threshold_runs_in_the_background_and_only_its_owner_downloads_it(
        client, org, settings, django_capture_on_commit_callbacks, django_assert_max_num_queries):
    settings.VINCULO_EXPORT_INLINE_MAX_ROWS = 2
    for n in range(3):
        deal(org, name=f"Negocio {n}")
    client.force_login(org.vendedor_norte)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("exchange:export", args=["deals", "xlsx"]))
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("exchange:export_detail", args=[job.pk])
    with django_assert_max_num_queries(8):
        page = client.get(response.url)
    html = page.content.decode()
    assert "100 %" in html and reverse("exchange:export_download", args=[job.pk]) in html
    download = client.get(reverse("exchange:export_download", args=[job.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].endswith('.xlsx"')
    assert book_of(b"".join(download.streaming_content)).active.max_row == 4
    assert job.title in client.get(reverse("exchange:index")).content.decode()
    client.force_login(org.vendedor_sur)
    assert client.get(reverse("exchange:export_detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("exchange:export_download", args=[job.pk])).status_code == 404


def test_a_list_export_at_the_threshold_stays_inline(client, org, settings):
    settings.VINCULO_EXPORT_INLINE_MAX_ROWS = 3
    for n in range(3):
        deal(org, name=f"Negocio {n}")
    client.force_login(org.vendedor_norte)
    response = client.get(reverse("exchange:export", args=["deals", "csv"]))
    assert response.status_code == 200 and not ExportJob.objects.exists()


def test_the_progress_fragment_polls_until_the_job_has_finished(client, org):
    job = ExportJob.objects.create(user=org.vendedor_norte, kind="deals", format="xlsx", total=200, processed=50,
                                   status=ExportJob.Status.RUNNING)
    client.force_login(org.vendedor_norte)
    fragment = client.get(reverse("exchange:export_detail", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "25 %" in fragment and "export-download" not in fragment


def test_a_report_export_past_the_threshold_runs_in_the_background(client, org, settings,
                                                                   django_capture_on_commit_callbacks):
    settings.VINCULO_EXPORT_INLINE_MAX_ROWS = 1
    deal(org, amount=Decimal("100"))
    deal(org, amount=Decimal("40"))
    deal(org, owner=org.vendedor_sur, account=org.south_account, amount=Decimal("1000"), name="Negocio del sur")
    client.force_login(org.vendedor_norte)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("reports:predefined_export", args=["pipeline-by-stage", "xlsx"]))
    job = ExportJob.objects.get()
    assert response.status_code == 302 and (job.kind, job.status, job.total) == ("report", "done", 2)
    job.refresh_from_db()
    assert (job.status, job.processed) == ("done", 2)
    book = book_of(b"".join(client.get(reverse("exchange:export_download", args=[job.pk])).streaming_content))
    rows, groups = book.worksheets
    assert rows.max_row == 3 and rows.freeze_panes == "A2"
    assert "Negocio del sur" not in [cell.value for row in rows.iter_rows() for cell in row]
    assert [c.value for c in groups[groups.max_row]][:4] == ["Total", 2, 140, "CLP"]


# ---------- API ----------

def test_api_export_job_contract_and_download(org, django_capture_on_commit_callbacks):
    deal(org, name="Faena norte")
    deal(org, owner=org.vendedor_sur, account=org.south_account, name="Del sur")
    api = ApiClient(org.vendedor_norte)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/exports", {"kind": "deals", "format": "csv", "columns": ["name", "amount"],
                                         "filters": {"status": "open"}, "language": "en"})
    assert response.status_code == 201, response.content
    created = response.json()
    assert {"id", "status", "total", "processed", "download_url"} <= set(created)
    assert (created["status"], created["total"], created["download_url"]) == ("queued", 1, None)
    status = api.get(f"/exports/{created['id']}").json()
    assert (status["status"], status["total"], status["processed"]) == ("done", 1, 1)
    assert status["download_url"] == f"{BASE}/exports/{created['id']}/download"
    download = api.client.get(status["download_url"])
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [["Name", "Amount"], ["Faena norte",
                                                                        str(Opportunity.objects.get(name="Faena norte").amount)]]
    other = ApiClient(org.vendedor_sur)
    assert other.get(f"/exports/{created['id']}").status_code == 404
    assert other.client.get(status["download_url"]).status_code == 404


def test_api_export_refuses_unknown_filters_columns_and_formats_naming_the_field(org):
    api = ApiClient(org.vendedor_norte)
    response = api.post("/exports", {"kind": "accounts", "filters": {"bank_details": "x"}})
    assert response.status_code == 422 and "filters" in error_fields(response)
    response = api.post("/exports", {"kind": "deals", "columns": ["name", "password"]})
    assert response.status_code == 422 and "columns" in error_fields(response)
    response = api.post("/exports", {"kind": "deals", "format": "vcard"})
    assert response.status_code == 422 and "format" in error_fields(response)
    assert not ExportJob.objects.exists()


def test_an_export_from_a_list_url_holds_what_the_page_lists_inline_and_in_the_background(
        client, org, settings, django_capture_on_commit_callbacks):
    first, second = default_pipeline()[:2]
    deal(org, name="En primera", stage=first)
    deal(org, name="En segunda", stage=second)
    deal(org, name="Otra en segunda", stage=second)
    client.force_login(org.vendedor_norte)
    inline = client.get(reverse("exchange:export", args=["deals", "csv"]), {"stage": second.pk})
    text = b"".join(inline.streaming_content).decode("utf-8-sig")
    assert "En segunda" in text and "Otra en segunda" in text and "En primera" not in text
    settings.VINCULO_EXPORT_INLINE_MAX_ROWS = 1
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("exchange:export", args=["deals", "csv"]), {"stage": second.pk})
    job = ExportJob.objects.get()
    assert job.total == 2
    text = job_csv(job)
    assert "En segunda" in text and "Otra en segunda" in text and "En primera" not in text
