"""Projects with TP/TC/TF, the account and contact page sections, time reports (page, XLSX), the project PDF."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from vinculo.work import reports
from vinculo.work.models import Task

from .conftest import TODAY
from .factories import log, make_project, make_task

DAY = datetime.timedelta(days=1)


def fill(project, by, pending, in_progress, done, cancelled=0):
    for status, n in (("pending", pending), ("in_progress", in_progress), ("done", done), ("cancelled", cancelled)):
        for i in range(n):
            make_task(by, project=project, title=f"{status} {i}", status=status)


def test_project_list_counts_tp_tc_tf_in_bounded_queries(client, org, django_assert_max_num_queries):
    first = make_project(org.north_account, org.vendedor_norte, name="Norte 2026")
    fill(first, org.vendedor_norte, pending=2, in_progress=1, done=3, cancelled=1)
    deleted = make_task(org.vendedor_norte, project=first, title="in the recycle bin")
    Task.objects.filter(pk=deleted.pk).update(deleted_at=datetime.datetime(2026, 4, 1, tzinfo=datetime.timezone.utc))
    client.force_login(org.director)
    url = reverse("work:project_list")
    with django_assert_max_num_queries(20) as few:
        response = client.get(url)
    row = response.context["projects"][0]
    assert (row.pending, row.in_progress, row.done) == (2, 1, 3)
    for n in range(5):
        fill(make_project(org.south_account, org.vendedor_sur, name=f"Sur {n}"), org.vendedor_sur, 1, 1, 1)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    counts = {p.name: (p.pending, p.in_progress, p.done) for p in response.context["projects"]}
    # Independently: counting each project's live tasks by status.
    assert counts == {
        p.name: tuple(Task.objects.filter(project=p, status=s).count() for s in ("pending", "in_progress", "done"))
        for p in response.context["projects"]
    }
    assert counts["Norte 2026"] == (2, 1, 3)
    # Grouped by customer: the accounts come in name order.
    assert [p.account.legal_name for p in response.context["projects"]][0] == "Minera Norte Grande SpA"


def test_an_outsider_sees_neither_the_project_nor_its_page(client, org):
    project = make_project(org.north_account, org.vendedor_norte)
    client.force_login(org.vendedor_sur)
    assert list(client.get(reverse("work:project_list")).context["projects"]) == []
    assert client.get(project.get_absolute_url()).status_code == 404
    assert client.get(reverse("work:project_pdf", args=[project.pk])).status_code == 404


def test_the_account_page_shows_its_projects_and_open_tasks(client, org, django_assert_max_num_queries):
    project = make_project(org.north_account, org.vendedor_norte, name="Norte 2026")
    fill(project, org.vendedor_norte, 1, 0, 2)
    make_task(org.vendedor_norte, org.north_account, title="Llamar a Araya")
    client.force_login(org.vendedor_norte)
    page = client.get(org.north_account.get_absolute_url()).content.decode()
    # Both sections load on demand, from their fragment URLs.
    projects_url = reverse("accounts:related", args=[org.north_account.pk, "projects"])
    tasks_url = reverse("accounts:related", args=[org.north_account.pk, "tasks"])
    assert f'hx-get="{projects_url}"' in page and f'hx-get="{tasks_url}"' in page
    with django_assert_max_num_queries(12):
        projects = client.get(projects_url, HTTP_HX_REQUEST="true")
    tasks = client.get(tasks_url, HTTP_HX_REQUEST="true")
    assert "Norte 2026" in projects.content.decode() and "Llamar a Araya" in tasks.content.decode()
    assert projects.context["projects"].rows[0].done == 2
    assert tasks.context["tasks"].total == 2  # the open ones: the project's pending task and the call


def test_the_contact_page_lists_the_tasks_about_the_contact(client, org):
    make_task(org.vendedor_norte, org.north_contact, title="Enviar ficha a Araya")
    client.force_login(org.vendedor_norte)
    response = client.get(reverse("contacts:section", args=[org.north_contact.pk, "tasks"]))
    assert response.status_code == 200 and "Enviar ficha a Araya" in response.content.decode()


@pytest.fixture
def logged(org):
    """Time on two customers by two people; one entry outside the range, one on a task only the south sees."""
    north = make_project(org.north_account, org.vendedor_norte, name="Norte 2026")
    north_task = make_task(org.vendedor_norte, project=north)
    loose = make_task(org.vendedor_norte, org.north_account, title="sin proyecto")
    south_task = make_task(org.vendedor_sur, org.south_account)
    log(north_task, org.vendedor_norte, minutes=90, date=TODAY)
    log(north_task, org.gerente_norte, minutes=30, date=TODAY - DAY)
    log(loose, org.vendedor_norte, minutes=15, date=TODAY - 2 * DAY)
    log(north_task, org.vendedor_norte, minutes=600, date=TODAY - 40 * DAY)  # outside the range
    log(south_task, org.vendedor_sur, minutes=45, date=TODAY)
    return north


def test_time_totals_per_customer_employee_and_project_match_a_hand_count(org, logged):
    since = TODAY - 7 * DAY
    lines, total = reports.summary(org.director, "account", since, TODAY)
    assert [(line.label, line.minutes) for line in lines] == [
        ("Minera Norte Grande SpA", 135), ("Pesquera Sur Austral SpA", 45)]
    assert total == 180
    lines, total = reports.summary(org.director, "user", since, TODAY)
    assert {line.label: line.minutes for line in lines} == {
        str(org.vendedor_norte): 105, str(org.vendedor_sur): 45, str(org.gerente_norte): 30}
    lines, total = reports.summary(org.director, "project", since, TODAY)
    assert {line.label: line.minutes for line in lines} == {"Norte 2026": 120, "No project": 60}
    # The north manager sees only the north's time.
    lines, total = reports.summary(org.gerente_norte, "account", since, TODAY)
    assert ([(line.label, line.minutes) for line in lines], total) == ([("Minera Norte Grande SpA", 135)], 135)


def test_the_time_report_page_and_its_spreadsheet(client, org, logged, django_assert_max_num_queries):
    client.force_login(org.gerente_norte)
    params = {"by": "account", "date_from": "2026-04-08", "date_to": "2026-04-15"}
    with django_assert_max_num_queries(15):
        response = client.get(reverse("work:time_report"), params)
    assert response.context["total"] == 135
    response = client.get(reverse("work:time_report_xlsx"), params)
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[1] == ["Customer", "Minutes", "Hours"]
    assert rows[2] == ["Minera Norte Grande SpA", 135, 2.25] and rows[-1] == ["Total", 135, 2.25]
    bad = client.get(reverse("work:time_report"), {"date_from": "2026-04-15", "date_to": "2026-04-01"})
    assert "date_to" in bad.context["form"].errors


@pytest.mark.parametrize("label", ["=HYPERLINK(\"http://x\")", "+1", "-1", "@SUM(A1)"])
def test_spreadsheet_cells_that_would_run_as_formulas_are_neutralised(label):
    data = reports.summary_xlsx([reports.Line(1, label, 10)], 10, "account", TODAY, TODAY)
    cell = load_workbook(io.BytesIO(data)).active.cell(row=3, column=1)
    assert cell.data_type == "s" and cell.value == f"'{label}"


def test_the_project_pdf_holds_the_tasks_with_their_status_and_diaries(client, org, logged):
    client.force_login(org.vendedor_norte)
    response = client.get(reverse("work:project_pdf", args=[logged.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Norte 2026" in text and "Llamar para agendar visita — Pending" in text
    assert "90 min" in text and "30 min" in text and "sin proyecto" not in text
