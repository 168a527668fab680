"""The activity form's contacts and participants (core.forms.MultiChoice) with the keyboard alone: type to
filter (accents ignored), arrows and Enter to choose, Backspace to take the last one back, Escape and Enter to save. The
contacts offered are the visible contacts of the account, nothing else."""

import re

import pytest
from playwright.sync_api import expect

from vinculo.activities.models import Activity
from vinculo.contacts.tests.factories import ContactFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rename(user, first, last):
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])


def test_choose_contacts_and_participants_with_the_keyboard(browser_page, org):
    rename(org.gerente_norte, "Rodrigo", "Ramírez")
    rename(org.vendedor_sur, "Lucía", "Ramos")
    rename(org.director, "Andrea", "Soto")
    rename(org.vendedor_norte, "Matías", "Rojas")
    rojas = ContactFactory(account=org.north_account, first_name="Ana", last_name="Rojas")
    org.vendedor_norte.language = "en"
    org.vendedor_norte.save(update_fields=["language"])

    page = browser_page
    page.goto("/login/")
    page.fill("#id_username", "vendedor.norte")
    page.fill("#id_password", "demo")
    page.click(".login-form button[type=submit]")
    page.goto(f"/activities/new/?account={org.north_account.pk}")
    page.focus("#id_subject")
    page.keyboard.type("Visita a planta")

    # Contacts: the account's visible contacts only; "roj" leaves Ana Rojas, Enter takes her.
    search = page.locator("#id_contacts_search")
    options = page.locator("#id_contacts_listbox [role=option]")
    search.focus()
    expect(page.locator("label[for=id_contacts_search]")).to_have_text("Contacts")
    expect(options).to_have_text([str(org.north_contact), str(rojas)], use_inner_text=True)
    page.keyboard.type("roj")
    expect(options.locator("visible=true")).to_have_text([str(rojas)])
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=f"Remove {rojas}")).to_be_visible()
    expect(search).to_have_value("")

    # Participants, reached with Tab from the owner: "rami" (no accent) finds Ramírez but not Ramos.
    page.focus("#id_owner")
    page.keyboard.press("Tab")
    participants = page.locator("#id_participants_search")
    expect(participants).to_be_focused()
    expect(participants).to_have_attribute("aria-expanded", "true")
    page.keyboard.type("rami")
    shown = page.locator("#id_participants_listbox [role=option]").locator("visible=true")
    expect(shown).to_have_text(["Rodrigo Ramírez"])
    page.keyboard.press("Enter")
    # "ra" shows both, the first highlighted; Down and Up move; Enter adds Ramos; Backspace in the empty box
    # takes back the last one shown, Ramírez.
    page.keyboard.type("ra")
    expect(shown).to_have_text(["Lucía Ramos", "Rodrigo Ramírez"])
    ramos_id = shown.nth(0).get_attribute("id")
    expect(participants).to_have_attribute("aria-activedescendant", ramos_id)
    page.keyboard.press("ArrowDown")
    expect(participants).to_have_attribute("aria-activedescendant", shown.nth(1).get_attribute("id"))
    page.keyboard.press("ArrowUp")
    expect(participants).to_have_attribute("aria-activedescendant", ramos_id)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Remove Lucía Ramos")).to_be_visible()
    tags = page.get_by_role("list", name="Participants: Chosen").locator(".multichoice-tag > span")
    expect(tags).to_have_text(["Lucía Ramos", "Rodrigo Ramírez"])
    page.keyboard.press("Backspace")
    expect(tags).to_have_text(["Lucía Ramos"])
    expect(page.locator("#id_participants_listbox [aria-selected=true]")).to_have_text(["Lucía Ramos"])

    # Escape closes the list; Enter then submits the form.
    page.keyboard.press("Escape")
    expect(participants).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/activities/\d+/$"))
    activity = Activity.objects.get(subject="Visita a planta")
    assert list(activity.contacts.all()) == [rojas]
    assert list(activity.participants.all()) == [org.vendedor_sur]
