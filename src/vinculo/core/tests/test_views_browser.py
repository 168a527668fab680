"""The issue's browser acceptance test: a rep finds an account, edits it, sees the change and its
history, and switches the interface language, all in Debian's chromium through Playwright."""

import re

import pytest
from playwright.sync_api import expect

from vinculo.accounts.models import Account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_searches_opens_edits_and_switches_language(browser_page, org):
    page = browser_page
    account = org.north_account

    page.goto("/login/")
    page.fill("#id_username", "vendedor.norte")
    page.fill("#id_password", "demo")
    page.click(".login-form button[type=submit]")
    expect(page.locator("#global-search")).to_be_visible()

    # Ctrl+K jumps to the search box; results arrive as you type; arrows and Enter open one.
    page.keyboard.press("Control+k")
    expect(page.locator("#global-search")).to_be_focused()
    page.keyboard.type("minera norte", delay=30)
    result = page.locator(f"#global-search-results a[href='/accounts/{account.pk}/']")
    expect(result).to_be_visible()
    expect(page.locator("#global-search-results")).not_to_contain_text(org.south_account.legal_name)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/accounts/{account.pk}/$"))
    expect(page.locator("h1")).to_contain_text(account.legal_name)

    page.click(f"a[href='/accounts/{account.pk}/edit/']")
    page.fill("#id_trade_name", "Norte Grande")
    page.click(".form-actions button[type=submit]")
    page.wait_for_url(re.compile(rf"/accounts/{account.pk}/$"))
    expect(page.locator("h1")).to_contain_text("Norte Grande")
    history = page.locator("#history")
    expect(history.locator("ins")).to_contain_text("Norte Grande")
    assert Account.objects.get(pk=account.pk).trade_name == "Norte Grande"

    page.click(".user-menu summary")
    page.click(".user-menu button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.click(".user-menu summary")
    page.click(".user-menu button[value=es]")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    org.vendedor_norte.refresh_from_db()
    assert org.vendedor_norte.language == "es"
