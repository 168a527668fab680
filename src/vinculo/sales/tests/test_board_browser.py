"""The pipeline board in a browser: drag a card to the next stage, move one with the keyboard menu, and
see a stale move refused with the card back in its column."""

import pytest
from playwright.sync_api import expect

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.core.services import update_record
from vinculo.org.tests.factories import UserFactory
from vinculo.sales.models import Opportunity

from .factories import OpportunityFactory, default_pipeline

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_drags_a_card_moves_one_by_keyboard_and_sees_a_conflict(browser_page):
    rep = UserFactory(username="vendedora", language="en")
    account = AccountFactory(owner=rep, legal_name="Minera Andina SpA")
    first, second, third = default_pipeline()[:3]
    dragged = OpportunityFactory(account=account, owner=rep, stage=first, name="Camiones de extracción")
    keyed = OpportunityFactory(account=account, owner=rep, stage=first, name="Repuestos anuales")

    page = browser_page
    page.goto("/login/")
    page.fill("#id_username", "vendedora")
    page.fill("#id_password", "demo")
    page.click(".login-form button[type=submit]")
    page.goto("/sales/opportunities/board/")

    # Drag and drop to the next column: the board answers with the columns, the card in its new stage.
    card = page.locator(f"#deal-{dragged.pk}")
    card.drag_to(page.locator(f".board-column[data-stage='{second.pk}'] .board-column-head"))
    expect(page.locator("#board-messages")).to_contain_text(f"moved to {second.name}")
    expect(page.locator(f".board-column[data-stage='{second.pk}'] #deal-{dragged.pk}")).to_be_visible()
    dragged.refresh_from_db()
    assert dragged.stage == second and dragged.probability == second.probability

    # The keyboard way: the card's "Move" menu, arrow down, Enter.
    page.locator(f"#deal-{keyed.pk} [data-move-menu]").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".move-menu")).to_be_visible()
    page.keyboard.press("ArrowDown")  # the first item is the second stage, the next the third
    page.keyboard.press("Enter")
    expect(page.locator(f".board-column[data-stage='{third.pk}'] #deal-{keyed.pk}")).to_be_visible()
    expect(page.locator(f"#deal-{keyed.pk} .deal-name")).to_be_focused()
    assert Opportunity.objects.get(pk=keyed.pk).stage == third

    # Someone else changes the deal: the next drag is refused and the card stays where it was.
    dragged.refresh_from_db()
    dragged.next_step = "Visita a faena"
    update_record(dragged, by=UserFactory(username="jefa", first_name="Jefa", last_name="Zona"))
    page.locator(f"#deal-{dragged.pk}").drag_to(
        page.locator(f".board-column[data-stage='{third.pk}'] .board-column-head"))
    expect(page.locator("#board-messages .alert-error")).to_contain_text("Jefa Zona changed")
    expect(page.locator(f".board-column[data-stage='{second.pk}'] #deal-{dragged.pk}")).to_be_visible()
    assert Opportunity.objects.get(pk=dragged.pk).stage == second
