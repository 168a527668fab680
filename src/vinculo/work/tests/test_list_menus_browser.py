"""The task list's toolbar in a browser, on a desk and on a phone: the Views and Export menus open, their
panels stay on the screen, and the export links carry the filters the page has just applied (htmx)."""

import os

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.org.models import Role
from vinculo.org.tests.factories import UserFactory
from vinculo.work.models import Priority
from vinculo.work.tests.factories import make_task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username):
    page.context.clear_cookies()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo")
    page.click(".login-form button[type=submit]")
    expect(page.locator(".user-menu")).to_be_visible()


@pytest.mark.parametrize("width", [1440, 390])
def test_the_task_lists_export_menu_opens_on_screen_and_follows_the_filters(browser_page, width):
    zone = Role.objects.create(name="Zone manager North")
    manager = UserFactory(username="gerente.norte", role=zone, language="en")
    rep = UserFactory(username="vendedor.norte", role=Role.objects.create(name="Rep North", parent=zone),
                      manager=manager, language="en", first_name="Valentina", last_name="Norte")
    account = AccountFactory(owner=rep, legal_name="Minera Atacama SpA")
    for n, priority in enumerate([Priority.HIGH, Priority.NORMAL, Priority.LOW] * 3):
        make_task(rep, account, title=f"Llamar por la renovación {n}", priority=priority)
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "vendedor.norte")
    page.goto(reverse("work:task_list"))
    page.select_option("#id_priority", str(Priority.HIGH))
    expect(page.locator("#task-results tbody tr")).to_have_count(3)
    page.locator(".actions-menu summary").click()
    panel = page.locator(".actions-menu .menu-panel")
    expect(panel).to_be_visible()
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    shots = os.environ.get("VINCULO_SHOTS")
    if shots:
        page.screenshot(path=f"{shots}/tasks-{width}.png", full_page=True)
    href = page.get_by_role("link", name="CSV").get_attribute("href")
    assert f"priority={Priority.HIGH}" in href
