"""Possible duplicates in a browser: typing a name on the new contact form lists the similar contact (htmx),
the pairs page links to the merge page, merging keeps the winner and restoring the loser undoes it.
VINCULO_SCREENSHOTS=<dir> saves the pages at 1440 and 390 px for review."""

import os
import re

import pytest
from playwright.sync_api import expect

from vinculo.contacts.models import Contact
from vinculo.contacts.tests.factories import ContactFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shoot(page, name):
    folder = os.environ.get("VINCULO_SCREENSHOTS")
    if not folder:
        return
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=os.path.join(folder, f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_typing_lists_possible_duplicates_and_a_pair_is_merged_then_undone(browser_page, org):
    page = browser_page
    Contact.objects.filter(pk=org.north_contact.pk).update(first_name="Isabel")
    twin = ContactFactory(account=org.north_account, first_name="Isabel", last_name="Aráya", email="isabel@norte.cl",
                          phone="+56223456789")
    org.vendedor_norte.language = "en"
    org.vendedor_norte.save(update_fields=["language"])
    page.goto("/login/")
    page.fill("#id_username", "vendedor.norte")
    page.fill("#id_password", "demo")
    page.click(".login-form button[type=submit]")

    page.goto("/contacts/new/")
    page.fill("#id_first_name", "Isabel")
    page.fill("#id_last_name", "Araya")
    found = page.locator("#possible-duplicates")
    expect(found).to_contain_text("Possible duplicates")
    expect(found).to_contain_text("Isabel Aráya")
    shoot(page, "contact-form")

    page.goto("/duplicates/contact/")
    expect(page.locator("#duplicate-pairs")).to_contain_text("Isabel Aráya")
    shoot(page, "pairs")
    page.locator("#duplicate-pairs a.button", has_text="Merge").first.click()
    page.wait_for_url(re.compile(r"/merge/"))
    shoot(page, "merge")
    page.get_by_role("button", name="Merge").click()
    page.wait_for_url(re.compile(r"/contacts/\d+/$"))
    assert Contact.objects.count() == 2 + 1 - 1
    page.goto("/recycle-bin/")
    page.get_by_role("button", name="Restore").first.click()
    page.wait_for_url(re.compile(r"/contacts/\d+/$"))
    assert Contact.objects.filter(pk__in=[twin.pk, org.north_contact.pk]).count() == 2
