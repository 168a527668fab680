"""The "Export" menu of the task, project, business plan, campaign and catalogue lists (issue #13, item 6):
the file holds the rows the page lists with its filters, in its order, within the access policy (another
rep's private account's records absent, an account the exporter may not see left empty), typed cells in
XLSX, formula-like text neutralised in CSV, past the inline threshold a job; and the pages keep a bounded
number of queries."""

import csv
import datetime
import io
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from vinculo.core import clock
from vinculo.core.tests.api_client import ApiClient
from vinculo.exchange import exporting
from vinculo.exchange.models import ExportJob
from vinculo.plans.tests.factories import PlanFactory
from vinculo.sales.models import Competitor
from vinculo.sales.tests.factories import CampaignFactory, ProductFactory
from vinculo.work.models import Priority
from vinculo.work.tests.factories import make_project, make_task

from .helpers import csv_rows, export_links, xlsx_rows

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 4, 15)
TASK_HEADER = ["Priority", "Task", "Type", "Next action", "Due date", "Customer", "Project", "Responsible",
               "Controller", "Status"]


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    monkeypatch.setattr(clock, "now", lambda: datetime.datetime(2026, 4, 15, 15, tzinfo=datetime.timezone.utc))


@pytest.fixture
def english(org):
    for user in (org.vendedor_norte, org.vendedor_sur, org.gerente_sur, org.director):
        user.language = "en"
        user.save(update_fields=["language"])
    return org








def name(user) -> str:
    return f"{user.first_name} {user.last_name}".strip()


# ---------- Tasks ----------

@pytest.fixture
def tasks(english):
    org = english
    sur, norte = org.vendedor_sur, org.vendedor_norte
    return {
        "urgent": make_task(sur, org.south_account, title="Llamar a Bustos", priority=Priority.HIGH,
                            next_action_date=datetime.date(2026, 4, 20), due_date=datetime.date(2026, 4, 30)),
        "earlier": make_task(sur, org.south_account, title="Enviar catálogo", priority=Priority.HIGH,
                             next_action_date=datetime.date(2026, 4, 16)),
        "low": make_task(sur, org.south_account, title="Revisar contrato", priority=Priority.LOW),
        "done": make_task(sur, org.south_account, title="Visita hecha", priority=Priority.HIGH, status="done"),
        # The north rep's task on their private account, and one they control of their own.
        "private": make_task(norte, org.north_account, title="Secreto del norte", priority=Priority.HIGH),
    }


def test_the_task_list_export_holds_the_reps_listed_tasks_with_its_filters_in_its_order(client, tasks, english):
    org = english
    client.force_login(org.vendedor_sur)
    html = client.get(reverse("work:task_list") + "?priority=1&page=1").content.decode()
    links = export_links(html)
    assert set(links) == {"csv", "xlsx"}
    query = parse_qs(urlsplit(links["csv"]).query)
    assert query["priority"] == ["1"] and "page" not in query
    # Open, high-priority tasks of the rep, by next action: the catalogue (16th) before the call (20th); not
    # the done visit, not the low one, never the north rep's private task.
    expected = [
        ["High", "Enviar catálogo", "", "2026-04-16", "", "Pesquera Sur Austral SpA", "", name(org.vendedor_sur),
         name(org.gerente_sur), "Pending"],
        ["High", "Llamar a Bustos", "", "2026-04-20", "2026-04-30", "Pesquera Sur Austral SpA", "",
         name(org.vendedor_sur), name(org.gerente_sur), "Pending"],
    ]
    assert csv_rows(client.get(links["csv"])) == [TASK_HEADER, *expected]
    rows = xlsx_rows(client.get(links["xlsx"]))
    assert rows[0] == TASK_HEADER
    assert [row[1] for row in rows[1:]] == ["Enviar catálogo", "Llamar a Bustos"]
    # Dates as dates, an empty date as an empty cell.
    assert rows[2][3] == datetime.datetime(2026, 4, 20) and rows[2][4] == datetime.datetime(2026, 4, 30)
    assert rows[1][4] is None


def test_a_task_export_never_holds_another_reps_private_accounts_tasks(tasks, english):
    text = "".join(exporting.stream_csv(exporting.rows("tasks", english.vendedor_sur)))
    assert "Llamar a Bustos" in text and "Visita hecha" in text
    assert "Secreto del norte" not in text and "Minera Norte" not in text


def test_a_task_on_an_account_the_exporter_may_not_see_leaves_the_customer_empty(client, english):
    org = english
    make_task(org.vendedor_norte, org.north_account, title="Encargo cruzado", responsible=org.vendedor_sur,
              controller=org.vendedor_norte)
    client.force_login(org.vendedor_sur)
    html = client.get(reverse("work:task_list")).content.decode()
    rows = csv_rows(client.get(export_links(html)["csv"]))
    assert [row[1] for row in rows[1:]] == ["Encargo cruzado"]
    assert rows[1][5] == "" and "Minera" not in "".join(rows[1])


