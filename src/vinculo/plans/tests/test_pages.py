"""The plan pages, the account page's Plans section and sales target, the links from deals and activities,
and what an outsider does not see (issue #12, points 4 to 6)."""

import datetime
from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from vinculo.accounts.tests.pages import load_sections
from vinculo.activities.models import Activity
from vinculo.core import search
from vinculo.core.templatetags.vinculo import money
from vinculo.plans import services
from vinculo.plans.models import BusinessPlan, Notification, Objective
from vinculo.sales.models import Opportunity
from vinculo.sales.tests.factories import OpportunityFactory

from .factories import ObjectiveFactory, PlanFactory

pytestmark = pytest.mark.django_db
Status = BusinessPlan.Status
NOW = timezone.make_aware(datetime.datetime(2026, 6, 1, 12))


@pytest.fixture(autouse=True)
def june(monkeypatch):
    monkeypatch.setattr("vinculo.core.clock.now", lambda: NOW)


def get(client, user, url, status=200):
    """The page at `url` as `user` reads it, with the account page's sections loaded on demand fetched from
    their fragment URLs (as when the reader scrolls to them)."""
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == status
    return load_sections(client, response.content.decode())


@pytest.fixture
def plan(org):
    plan = PlanFactory(account=org.north_account, owner=org.vendedor_norte, name="Plan anual Minera 2026",
                       goals="Crecer en repuestos")
    ObjectiveFactory(plan=plan, name="2 visitas a faena", target=Decimal(2))
    return plan


def fill(plan, n, first=0):
    """`n` sub-plans with a won deal each, and `n` objectives (of each metric in turn) with a visit each."""
    for i in range(first, first + n):
        sub = PlanFactory(account=plan.account, owner=plan.owner, parent=plan, name=f"Sub {i}",
                          period_start=date(2026, 1, 1), period_end=date(2026, 3, 31))
        objective = ObjectiveFactory(plan=plan, name=f"Objetivo {i}", metric=[
            "activities", "revenue_won", "opportunities_created", "executive_contacts", "manual"][i % 5])
        OpportunityFactory(account=plan.account, plan=sub, status=Opportunity.Status.WON, closed_on=date(2026, 2, 1))
        Activity.objects.create(account=plan.account, owner=plan.owner, subject=f"Visita {i}", kind="visit",
                                occurred_at=NOW, objective=objective, plan=plan)


def test_plan_page_shows_objectives_chart_timeline_and_links(client, org, plan):
    deal = OpportunityFactory(account=org.north_account, plan=plan, name="Repuestos molino",
                              status=Opportunity.Status.WON, closed_on=date(2026, 3, 1), amount=Decimal(2500000))
    services.submit_plan(plan, org.vendedor_norte, "Listo")
    html = get(client, org.vendedor_norte, plan.get_absolute_url())
    assert "2 visitas a faena" in html and "Crecer en repuestos" in html
    assert deal.name in html and "<svg" in html
    assert "Listo" in html  # the transition's comment on the timeline
    assert "Submit for approval" not in html  # already submitted
    manager = get(client, org.gerente_norte, plan.get_absolute_url())
    assert "Approve" in manager and "Return to Draft" in manager


@pytest.mark.parametrize("who", ["vendedor_sur", "gerente_sur"])
def test_outsider_gets_404_on_every_plan_page(client, org, plan, who):
    user = getattr(org, who)
    objective = plan.objectives.get()
    for url in (plan.get_absolute_url(), reverse("plans:edit", args=[plan.pk]),
                reverse("plans:objective_edit", args=[objective.pk])):
        get(client, user, url, status=404)
    client.force_login(user)
    for name in ("submit", "approve", "return", "expire"):
        assert client.post(reverse("plans:transition", args=[plan.pk, name]), {"comment": "x"}).status_code == 404
    assert client.post(reverse("plans:link", args=[plan.pk]), {"kind": "deals", "record": 1}).status_code == 404
    overview = get(client, user, reverse("plans:overview"))
    assert plan.name not in overview


def test_plan_page_queries_stay_bounded(client, org, plan, django_assert_max_num_queries):
    client.force_login(org.vendedor_norte)
    client.get(plan.get_absolute_url())
    fill(plan, 5)  # one objective of each metric: one query per metric
    cache.clear()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(plan.get_absolute_url()).status_code == 200
    fill(plan, 10, first=5)
    cache.clear()
    with django_assert_max_num_queries(len(one)):
        html = client.get(plan.get_absolute_url()).content.decode()
    assert "Objetivo 14" in html and "Sub 14" in html


