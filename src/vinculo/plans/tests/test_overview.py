"""The managers' plans overview (issue #12, point 6) on many plans: its queries stay bounded, it pages
the team's plans, and it names an account only to those who may see it."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.plans.models import BusinessPlan, Notification

from .factories import ObjectiveFactory, PlanFactory

pytestmark = pytest.mark.django_db
Status = BusinessPlan.Status
NOW = timezone.make_aware(datetime.datetime(2026, 6, 1, 12))


@pytest.fixture(autouse=True)
def june(monkeypatch):
    monkeypatch.setattr("vinculo.core.clock.now", lambda: NOW)


def plans_of(owner, n, first=0):
    """`n` plans of `owner`, each on an account of their own, in every status in turn, with an objective
    each and a notice to the owner's manager for the submitted ones."""
    statuses = [Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.EXPIRED]
    for i in range(first, first + n):
        plan = PlanFactory(account=AccountFactory(owner=owner), owner=owner, name=f"Plan {owner.username} {i}",
                           status=statuses[i % 4])
        ObjectiveFactory(plan=plan, name=f"Objetivo {i}", target=Decimal(10))
        if plan.status == Status.SUBMITTED and owner.manager_id:
            Notification.objects.create(recipient_id=owner.manager_id, plan=plan, kind="submitted", at=NOW)


def overview_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("who", ["gerente_norte", "director"])
def test_overview_queries_do_not_grow_with_the_plans(client, org, who, django_assert_max_num_queries):
    user = getattr(org, who)
    client.force_login(user)
    plans_of(org.vendedor_norte, 4)
    plans_of(org.vendedor_norte2, 4)
    url = reverse("plans:overview")
    client.get(url)
    few = overview_queries(client, url)
    plans_of(org.vendedor_norte, 40, first=4)
    plans_of(org.vendedor_norte2, 40, first=4)
    plans_of(org.vendedor_sur, 20)
    with django_assert_max_num_queries(few):
        html = client.get(url).content.decode()
    team = {"gerente_norte": 88, "director": 108}[who]  # the north reps' 2 × 44 plans, and the south rep's 20
    assert f"My team's plans <span class=\"count\">{team}</span>" in html
    with django_assert_max_num_queries(few):
        assert client.get(url + "?status=submitted&page=2").status_code == 200


def test_overview_pages_the_teams_plans(client, org):
    plans_of(org.vendedor_norte, 60)  # 60 plans, 25 on a page: 3 pages
    client.force_login(org.gerente_norte)
    first = client.get(reverse("plans:overview")).content.decode()
    team = first[first.index('id="team-plans"'):]
    assert "1–25 of 60" in team and "Page 1 of 3" in team
    last = client.get(reverse("plans:overview") + "?page=3").content.decode()
    team = last[last.index('id="team-plans"'):]
    assert "51–60 of 60" in team
    assert team.count('<tr><td><a href="/plans/') == 10


def test_a_reviewer_who_may_not_see_the_account_gets_the_plan_without_its_account(client, plan_org):
    account = AccountFactory(owner=plan_org.vendedor_norte, legal_name="Cuenta Reservada SpA")
    plan = PlanFactory(account=account, owner=plan_org.vendedor_norte, status=Status.SUBMITTED, name="Plan reservado")
    client.force_login(plan_org.approver)
    html = client.get(reverse("plans:overview")).content.decode()
    assert plan.name in html and "Cuenta Reservada" not in html
    client.force_login(plan_org.gerente_norte)
    assert "Cuenta Reservada" in client.get(reverse("plans:overview")).content.decode()


def test_the_pagers_links_fetch_the_team_plans_alone(client, org):
    plans_of(org.vendedor_norte, 30)
    client.force_login(org.gerente_norte)
    html = client.get(reverse("plans:overview") + "?page=2", headers={"HX-Request": "true", "HX-Target": "team-plans"}
                      ).content.decode()
    assert html.startswith('<section class="card" id="team-plans"') and 'id="waiting"' not in html
    assert "26–30 of 30" in html and "Submitted <span class=\"count\">8</span>" in html


def test_the_twenty_longest_waiting_plans_are_listed_with_the_count_of_all(client, org):
    plans_of(org.vendedor_norte, 84)  # every fourth submitted: 21 wait for gerente.norte
    client.force_login(org.gerente_norte)
    html = client.get(reverse("plans:overview")).content.decode()
    waiting = html[html.index('id="waiting"'):html.index('id="at-risk"')]
    assert 'Waiting for my approval <span class="count">21</span>' in waiting
    assert waiting.count('<tr><td><a href="/plans/') == 20
    assert "All 21 submitted plans" in waiting