def test_the_task_csv_neutralises_cells_a_spreadsheet_would_run(client, english):
    org = english
    for title in ("=HYPERLINK(\"http://x\")", "+56 llamar", "-2+3", "@SUM(A1)"):
        make_task(org.vendedor_sur, org.south_account, title=title)
    client.force_login(org.vendedor_sur)
    rows = csv_rows(client.get(export_links(client.get(reverse("work:task_list")).content.decode())["csv"]))
    assert sorted(row[1] for row in rows[1:]) == sorted(
        ["'=HYPERLINK(\"http://x\")", "'+56 llamar", "'-2+3", "'@SUM(A1)"])


def test_the_task_views_export_follows_the_view_tab(client, tasks, english):
    """"To control": the tasks the user controls, whoever does them."""
    org = english
    client.force_login(org.gerente_sur)
    html = client.get(reverse("work:task_list") + "?view=control&priority=3").content.decode()
    rows = csv_rows(client.get(export_links(html)["csv"]))
    assert [row[1] for row in rows[1:]] == ["Revisar contrato"]


def test_a_task_export_past_the_threshold_is_a_job_with_the_same_rows(client, tasks, english, settings,
                                                                      django_capture_on_commit_callbacks):
    settings.VINCULO_EXPORT_INLINE_MAX_ROWS = 1
    client.force_login(english.vendedor_sur)
    link = export_links(client.get(reverse("work:task_list") + "?priority=1").content.decode())["xlsx"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(link)
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("exchange:export_detail", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.total, job.processed) == (ExportJob.Status.DONE, 2, 2)
    rows = xlsx_rows(client.get(reverse("exchange:export_download", args=[job.pk])))
    assert [row[1] for row in rows[1:]] == ["Enviar catálogo", "Llamar a Bustos"]


def test_the_task_list_queries_stay_bounded_with_the_menus(client, english, django_assert_max_num_queries):
    org = english
    for n in range(3):
        make_task(org.vendedor_sur, org.south_account, title=f"Tarea {n}")
    client.force_login(org.vendedor_sur)
    url = reverse("work:task_list")
    with django_assert_max_num_queries(20) as few:
        assert "Export" in client.get(url).content.decode()
    for n in range(20):
        make_task(org.vendedor_sur, org.south_account, title=f"Más {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_the_api_exports_the_tasks_a_rep_may_see_with_filters(tasks, english, django_capture_on_commit_callbacks):
    api = ApiClient(english.vendedor_sur)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/exports", {"kind": "tasks", "format": "csv", "columns": ["title", "account", "status"],
                                         "filters": {"priority": 1}, "language": "en"})
    assert response.status_code == 201, response.content
    status = api.get(f"/exports/{response.json()['id']}").json()
    text = b"".join(api.client.get(status["download_url"]).streaming_content).decode("utf-8-sig")
    # Every high-priority task the rep may see, done ones too (no page's default view), by id; not the north's.
    assert list(csv.reader(io.StringIO(text))) == [
        ["Title", "Account", "Status"],
        ["Llamar a Bustos", "Pesquera Sur Austral SpA", "Pending"],
        ["Enviar catálogo", "Pesquera Sur Austral SpA", "Pending"],
        ["Visita hecha", "Pesquera Sur Austral SpA", "Done"],
    ]


# ---------- Projects ----------

def test_the_project_export_holds_the_listed_projects_with_their_task_counts(client, english):
    org = english
    first = make_project(org.south_account, org.vendedor_sur, name="Sur 2025", year=2025)
    for status in ("pending", "pending", "in_progress", "done", "cancelled"):
        make_task(org.vendedor_sur, project=first, title=status, status=status)
    make_project(org.south_account, org.vendedor_sur, name="Cerrado 2025", year=2025, status="closed")
    make_project(org.south_account, org.vendedor_sur, name="Sur 2026", year=2026)
    make_project(org.north_account, org.vendedor_norte, name="Norte privado 2025", year=2025)
    client.force_login(org.vendedor_sur)
    html = client.get(reverse("work:project_list") + "?year=2025").content.decode()
    links = export_links(html)
    header = ["Customer", "Project", "Kind", "Year", "Owner", "Status", "Pending", "In progress", "Finished"]
    # Active projects of 2025 the rep may see: not the closed one, not 2026's, not the north's private one.
    assert csv_rows(client.get(links["csv"])) == [header, [
        "Pesquera Sur Austral SpA", "Sur 2025", "Commercial follow-up", "2025", name(org.vendedor_sur), "Active",
        "2", "1", "1"]]
    rows = xlsx_rows(client.get(links["xlsx"]))
    assert rows[1][3] == 2025 and rows[1][6:] == [2, 1, 1]
    # Any status: the closed one too, in the page's order (by customer, then name).
    html = client.get(reverse("work:project_list") + "?year=2025&status=any").content.decode()
    rows = csv_rows(client.get(export_links(html)["csv"]))
    assert [row[1] for row in rows[1:]] == ["Cerrado 2025", "Sur 2025"]


def test_the_project_list_offers_saved_views(client, english):
    client.force_login(english.vendedor_sur)
    html = client.get(reverse("work:project_list") + "?status=closed").content.decode()
    assert 'name="list_key" value="projects"' in html and "Save view" in html