def test_workflow_through_the_page(client, org, plan):
    client.force_login(org.vendedor_norte)
    client.post(reverse("plans:transition", args=[plan.pk, "submit"]), {"comment": ""})
    client.force_login(org.gerente_norte)
    response = client.post(reverse("plans:transition", args=[plan.pk, "return"]), {"comment": " "}, follow=True)
    assert "Say why the plan goes back to Draft." in response.content.decode()
    assert BusinessPlan.objects.get(pk=plan.pk).status == Status.SUBMITTED
    client.post(reverse("plans:transition", args=[plan.pk, "return"]), {"comment": "Falta la meta de visitas"})
    assert BusinessPlan.objects.get(pk=plan.pk).status == Status.DRAFT
    client.force_login(org.vendedor_norte)
    client.post(reverse("plans:transition", args=[plan.pk, "submit"]))
    client.force_login(org.gerente_norte)
    response = client.post(reverse("plans:transition", args=[plan.pk, "expire"]), follow=True)
    assert "Only an approved plan can expire; this one is “Submitted”." in response.content.decode()
    client.post(reverse("plans:transition", args=[plan.pk, "approve"]))
    assert BusinessPlan.objects.get(pk=plan.pk).status == Status.APPROVED
    # The approved plan's targets no longer change through the form.
    client.force_login(org.vendedor_norte)
    response = client.post(reverse("plans:edit", args=[plan.pk]), {
        "name": plan.name, "account": plan.account_id, "owner": plan.owner_id, "period_type": "annual",
        "period_start": "2026-01-01", "period_end": "2026-12-31", "revenue_target": "1", "currency": "CLP",
        "revenue_basis": "linked", "goals": "", "version": BusinessPlan.objects.get(pk=plan.pk).version})
    assert response.status_code == 200 and "Final approved" in response.content.decode()
    assert BusinessPlan.objects.get(pk=plan.pk).revenue_target == Decimal("10000000")


def test_link_and_unlink_a_deal_and_an_activity_from_the_plan_page(client, org, plan):
    objective = plan.objectives.get()
    deal = OpportunityFactory(account=org.north_account)
    visit = Activity.objects.create(account=org.north_account, owner=org.vendedor_norte, subject="Visita faena",
                                    kind="visit", occurred_at=NOW)
    other = OpportunityFactory(account=org.south_account)
    client.force_login(org.vendedor_norte)
    html = client.get(plan.get_absolute_url()).content.decode()
    assert deal.name in html and other.name not in html  # offered: the account's records only
    client.post(reverse("plans:link", args=[plan.pk]), {"kind": "deals", "record": deal.pk})
    client.post(reverse("plans:link", args=[plan.pk]), {"kind": "activities", "record": visit.pk,
                                                        "objective": objective.pk})
    assert Opportunity.objects.get(pk=deal.pk).plan_id == plan.pk
    visit.refresh_from_db()
    assert (visit.plan_id, visit.objective_id) == (plan.pk, objective.pk)
    assert client.post(reverse("plans:link", args=[plan.pk]),
                       {"kind": "deals", "record": other.pk}).status_code == 404
    client.post(reverse("plans:link", args=[plan.pk]), {"kind": "deals", "record": deal.pk, "unlink": "1"})
    assert Opportunity.objects.get(pk=deal.pk).plan_id is None


def test_follow_up_activity_from_an_objective_starts_linked(client, org, plan):
    objective = plan.objectives.get()
    html = get(client, org.vendedor_norte, f"{reverse('activities:create')}?account={plan.account_id}"
                                           f"&objective={objective.pk}&kind=visit")
    assert f'<option value="{objective.pk}" selected>' in html
    get(client, org.vendedor_sur, f"{reverse('activities:create')}?objective={objective.pk}", status=404)
    html = get(client, org.vendedor_norte, f"{reverse('sales:opportunity_create')}?account={plan.account_id}"
                                           f"&objective={objective.pk}")
    assert f'<option value="{objective.pk}" selected>' in html


def test_deal_and_activity_pages_name_their_plan(client, org, plan):
    deal = OpportunityFactory(account=org.north_account, plan=plan)
    visit = Activity.objects.create(account=org.north_account, owner=org.vendedor_norte, subject="Visita",
                                    kind="visit", occurred_at=NOW, plan=plan)
    assert plan.name in get(client, org.vendedor_norte, deal.get_absolute_url())
    assert plan.name in get(client, org.vendedor_norte, visit.get_absolute_url())


def test_account_page_plans_section_and_sales_target_from_the_approved_plan(client, org, plan):
    account = org.north_account
    account.sales_target = Decimal("4000000")
    account.save()
    html = get(client, org.vendedor_norte, account.get_absolute_url())
    assert 'id="plans"' in html and plan.name in html and "2 visitas a faena" in html
    assert money(Decimal(4000000)) in html and "From the approved plan" not in html
    BusinessPlan.objects.filter(pk=plan.pk).update(status=Status.APPROVED)
    html = get(client, org.vendedor_norte, account.get_absolute_url())
    sales = html[html.index('id="sales"'):]
    assert money(Decimal(10000000)) in sales and "From the approved plan" in sales
    assert money(Decimal(4000000)) not in sales
    # A sub-plan's target is part of its parent's, not added to it.
    PlanFactory(account=account, owner=org.vendedor_norte, parent=plan, status=Status.APPROVED,
                period_start=date(2026, 4, 1), period_end=date(2026, 6, 30), revenue_target=Decimal(3000000))
    sales = get(client, org.vendedor_norte, account.get_absolute_url()).split('id="sales"')[1]
    assert money(Decimal(10000000)) in sales


