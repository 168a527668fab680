"""The "Export" menu of a list in Debian's chromium: on a 390 px phone it sits in the list's toolbar (not the page
header), opens within the screen, and its link downloads the file of what the page lists."""

import csv
import io
import os

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from vinculo.contacts.tests.factories import ContactFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_the_export_menu_fits_a_phone_and_downloads_the_listed_contacts(browser_page, org):
    for n in range(3):
        ContactFactory(account=org.north_account, first_name="Lista", last_name=f"Exportada{n}", email=f"l{n}@x.cl")
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto("/login/")
    page.fill("#id_username", "vendedor.norte")
    page.fill("#id_password", "demo")
    page.click(".login-form button[type=submit]")
    expect(page.locator("#global-search")).to_be_attached()
    page.goto(reverse("contacts:list") + "?q=exportada")
    menu = page.locator(".list-toolbar .actions-menu")
    expect(menu.locator("summary")).to_be_visible()
    assert page.locator(".page-header .actions-menu").count() == 0
    header = page.locator(".page-header").bounding_box()
    menu.locator("summary").click()
    panel = menu.locator(".menu-panel")
    expect(panel).to_be_visible()
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    if os.environ.get("VINCULO_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["VINCULO_SCREENSHOTS"], "export-menu-phone.png"))
    # The page header keeps its height: the menu added nothing to it.
    assert page.locator(".page-header").bounding_box()["height"] == header["height"]
    with page.expect_download() as download:
        panel.locator("a", has_text="CSV").first.click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(text)))
    assert sorted(row[0] for row in rows[1:]) == ["Lista Exportada0", "Lista Exportada1", "Lista Exportada2"]