# ---------- Business plans ----------

def test_the_plan_export_holds_the_teams_listed_plans_with_typed_cells(client, english):
    org = english
    PlanFactory(account=org.south_account, owner=org.vendedor_sur, name="Plan Sur 2026",
                revenue_target=Decimal("1500000.50"), currency="CLP")
    PlanFactory(account=org.south_account, owner=org.vendedor_sur, name="=Plan peligroso",
                period_start=datetime.date(2025, 1, 1), period_end=datetime.date(2025, 12, 31))
    PlanFactory(account=org.south_account, owner=org.vendedor_sur, name="Plan aprobado", status="approved")
    PlanFactory(account=org.north_account, owner=org.vendedor_norte, name="Plan Norte privado")
    client.force_login(org.gerente_sur)
    html = client.get(reverse("plans:overview") + "?status=draft").content.decode()
    links = export_links(html)
    header = ["Plan", "Account", "Owner", "Period start", "Period end", "Status", "Revenue target"]
    # The drafts of the south team, latest period first; the formula-like name neutralised.
    rows = csv_rows(client.get(links["csv"]))
    assert rows == [header,
                    ["Plan Sur 2026", "Pesquera Sur Austral SpA", name(org.vendedor_sur), "2026-01-01", "2026-12-31",
                     "Draft", "1500000.50"],
                    ["'=Plan peligroso", "Pesquera Sur Austral SpA", name(org.vendedor_sur), "2025-01-01",
                     "2025-12-31", "Draft", "10000000.00"]]
    sheet = xlsx_rows(client.get(links["xlsx"]))
    assert sheet[1][3] == datetime.datetime(2026, 1, 1) and sheet[1][6] == 1500000.5
    assert sheet[2][0] == "'=Plan peligroso"


def test_a_plan_export_by_a_rep_holds_none_of_another_reps_private_plans(english):
    org = english
    PlanFactory(account=org.south_account, owner=org.vendedor_sur, name="Plan Sur")
    PlanFactory(account=org.north_account, owner=org.vendedor_norte, name="Plan Norte privado")
    text = "".join(exporting.stream_csv(exporting.rows("plans", org.vendedor_sur)))
    assert "Plan Sur" in text and "Plan Norte privado" not in text and "Minera" not in text


# ---------- Campaigns and the catalogue (list pages of the shared pattern: their columns as shown) ----------

def test_the_campaign_export_holds_the_reps_listed_campaigns_only(client, english):
    org = english
    CampaignFactory(owner=org.vendedor_sur, name="Feria Pesquera", kind="trade_fair", status="planned",
                    start_date=datetime.date(2026, 5, 4), end_date=datetime.date(2026, 5, 6))
    CampaignFactory(owner=org.vendedor_sur, name="@Webinar", kind="webinar", status="planned",
                    start_date=datetime.date(2026, 3, 1))
    CampaignFactory(owner=org.vendedor_sur, name="Feria pasada", kind="trade_fair", status="completed")
    CampaignFactory(owner=org.vendedor_norte, name="Feria Exponor", kind="trade_fair", status="planned")
    client.force_login(org.vendedor_sur)
    html = client.get(reverse("marketing:campaign_list") + "?status=planned").content.decode()
    links = export_links(html)
    rows = csv_rows(client.get(links["csv"]))
    # Planned campaigns the rep may see, latest start first (the page's default sort); never the north's.
    assert rows[0][:3] == ["Name", "Type", "Status"]
    assert [row[0] for row in rows[1:]] == ["Feria Pesquera", "'@Webinar"]
    sheet = xlsx_rows(client.get(links["xlsx"]))
    assert sheet[1][rows[0].index("Start date")] == datetime.datetime(2026, 5, 4)


def test_the_product_export_follows_its_filters_with_typed_cells(client, english):
    ProductFactory(code="A-1", name="Bomba", family="Bombas", tax_rate=Decimal("19"))
    ProductFactory(code="A-2", name="Válvula", family="Válvulas")
    ProductFactory(code="A-3", name="Bomba vieja", family="Bombas", is_active=False)
    client.force_login(english.vendedor_sur)
    html = client.get(reverse("sales:product_list") + "?family=Bombas&active=yes").content.decode()
    links = export_links(html)
    rows = csv_rows(client.get(links["csv"]))
    assert [row[:2] for row in rows[1:]] == [["A-1", "Bomba"]]
    sheet = xlsx_rows(client.get(links["xlsx"]))
    assert sheet[1][sheet[0].index("Tax %")] == 19 and sheet[1][sheet[0].index("Status")] is True


def test_the_competitor_export_neutralises_formula_text(client, english):
    Competitor.objects.create(name="Rival SpA", country="CL", phone="+56221234567")
    client.force_login(english.vendedor_sur)
    html = client.get(reverse("sales:competitor_list")).content.decode()
    rows = csv_rows(client.get(export_links(html)["csv"]))
    assert rows[1][0] == "Rival SpA" and rows[1][rows[0].index("Phone")] == "'+56221234567"
