"""The import in a browser: upload a Spanish Outlook CSV, accept the suggested mapping, watch the progress
bar reach 100 % while the worker runs the job, download the rejected rows, revert the import."""

import pytest
from playwright.sync_api import expect

from vinculo.contacts.models import Contact
from vinculo.exchange.models import ImportJob
from vinculo.exchange.tasks import run_import
from vinculo.org.tests.factories import UserFactory

from .helpers import FIXTURES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_imports_a_spanish_outlook_file_follows_progress_downloads_rejected_rows_and_reverts(browser_page):
    UserFactory(username="vendedora", language="en")
    page = browser_page
    page.goto("/login/")
    page.fill("#id_username", "vendedora")
    page.fill("#id_password", "demo")
    page.click(".login-form button[type=submit]")

    page.goto("/exchange/import/")
    page.select_option("#id_kind", "contacts")
    page.set_input_files("#id_file", str(FIXTURES / "outlook_es.csv"))
    page.get_by_role("button", name="Next: columns").click()

    # The suggested mapping, and the preview's verdicts: row 4 would be rejected, row 6 has a warning.
    expect(page.get_by_label("Dirección de correo electrónico")).to_have_value("email")
    expect(page.get_by_label("Teléfono móvil")).to_have_value("mobile")
    expect(page.locator("#preview")).to_contain_text("is not a valid e-mail and the row has no phone")
    page.get_by_role("button", name="Import").click()

    # Queued: the page polls; the worker runs the job; the bar reaches 100 %.
    expect(page.locator("#import-progress")).to_contain_text("Queued")
    job = ImportJob.objects.get()
    run_import.call(job.pk)
    expect(page.locator("#import-percent")).to_have_text("100 %")
    expect(page.locator("#import-bar")).to_have_attribute("value", "100")
    expect(page.locator("#count-created")).to_have_text("3")
    expect(page.locator("#count-rejected")).to_have_text("1")
    assert Contact.objects.filter(email="camila.nunez@biobio.cl").exists()

    with page.expect_download() as download_info:
        page.locator("#download-rejected").click()
    with open(download_info.value.path(), encoding="utf-8-sig") as rejected:
        lines = rejected.read().splitlines()
    assert lines[0].startswith("Row,Reason,") and lines[1].startswith("4,")

    page.locator("#revert").click()
    page.locator("[data-confirm-accept]").click()  # the page's own confirmation, not the browser's
    expect(page.locator("#import-progress")).to_contain_text("Reverted")
    assert not Contact.objects.filter(email="camila.nunez@biobio.cl").exists()
