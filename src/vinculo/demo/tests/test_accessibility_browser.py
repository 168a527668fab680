"""Every main page of the demo, checked by axe-core (axe-playwright-python runs the axe.min.js its wheel ships)
against WCAG 2.1 AA, in Spanish and in English, on a 1440 px screen and a 390 px phone: no violation.

One browser session per language: the demo is loaded once, the rep signs in once and visits every page at
both widths. Besides the pages as they load, the states a user opens: the "More" and user menus, the
global search's results, a delete's confirmation dialog and the multiple choice's open list."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from vinculo.accounts.models import Account
from vinculo.accounts.tests.pages import scroll_sections_in
from vinculo.activities.models import Activity
from vinculo.contacts.models import Contact
from vinculo.core.services import soft_delete
from vinculo.demo.builders import SIZES, load_demo
from vinculo.org.models import User
from vinculo.sales.models import Lead, Opportunity, Quote

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
              "resultTypes": ["violations"]}
WIDTHS = (1440, 390)


def main_pages(user) -> list[str]:
    account = Account.objects.get(legal_name="Minera Atacama SpA")
    contact = Contact.objects.visible_to(user).filter(account=account).order_by("pk").first()
    deal = Opportunity.objects.visible_to(user).filter(account=account).order_by("pk").first()
    activity = Activity.objects.visible_to(user).filter(account=account).order_by("pk").first()
    lead = Lead.objects.visible_to(user).order_by("pk").first()
    quote = Quote.objects.visible_to(user).filter(opportunity__account=account).order_by("pk").first()
    return [
        "/", "/accounts/", "/contacts/", "/sales/leads/", "/sales/opportunities/", "/sales/quotes/", "/activities/",
        "/marketing/campaigns/", "/sales/catalogue/products/",
        account.get_absolute_url(), contact.get_absolute_url(), lead.get_absolute_url(), deal.get_absolute_url(),
        quote.get_absolute_url(), "/sales/opportunities/board/", "/search/?q=atacama",
        "/accounts/new/", f"/accounts/{account.pk}/edit/", "/contacts/new/", f"/contacts/{contact.pk}/edit/",
        "/sales/opportunities/new/", f"/sales/opportunities/{deal.pk}/edit/",
        f"/activities/new/?account={account.pk}", f"/activities/{activity.pk}/edit/",
        "/recycle-bin/",
    ]


def violations(axe, page, where: str) -> list[str]:
    found = axe.run(page, options=WCAG_21_AA).response["violations"]
    return [f"{where}: {violation['id']} ({violation['impact']}) on "
            + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
            for violation in found]


def open_states(page, width: int, account_url: str, activity_form_url: str):
    """The parts of pages that only show when opened: (what, how to open it). Narrower than the bar's
    entries, the menu button's panel holds them all, "More" included."""
    menu = ".nav-more summary" if width > 1400 else ".nav-drawer summary"
    return [
        ("/ with the More menu open", "/", lambda: page.click(menu)),
        ("/ with the user menu open", "/", lambda: page.click(".user-menu summary")),
        ("/ with search results", "/", lambda: (page.keyboard.press("Control+k"), page.keyboard.type("atacama"),
                                                page.locator("#global-search-results a").first.wait_for())),
        (f"{account_url} asking to confirm a delete", account_url,
         lambda: page.click(f"form[action='{account_url}delete/'] button[type=submit]")),
        (f"{activity_form_url} with the participants' list open", activity_form_url,
         lambda: page.focus("#id_participants_search")),
    ]


@pytest.mark.parametrize("language", ["es", "en"])
def test_main_pages_have_no_wcag_21_aa_violations(browser_page, settings, tmp_path, language):
    settings.MEDIA_ROOT = tmp_path
    load_demo(SIZES["small"])
    rep = User.objects.get(username="vendedor.norte")
    rep.language = language
    rep.save(update_fields=["language"])
    # A record in the recycle bin, so its table is checked too.
    soft_delete(Activity.objects.filter(owner=rep).order_by("pk").last(), by=rep)
    pages = main_pages(rep)

    page = browser_page
    page.goto("/login/")
    page.fill("#id_username", rep.username)
    page.fill("#id_password", "demo")
    page.click(".login-form button[type=submit]")
    page.wait_for_url("**/")
    assert page.locator("html").get_attribute("lang") == language

    axe = Axe()
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for url in pages:
            page.goto(url)
            page.wait_for_load_state("networkidle")
            scroll_sections_in(page)  # the account page's sections loaded on demand
            found += violations(axe, page, f"{url} at {width} px")
        for what, url, how in open_states(page, width, pages[9], pages[23]):
            page.goto(url)
            page.wait_for_load_state("networkidle")
            how()
            found += violations(axe, page, f"{what} at {width} px")
    assert not found, "\n".join(found)
