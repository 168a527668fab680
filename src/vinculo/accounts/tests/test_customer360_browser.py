"""Issue #3's browser acceptance test on the demo data: a rep opens the account with the most data,
sees the contract-renewal alert, pages through the timeline and uploads a new version of a file."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from vinculo.accounts.models import Account
from vinculo.customer360.models import Document

from .pages import scroll_sections_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_works_through_the_richest_demo_account(browser_page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("demo", "--size", "small", verbosity=0)
    account = Account.objects.get(legal_name="Minera Atacama SpA")
    document = Document.objects.filter(account=account).order_by("pk").first()
    assert document is not None, "the demo gives the richest account some files"
    versions_before = document.versions.count()

    page = browser_page
    page.goto("/login/")
    page.fill("#id_username", "vendedor.norte")
    page.fill("#id_password", "demo")
    page.click(".login-form button[type=submit]")
    page.goto(f"/accounts/{account.pk}/")
    expect(page.locator("h1")).to_contain_text("Minera Atacama")

    # The renewal alert names a contract expiring within 60 days.
    renewal = page.locator(".c360-alerts .alert-warning")
    expect(renewal).to_be_visible()
    expect(renewal.locator("a").first).to_have_attribute("href", re.compile(r"/accounts/contracts/\d+/"))

    # The timeline pages in place (htmx): page 2 shows the next ten entries.
    timeline = page.locator("#timeline")
    first_entry = timeline.locator(".timeline-entry").first.inner_text()
    page.evaluate("window.notReloaded = true")
    timeline.locator(".pager a.button").last.click()
    expect(page.locator("#timeline .pager .muted")).to_contain_text(re.compile(r"^11–20 "))
    assert page.locator("#timeline .timeline-entry").first.inner_text() != first_entry
    assert page.evaluate("window.notReloaded") is True

    # Upload a new version of one of its files; the old one stays listed and downloadable.
    page.goto(f"/accounts/files/{document.pk}/")
    page.set_input_files("input[type=file]", files=[{
        "name": "propuesta-v2.pdf", "mimeType": "application/pdf",
        "buffer": b"%PDF-1.4\n% new version uploaded from the browser test\n%%EOF\n",
    }])
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
    expect(page.locator("body")).to_contain_text("propuesta-v2.pdf")
    assert document.versions.count() == versions_before + 1
    oldest = document.versions.order_by("number").first()
    response = page.request.get(f"/accounts/files/versions/{oldest.pk}/download/")
    assert response.status == 200
    assert response.body() == oldest.file.open("rb").read()


@pytest.mark.parametrize("width, height", [(390, 844), (1440, 900)])
def test_sections_below_the_fold_load_as_they_scroll_into_view_in_the_layouts_order(browser_page, org, width, height):
    from .test_account_page import fill

    account = org.north_account
    fill(account, org.vendedor_norte, 3)
    page = browser_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/login/")
    page.fill("#id_username", "vendedor.norte")
    page.fill("#id_password", "demo")
    page.click(".login-form button[type=submit]")
    page.goto(account.get_absolute_url())
    expect(page.locator("#timeline .timeline-entry").first).to_be_visible()
    expect(page.locator("#contacts tbody tr").first).to_be_attached()
    expect(page.locator("#documents.c360-lazy")).to_be_attached()  # far below: not loaded yet

    def tops(ids):
        return page.evaluate("ids => ids.map(id => document.getElementById(id).getBoundingClientRect().top)", ids)

    # On a phone: the timeline, the people and the deals first, then the sales figures and the rest; on a wide
    # screen the sales figures lead the main column. Placeholders hold their section's place.
    main = (["timeline", "contacts", "opportunities", "sales", "plans", "invoices"] if width < 760
            else ["sales", "timeline", "contacts", "plans", "opportunities", "invoices"])
    assert tops(main) == sorted(tops(main))
    scroll_sections_in(page)
    expect(page.locator("section.c360-lazy")).to_have_count(0)
    expect(page.locator("#invoices")).to_contain_text("F-0-")
    expect(page.locator("#documents")).to_contain_text("Documento 0")
    assert tops(main) == sorted(tops(main))
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
