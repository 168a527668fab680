"""Deleting in a browser: the page's own dialog asks (never the browser's confirm()), Escape and Cancel keep
the record, the message after the delete has an Undo that brings the record back."""

import re

import pytest
from playwright.sync_api import expect

from vinculo.accounts.models import Account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_delete_asks_in_the_page_and_undo_restores(browser_page, org):
    page = browser_page
    native = []
    page.on("dialog", lambda dialog: (native.append(dialog.message), dialog.dismiss()))
    account = org.north_account
    org.vendedor_norte.language = "en"
    org.vendedor_norte.save(update_fields=["language"])
    page.goto("/login/")
    page.fill("#id_username", "vendedor.norte")
    page.fill("#id_password", "demo")
    page.click(".login-form button[type=submit]")
    page.goto(account.get_absolute_url())

    delete = page.locator(f"form[action='{account.get_absolute_url()}delete/'] button[type=submit]")
    dialog = page.locator("#confirm-dialog")
    # Escape closes the dialog, nothing is deleted, the focus goes back to the Delete button.
    delete.click()
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Move this account to the recycle bin?")
    expect(dialog.locator("[data-confirm-cancel]")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(delete).to_be_focused()
    # Cancel too.
    delete.click()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert Account.objects.filter(pk=account.pk).exists()

    # The keyboard alone: Enter on Delete, Shift+Tab to the dialog's own Delete, Enter.
    delete.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Delete")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/accounts/$"))
    message = page.locator(".messages .alert")
    expect(message).to_contain_text(f"“{account}” was moved to the recycle bin.")
    assert not Account.objects.filter(pk=account.pk).exists()

    message.get_by_role("button", name="Undo").click()
    page.wait_for_url(re.compile(rf"/accounts/{account.pk}/$"))
    expect(page.locator(".messages")).to_contain_text(f"“{account}” was restored.")
    assert Account.objects.get(pk=account.pk).deleted_at is None
    assert native == []
