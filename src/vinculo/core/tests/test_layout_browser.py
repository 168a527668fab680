"""Issue #10's layout acceptance in Debian's chromium: on a 390 × 844 phone every navigation entry is reached
through the menu, lists are cards with nothing scrolled sideways and the account's timeline is one tap away;
at 1440 px no list header is cut, filter choices show their whole text and search results have room."""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from vinculo.accounts.models import Account
from vinculo.core import nav

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}
LISTS = ["accounts:list", "contacts:list", "sales:lead_list", "sales:opportunity_list", "sales:quote_list",
         "activities:list"]


def sign_in(page, username):
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo")
    page.click(".login-form button[type=submit]")
    expect(page.locator("#global-search")).to_be_attached()


def test_every_navigation_entry_is_reached_from_the_phone_menu(browser_page, org):
    page = browser_page
    page.set_viewport_size(PHONE)
    sign_in(page, "admin")  # an administrator is shown every entry, permission-bound ones included
    entries = sorted(nav._entries.values(), key=lambda entry: entry.order)
    assert {"accounts", "products", "pricelists", "competitors", "campaigns", "territories", "exchange_rates",
            "recycle_bin"} <= {entry.key for entry in entries}
    for entry in entries:
        page.goto("/")
        expect(page.locator(".nav-links")).to_be_hidden()  # the bar's own links give way to the menu button
        page.click(".nav-drawer summary")
        link = page.locator(f".drawer-panel a[href='{reverse(entry.url_name)}']")
        expect(link).to_be_visible()
        link.evaluate("e => e.scrollIntoView({block: 'center'})")  # the panel scrolls when taller than the screen
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], entry.key
        assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], entry.key
        link.click()
        page.wait_for_url(re.compile(re.escape(reverse(entry.url_name)) + "$"))
        expect(page.locator("h1")).to_be_visible()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"], entry.key
        # The page's own entry is marked in the menu.
        page.click(".nav-drawer summary")
        expect(page.locator(".drawer-panel [aria-current=page]")).to_have_attribute("href", reverse(entry.url_name))
        page.keyboard.press("Escape")
        expect(page.locator(".drawer-panel")).to_be_hidden()


def test_a_phone_shows_lists_as_cards_and_the_account_timeline_in_one_tap(browser_page):
    call_command("demo", "--size", "small", verbosity=0)
    page = browser_page
    page.set_viewport_size(PHONE)
    sign_in(page, "vendedor.norte")
    for url_name in LISTS:
        page.goto(reverse(url_name))
        table = page.locator("table.stack-mobile").first
        expect(table.locator("thead")).to_be_hidden()
        first = table.locator("tbody tr").first
        expect(first.locator(".primary-cell a")).to_be_visible()
        card = first.bounding_box()
        assert card["x"] >= 0 and card["x"] + card["width"] <= PHONE["width"], url_name
        assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"], url_name
        # The filters wait behind their button; the quick search does not.
        filters = page.locator(".filters-more select").first
        expect(page.locator(".filters .field.search input")).to_be_visible()
        expect(filters).to_be_hidden()
        page.click(".filters-fold summary")
        expect(filters).to_be_visible()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"], url_name

    # Forms take one column: every field starts at the same left edge.
    page.goto(reverse("accounts:create"))
    lefts = page.evaluate("[...document.querySelectorAll('.form-grid > .field')].map(f => f.getBoundingClientRect().left)")
    assert len(lefts) > 5 and len(set(lefts)) == 1
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]

    account = Account.objects.get(legal_name="Minera Atacama SpA")
    page.goto(account.get_absolute_url())
    jump = page.locator(".section-nav a[href='#timeline']")
    box = jump.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"], "the timeline link is on the first screen"
    jump.click()
    expect(page.locator("#timeline .timeline-entry").first).to_be_in_viewport()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


def test_at_1440_no_list_header_is_cut_and_filters_and_search_results_show_their_text(browser_page):
    call_command("demo", "--size", "small", verbosity=0)
    page = browser_page
    page.set_viewport_size(WIDE)
    sign_in(page, "director")
    for url_name in LISTS:
        page.goto(reverse(url_name))
        expect(page.locator(".filters-fold summary")).to_be_hidden()
        expect(page.locator(".filters-more select").first).to_be_visible()
        clipped = page.evaluate("""() => {
          const wrap = document.querySelector('.table-wrap');
          const right = wrap.getBoundingClientRect().right;
          const cut = [...wrap.querySelectorAll('thead th')]
            .filter(th => th.scrollWidth > th.clientWidth || th.getBoundingClientRect().right > right + 0.5)
            .map(th => th.textContent.trim());
          if (wrap.scrollWidth > wrap.clientWidth) cut.push('the table scrolls sideways');
          return cut;
        }""")
        assert clipped == [], url_name
        # Each filter's chosen text fits its box (measured in the select's own font).
        cut = page.evaluate("""() => {
          const context = document.createElement('canvas').getContext('2d');
          return [...document.querySelectorAll('.filters select')].filter(select => {
            const style = getComputedStyle(select);
            context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
            const text = select.options[select.selectedIndex].text;
            const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            return context.measureText(text).width > room + 1;  // a pixel for rounding
          }).map(select => select.options[select.selectedIndex].text);
        }""")
        assert cut == [], url_name

    page.goto("/")
    page.keyboard.press("Control+k")
    page.keyboard.type("minera", delay=20)
    results = page.locator("#global-search-results")
    expect(results.locator("a").first).to_be_visible()
    assert results.bounding_box()["width"] >= 480
    assert results.bounding_box()["x"] >= 0