def test_global_objectives_show_on_the_accounts_they_apply_to_only(client, org):
    ObjectiveFactory(plan=None, name="Visitar a cada cliente", account_type="customer",
                     period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))
    prospect = org.south_account
    prospect.account_type = "prospect"
    prospect.save()
    assert "Visitar a cada cliente" in get(client, org.vendedor_norte, org.north_account.get_absolute_url())
    assert "Visitar a cada cliente" not in get(client, org.vendedor_sur, prospect.get_absolute_url())


def test_overview_waiting_for_my_approval_and_at_risk(client, org, plan):
    services.submit_plan(plan, org.vendedor_norte)
    approved = PlanFactory(account=org.north_account, owner=org.vendedor_norte, status=Status.APPROVED,
                           name="Plan en riesgo")
    ObjectiveFactory(plan=approved, name="Objetivo atrasado", target=Decimal(10))
    manager = get(client, org.gerente_norte, reverse("plans:overview"))
    waiting = manager[manager.index('id="waiting"'):manager.index('id="at-risk"')]
    assert plan.name in waiting
    at_risk = manager[manager.index('id="at-risk"'):manager.index('id="team-plans"')]
    assert "Objetivo atrasado" in at_risk and "Plan en riesgo" in at_risk  # nothing won by June
    assert "Submitted for your approval" in manager  # the notification
    owner = get(client, org.vendedor_norte, reverse("plans:overview"))
    assert plan.name not in owner[owner.index('id="waiting"'):owner.index('id="at-risk"')]
    south = get(client, org.gerente_sur, reverse("plans:overview"))
    assert plan.name not in south and "Objetivo atrasado" not in south


def test_search_and_notifications_never_show_an_outsider_a_plan(client, org, plan):
    search.rebuild(BusinessPlan)
    assert plan.name in get(client, org.vendedor_norte, f"{reverse('search')}?q=Minera")
    assert plan.name not in get(client, org.vendedor_sur, f"{reverse('search')}?q=Minera")
    # A notification addressed to someone who may not see the plan is never made, nor shown.
    services.notify(plan, Notification.Kind.SUBMITTED, org.vendedor_norte, "", [org.vendedor_sur.pk])
    Notification.objects.create(recipient=org.vendedor_sur, plan=plan, kind="approved", at=NOW)
    assert services.unread_notifications(org.vendedor_sur).count() == 0
    assert plan.name not in get(client, org.vendedor_sur, reverse("plans:notifications"))


def test_a_holder_of_approve_plans_reviews_without_seeing_the_account(client, plan_org):
    plan = PlanFactory(account=plan_org.north_account, owner=plan_org.vendedor_norte, status=Status.SUBMITTED)
    html = get(client, plan_org.approver, plan.get_absolute_url())
    assert "Approve" in html and plan_org.north_account.legal_name not in html
    get(client, plan_org.approver, reverse("plans:edit", args=[plan.pk]), status=403)


def test_global_objectives_page_and_creation_need_the_permission(client, org):
    get(client, org.vendedor_norte, reverse("plans:global_objective_create"), status=403)
    client.force_login(org.admin)
    response = client.post(reverse("plans:global_objective_create"), {
        "name": "Dos contactos C-level", "metric": "executive_contacts", "target": "2", "risk_margin": "10",
        "manual_progress": "0", "period_start": "2026-01-01", "period_end": "2026-12-31", "currency": "CLP"})
    assert response.status_code == 302
    assert Objective.objects.get(name="Dos contactos C-level").plan_id is None
    assert "Dos contactos C-level" in get(client, org.vendedor_sur, reverse("plans:global_objectives"))


def test_objective_is_added_from_the_plan_page_and_frozen_once_submitted(client, org, plan):
    url = reverse("plans:objective_create", args=[plan.pk])
    assert 'name="activity_kind"' in get(client, org.vendedor_norte, url)
    response = client.post(url, {"name": "3 reuniones", "metric": "activities", "activity_kind": "meeting",
                                 "target": "3", "risk_margin": "10", "manual_progress": "0"})
    assert response.status_code == 302
    assert plan.objectives.filter(name="3 reuniones", activity_kind="meeting").exists()
    services.submit_plan(plan, org.vendedor_norte)
    response = client.post(url, {"name": "Otra", "metric": "manual", "target": "1", "risk_margin": "10",
                                 "manual_progress": "0"})
    assert "its objectives cannot change" in response.content.decode()
    assert not plan.objectives.filter(name="Otra").exists()
