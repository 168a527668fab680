"""The acceptance of issue #11 in a browser: as vendedor.norte create a task through the wizard (project →
type → prefilled form), log time twice and read the diary, see the task on the calendar and on the home
page ("My day"), mark it done from the explorer, and download the project's PDF report."""

import datetime

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from pypdf import PdfReader

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.org.models import Role
from vinculo.org.tests.factories import UserFactory
from vinculo.work.models import Priority, Task, TaskType
from vinculo.work.tests.conftest import TODAY
from vinculo.work.tests.factories import make_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username):
    page.context.clear_cookies()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo")
    page.click(".login-form button[type=submit]")
    expect(page.locator(".user-menu")).to_be_visible()


def test_task_from_wizard_to_done_with_its_diary_calendar_home_and_pdf(browser_page, tmp_path):
    zone = Role.objects.create(name="Zone manager North")
    manager = UserFactory(username="gerente.norte", role=zone, language="en", first_name="Gerardo",
                          last_name="Norte")
    rep = UserFactory(username="vendedor.norte", role=Role.objects.create(name="Rep North", parent=zone),
                      manager=manager, language="en", first_name="Valentina", last_name="Norte")
    account = AccountFactory(owner=rep, legal_name="Minera Atacama SpA")
    project = make_project(account, rep, name="Seguimiento comercial 2026")
    # Today's next action: the task is on today's calendar cell and in "My day".
    TaskType.objects.create(name="Llamada de seguimiento", responsible_rule=TaskType.Responsible.ACCOUNT_OWNER,
                            controller_rule=TaskType.Controller.RESPONSIBLE_MANAGER, priority=Priority.HIGH,
                            next_action_days=0)
    page = browser_page
    sign_in(page, "vendedor.norte")

    # The wizard: the project, then the type, then the form the type filled in.
    page.goto(reverse("work:task_create"))
    page.select_option("#id_pick-project", str(project.pk))
    page.get_by_role("button", name="Next").click()
    page.get_by_role("link", name="Llamada de seguimiento").click()
    expect(page.locator("#id_title")).to_have_value("Llamada de seguimiento")
    expect(page.locator("#id_responsible")).to_have_value(str(rep.pk))
    expect(page.locator("#id_controller")).to_have_value(str(manager.pk))
    expect(page.locator("#id_priority")).to_have_value(str(Priority.HIGH))
    page.fill("#id_title", "Llamar por renovación del contrato")
    page.get_by_role("button", name="Create task").click()
    expect(page.locator("h1")).to_contain_text("Llamar por renovación del contrato")
    task = Task.objects.get(title="Llamar por renovación del contrato")
    assert (task.project, task.account, task.creator, task.responsible, task.controller) == (
        project, account, rep, rep, manager)
    assert task.next_action_date == TODAY

    # Time logged twice, the second entry dated the day before: the diary reads newest date first.
    yesterday = TODAY - datetime.timedelta(days=1)
    for minutes, day, comment in ((45, TODAY, "Llamada con el jefe de mantención"),
                                  (30, yesterday, "Preparación de la propuesta")):
        page.fill("#id_minutes", str(minutes))
        page.fill("#id_date", day.isoformat())
        page.fill("#id_comment", comment)
        page.get_by_role("button", name="Log time").click()
        expect(page.locator("#diary")).to_contain_text(comment)
    diary = page.locator("#diary li")
    expect(diary).to_have_count(2)
    expect(diary.nth(0)).to_contain_text("Llamada con el jefe de mantención")
    expect(diary.nth(0)).to_contain_text("45 min")
    expect(diary.nth(1)).to_contain_text("Preparación de la propuesta")
    expect(page.locator("#diary-title")).to_contain_text("75 min in all")

    # On the calendar, in today's cell; on the home page, among today's tasks.
    page.goto(reverse("work:calendar"))
    expect(page.locator(f'td[data-day="{TODAY.isoformat()}"]')).to_contain_text("Llamar por renovación del contrato")
    page.goto("/")
    expect(page.locator("#my-day")).to_contain_text("Llamar por renovación del contrato")
    page.locator("#my-day").get_by_role("link", name="Llamar por renovación del contrato").first.click()
    expect(page.locator("h1")).to_contain_text("Llamar por renovación del contrato")

    # Done from the explorer, in place (the row comes back, the page stays).
    page.goto(reverse("work:task_list"))
    row = page.locator(f"#task-{task.pk}")
    expect(row).to_contain_text("Today")
    row.get_by_role("button", name="Mark done").click()
    expect(page.locator(f"#task-{task.pk}")).to_contain_text("Done")
    assert page.url.endswith(reverse("work:task_list"))
    task.refresh_from_db()
    assert (task.status, task.done_by) == (Task.Status.DONE, rep)

    # The project report, as a rep reads it before visiting: the task, its status and its diary.
    page.goto(project.get_absolute_url())
    # The link opens the PDF inline (Chromium's viewer): fetch what it points at with the page's session.
    href = page.get_by_role("link", name="Project report (PDF)").get_attribute("href")
    response = page.request.get(href)
    assert (response.status, response.headers["content-type"]) == (200, "application/pdf")
    path = tmp_path / "project.pdf"
    path.write_bytes(response.body())
    text = " ".join(p.extract_text() for p in PdfReader(path).pages)
    for expected in ("Seguimiento comercial 2026", "Minera Atacama", "Llamar por renovación del contrato", "Done",
                     "Llamada con el jefe de mantención", "Preparación de la propuesta"):
        assert expected in text, expected
