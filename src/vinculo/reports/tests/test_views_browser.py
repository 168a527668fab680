"""In a browser: filter the deal list, save the view, go elsewhere, pick the view again and see the same rows.
Screenshots of the views menu and of the report folders at desktop and phone widths land in
$VINCULO_SCREENSHOTS when it is set (for a person to look at; nothing is asserted on them)."""

import os

import pytest
from playwright.sync_api import expect

from vinculo.reports.models import SavedReport, SavedView, Visibility
from vinculo.sales.tests.factories import OpportunityFactory, default_pipeline

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shoot(page, name: str) -> None:
    folder = os.environ.get("VINCULO_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def test_save_a_filtered_deal_list_as_a_view_and_pick_it_again(browser_page, org):
    page = browser_page
    first, second = default_pipeline()[:2]
    OpportunityFactory(owner=org.vendedor_norte, account=org.north_account, stage=first, name="Etapa uno A")
    OpportunityFactory(owner=org.vendedor_norte, account=org.north_account, stage=first, name="Etapa uno B")
    OpportunityFactory(owner=org.vendedor_norte, account=org.north_account, stage=second, name="Etapa dos")
    org.vendedor_norte.language = "en"
    org.vendedor_norte.save(update_fields=["language"])
    page.goto("/login/")
    page.fill("#id_username", "vendedor.norte")
    page.fill("#id_password", "demo")
    page.click(".login-form button[type=submit]")

    page.goto("/sales/opportunities/")
    results = page.locator("#opportunity-results")
    expect(results).to_contain_text("Etapa dos")
    page.select_option("#list-filters select[name=stage]", str(first.pk))  # htmx reloads the table
    expect(results).not_to_contain_text("Etapa dos")
    expect(results).to_contain_text("Etapa uno A")

    menu = page.locator("details.views-menu")
    menu.locator("summary").click()
    menu.get_by_label("Name").fill("Primera etapa")
    menu.get_by_role("button", name="Save view").click()
    expect(page.locator("details.views-menu summary")).to_be_visible()
    view = SavedView.objects.get(name="Primera etapa")
    assert view.filters["stage"] == [str(first.pk)] and view.visibility == Visibility.PRIVATE

    page.goto("/accounts/")
    page.goto("/sales/opportunities/")
    expect(results).to_contain_text("Etapa dos")
    page.locator("details.views-menu summary").click()
    _shoot(page, "deal-list-views-menu-1280")
    page.locator("details.views-menu").get_by_role("link", name="Primera etapa", exact=True).click()
    expect(results).to_contain_text("Etapa uno A")
    expect(results).to_contain_text("Etapa uno B")
    expect(results).not_to_contain_text("Etapa dos")
    expect(page.locator("#list-filters select[name=stage]")).to_have_value(str(first.pk))

    if os.environ.get("VINCULO_SCREENSHOTS"):
        SavedReport.objects.create(owner=org.vendedor_norte, name="Embudo por etapa", record_type="opportunity",
                                   folder="Gerencia", visibility=Visibility.EVERYONE)
        SavedReport.objects.create(owner=org.vendedor_norte, name="Sin carpeta", record_type="lead")
        for width, height in ((1440, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto("/sales/opportunities/")
            page.locator("details.views-menu summary").click()
            _shoot(page, f"deal-list-views-menu-{width}")
            page.goto("/reports/")
            _shoot(page, f"reports-folders-{width}")
            page.goto(f"/reports/views/{view.pk}/")
            _shoot(page, f"view-edit-{width}")
            page.goto("/work/tasks/")
            page.locator("details.views-menu summary").click()
            _shoot(page, f"task-list-views-menu-{width}")
