"""The Content-Security-Policy holds in a real browser: the main pages, opened by a signed-in user in
Debian's chromium, run under the policy settings.py sends (scripts and styles from our own files only, no
inline script or style, no eval) without a single violation, and still work: htmx fragments load,
search answers as you type, the board shows its deals, the territory tree is indented."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from vinculo.org.tests.factories import TerritoryFactory
from vinculo.sales.tests.factories import CampaignFactory, OpportunityFactory, QuoteFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script (Playwright injects it, so the policy does not apply to it): every violation
# of the page's policy is kept for the test to read.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " blocked " + (event.blockedURI || "inline") +
                              " at " + event.sourceFile + ":" + event.lineNumber);
}, true);
"""


@pytest.fixture
def watched_page(browser_page):
    """The browser page, and `page.violations(label)`: the violations its documents reported so far (call it
    before leaving each page: a new document starts a new list), each with the label of its page."""
    page = browser_page
    console, found = [], []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(RECORD_VIOLATIONS)

    def violations(label: str) -> list[str]:
        found.extend(f"{label}: {text}" for text in page.evaluate("window.__cspViolations || []"))
        found.extend(f"{label}: {text}" for text in console
                     if "Content Security Policy" in text or text.startswith("Refused to"))
        console.clear()
        return found

    page.violations = violations
    return page


def test_the_policy_sent_allows_no_inline_script_or_style_and_no_eval(client, org):
    client.force_login(org.admin)
    header = client.get("/").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in header.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in header
    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"] == ["'self'"]


def test_main_pages_run_under_the_policy_without_a_violation(watched_page, org):
    page = watched_page
    deal = OpportunityFactory(account=org.north_account, name="Ampliación planta Antofagasta")
    quote = QuoteFactory(opportunity=deal)
    campaign = CampaignFactory(owner=org.admin, name="Feria minera 2026")
    north = TerritoryFactory(name="Zona Norte")
    TerritoryFactory(name="Antofagasta", parent=north)

    page.goto("/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "demo")
    page.click(".login-form button[type=submit]")
    expect(page.locator("#global-search")).to_be_visible()
    assert page.violations("home") == []
    # htmx was told not to insert its indicator <style> (the policy would refuse it).
    assert page.locator("head style").count() == 0

    # Search as you type: an htmx request answered into the dropdown.
    page.locator("#global-search").press_sequentially("minera", delay=20)
    expect(page.locator(f"#global-search-results a[href='{org.north_account.get_absolute_url()}']")).to_be_visible()
    assert page.violations("search as you type") == []

    page.goto("/accounts/")
    expect(page.locator("main")).to_contain_text(org.north_account.legal_name)
    assert page.violations("account list") == []

    page.goto(org.north_account.get_absolute_url())
    expect(page.locator("h1")).to_contain_text(org.north_account.legal_name)
    # The deals load through htmx once their section scrolls into view.
    page.locator("#opportunities").scroll_into_view_if_needed()
    expect(page.locator("#opportunities")).to_contain_text(deal.name)
    assert page.violations("account page") == []

    # The contact page loads its sections after the page, each through htmx.
    page.goto(org.north_contact.get_absolute_url())
    expect(page.locator("h1")).to_contain_text(org.north_contact.last_name)
    expect(page.locator("main [aria-busy=true]")).to_have_count(0)
    assert page.violations("contact page") == []

    page.goto("/sales/opportunities/board/")
    expect(page.locator(f"#deal-{deal.pk}")).to_be_visible()
    assert page.violations("deal board") == []

    page.goto(deal.get_absolute_url())
    expect(page.locator("h1")).to_contain_text(deal.name)
    assert page.violations("deal page") == []

    page.goto(quote.get_absolute_url())
    expect(page.locator("main")).to_contain_text(quote.number)
    assert page.violations("quote page") == []

    page.goto(campaign.get_absolute_url())
    expect(page.locator("h1")).to_contain_text(campaign.name)
    assert page.violations("campaign page") == []

    page.goto("/search/?q=minera")
    expect(page.locator("main")).to_contain_text(org.north_account.legal_name)
    assert page.violations("search page") == []

    # The organisation's settings pages; the tree is indented by script now that style="" is refused.
    page.goto("/org/territories/")
    child = page.locator(".tree-name", has_text="Antofagasta")
    expect(child).to_be_visible()
    indent = child.evaluate("el => parseFloat(getComputedStyle(el).paddingLeft)")
    root = page.locator(".tree-name", has_text="Zona Norte").evaluate("el => parseFloat(getComputedStyle(el).paddingLeft)")
    assert indent > root
    assert page.violations("territories") == []

    page.goto("/org/exchange-rates/")
    expect(page.locator("h1")).to_be_visible()
    assert page.violations("exchange rates") == []

    page.goto("/org/sales-teams/")
    expect(page.locator("h1")).to_be_visible()
    assert page.violations("sales teams") == []
