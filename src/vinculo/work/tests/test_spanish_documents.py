"""The documents this app writes — the project PDF, the time report spreadsheet, the calendar feed — are in
the reader's language: in Spanish, no English phrase of the catalog is left in them."""

import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar
from openpyxl import load_workbook
from pypdf import PdfReader

from vinculo.core.tests.catalog import english_found_in
from vinculo.customer360.tests.factories import ContractFactory
from vinculo.work import calendar

from .conftest import TODAY
from .factories import log, make_project, make_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def spanish_rep(org):
    rep = org.vendedor_norte
    rep.language = "es"
    rep.save(update_fields=["language"])
    project = make_project(org.north_account, rep, name="Norte 2026")
    task = make_task(rep, project=project, title="Visita a faena", next_action_date=TODAY)
    log(task, rep, minutes=90, date=TODAY)
    make_task(rep, project=project, title="Cotizar repuestos", status="done")
    # Expiring in 60 days with 30 days' notice: the renewal decision falls within the feed's weeks.
    ContractFactory(account=org.north_account, end_date=TODAY + datetime.timedelta(days=60), notice_days=30)
    return rep, project


def test_the_project_pdf_and_the_time_spreadsheet_in_spanish(client, spanish_rep):
    rep, project = spanish_rep
    client.force_login(rep)
    pdf = client.get(reverse("work:project_pdf", args=[project.pk]))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Visita a faena" in text and english_found_in(text) == []
    sheet = client.get(reverse("work:time_report_xlsx"),
                       {"by": "project", "date_from": "2026-04-01", "date_to": "2026-04-15"})
    cells = " | ".join(str(cell.value) for row in load_workbook(io.BytesIO(sheet.content)).active.iter_rows()
                       for cell in row if isinstance(cell.value, str))
    assert "Norte 2026" in cells and english_found_in(cells) == []


def test_the_calendar_feed_is_in_its_owners_language_whoever_asks(spanish_rep):
    rep, _project = spanish_rep
    body = Client(headers={"accept-language": "en"}).get(calendar.feed_url(rep)).content
    feed = Calendar.from_ical(body)
    summaries = [str(event["summary"]) for event in feed.walk("VEVENT")]
    assert "Visita a faena" in summaries and any("Minera Norte Grande SpA" in s for s in summaries)
    # What people read (addresses and identifiers aside).
    texts = [str(feed["x-wr-calname"]), *summaries,
             *(str(event["description"]) for event in feed.walk("VEVENT") if "description" in event)]
    assert english_found_in(" | ".join(texts)) == []
