"""The sales flow in a browser, as a rep does it: convert a lead, drag its new deal to the next stage,
make a quote with a line, send it, and download its PDF."""

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from vinculo.org.tests.factories import UserFactory
from vinculo.sales.models import Lead, Quote

from .factories import LeadFactory, default_pipeline

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_converts_a_lead_moves_its_deal_sends_a_quote_and_downloads_the_pdf(browser_page):
    rep = UserFactory(username="vendedora", language="en")
    first, second = default_pipeline()[:2]
    lead = LeadFactory(owner=rep, first_name="Camila", last_name="Rojas", company="Frutícola Los Andes Ltda",
                       email="camila.rojas@losandes.cl")

    page = browser_page
    page.goto("/login/")
    page.fill("#id_username", "vendedora")
    page.fill("#id_password", "demo")
    page.click(".login-form button[type=submit]")

    # Convert: a new account and contact, and a deal in the first stage.
    page.goto(lead.get_absolute_url())
    page.get_by_role("link", name="Convert").click()
    page.fill("#id_amount", "4500000")
    page.get_by_role("button", name="Convert").click()
    expect(page.locator("h1")).to_contain_text("Frutícola Los Andes")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONVERTED
    deal = lead.converted_opportunity
    assert deal.stage == first and deal.account == lead.converted_account

    # The board: drag the deal to the next stage.
    page.goto("/sales/opportunities/board/")
    page.locator(f"#deal-{deal.pk}").drag_to(page.locator(f".board-column[data-stage='{second.pk}'] .board-column-head"))
    expect(page.locator("#board-messages")).to_contain_text(f"moved to {second.name}")
    expect(page.locator(f".board-column[data-stage='{second.pk}'] #deal-{deal.pk}")).to_be_visible()
    deal.refresh_from_db()
    assert deal.stage == second

    # A quote from the deal's page, with one line, sent.
    page.goto(deal.get_absolute_url())
    page.get_by_role("link", name="New quote").first.click()
    page.get_by_role("button", name="Create quote").click()
    page.fill("#id_description", "Cámara de frío, instalación y puesta en marcha")
    page.fill("#id_quantity", "2")
    page.fill("#id_unit_price", "1250000")
    page.fill("#id_tax_rate", "19")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator("#lines-title")).to_contain_text("(1)")
    page.get_by_role("button", name="Send").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Send").click()  # "Mark this quote as sent?"
    quote = Quote.objects.get(opportunity=deal)
    expect(page.locator("main")).to_contain_text("Sent")
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT and quote.total == 2975000  # 2 × 1,250,000 + 19 % IVA

    # The PDF downloads and says what the quote says.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename.startswith(quote.number)
    with open(download.path(), "rb") as pdf:
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read())).pages)
    assert quote.number in text and "Frutícola Los Andes" in text and "Cámara de frío" in text
