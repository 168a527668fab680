"""The acceptance of issue #12 in a browser: as vendedor.norte create an annual plan with two quarterly
sub-plans and an objective "2 visits" and submit it; as gerente.norte return it with a comment, then approve it
after resubmission; log a visit linked to the objective and see its progress move to 1 of 2."""

import pytest
from playwright.sync_api import expect

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.core import clock
from vinculo.org.models import Role
from vinculo.org.tests.factories import UserFactory
from vinculo.plans.models import BusinessPlan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username):
    page.context.clear_cookies()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo")
    page.click(".login-form button[type=submit]")
    expect(page.locator(".user-menu")).to_be_visible()


def test_plan_is_created_returned_approved_and_measured(browser_page):
    zone = Role.objects.create(name="Zone manager North")
    rep_role = Role.objects.create(name="Rep North", parent=zone)
    manager = UserFactory(username="gerente.norte", role=zone, language="en")
    UserFactory(username="vendedor.norte", role=rep_role, manager=manager, language="en")
    rep = UserFactory._meta.model.objects.get(username="vendedor.norte")
    account = AccountFactory(owner=rep, legal_name="Minera Atacama SpA")
    year = clock.today().year
    page = browser_page

    sign_in(page, "vendedor.norte")
    page.goto(f"/plans/new/?account={account.pk}")
    page.fill("#id_name", f"Plan anual {year}")
    page.fill("#id_period_start", f"{year}-01-01")
    page.fill("#id_period_end", f"{year}-12-31")
    page.fill("#id_revenue_target", "120000000")
    page.get_by_role("button", name="Create plan").click()
    expect(page.locator("h1")).to_contain_text(f"Plan anual {year}")
    annual = BusinessPlan.objects.get(name=f"Plan anual {year}")

    for name, start, end in (("T1", "01-01", "03-31"), ("T2", "04-01", "06-30")):
        page.goto(annual.get_absolute_url())
        page.get_by_role("link", name="Add sub-plan").click()
        page.fill("#id_name", f"{name} {year}")
        page.fill("#id_period_start", f"{year}-{start}")
        page.fill("#id_period_end", f"{year}-{end}")
        page.get_by_role("button", name="Create plan").click()
        expect(page.locator(".breadcrumb")).to_contain_text(f"Plan anual {year}")
    assert sorted(annual.sub_plans.values_list("name", "period_type")) == [
        (f"T1 {year}", "quarterly"), (f"T2 {year}", "quarterly")]

    page.goto(annual.get_absolute_url())
    page.get_by_role("link", name="Add objective").click()
    page.fill("#id_name", "2 visits")
    page.select_option("#id_activity_kind", "visit")
    page.fill("#id_target", "2")
    page.get_by_role("button", name="Create objective").click()
    expect(page.locator("#objectives")).to_contain_text("2 visits")
    expect(page.locator("#objectives")).to_contain_text("0 of 2")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.locator("h1")).to_contain_text("Submitted")

    sign_in(page, "gerente.norte")
    page.goto("/plans/")
    expect(page.locator("#waiting")).to_contain_text(f"Plan anual {year}")
    page.locator("#waiting").get_by_role("link", name=f"Plan anual {year}").click()
    page.fill("#id_comment", "Add the visits to the Escondida site")
    page.get_by_role("button", name="Return to Draft").click()
    expect(page.locator("h1")).to_contain_text("Draft")
    expect(page.locator("#timeline")).to_contain_text("Add the visits to the Escondida site")

    sign_in(page, "vendedor.norte")
    page.goto(annual.get_absolute_url())
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.locator("h1")).to_contain_text("Submitted")

    sign_in(page, "gerente.norte")
    page.goto(annual.get_absolute_url())
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("h1")).to_contain_text("Final approved")
    annual.refresh_from_db()
    assert annual.status == BusinessPlan.Status.APPROVED
    assert [step.to_status for step in annual.transitions.all()] == ["submitted", "draft", "submitted", "approved"]

    sign_in(page, "vendedor.norte")
    page.goto(annual.get_absolute_url())
    page.locator("#objectives").get_by_role("link", name="Log follow-up activity").click()
    page.fill("#id_subject", "Visit to the Escondida site")
    page.get_by_role("button", name="Log activity").click()
    expect(page.locator("h1")).to_contain_text("Visit to the Escondida site")
    page.goto(annual.get_absolute_url())
    expect(page.locator("#objectives")).to_contain_text("1 of 2")
