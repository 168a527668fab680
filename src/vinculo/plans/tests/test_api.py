"""/api/v1/plans and /api/v1/objectives (issue #12, point 7), and the plan links of deals and activities, with
the API's conventions: 404 for what the caller may not see, 409 on a stale version, 422 naming the field."""

import datetime
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from vinculo.activities.models import Activity
from vinculo.core.tests.api_client import ApiClient, error_fields
from vinculo.plans.models import BusinessPlan, Objective
from vinculo.sales.models import Opportunity
from vinculo.sales.tests.factories import OpportunityFactory

from .factories import ObjectiveFactory, PlanFactory

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(datetime.datetime(2026, 6, 1, 12))


@pytest.fixture(autouse=True)
def june(monkeypatch):
    monkeypatch.setattr("vinculo.core.clock.now", lambda: NOW)


@pytest.fixture
def plan(org):
    return PlanFactory(account=org.north_account, owner=org.vendedor_norte, name="Plan Minera 2026")


def test_create_read_and_list_a_plan(org):
    api = ApiClient(org.vendedor_norte)
    response = api.post("/plans", {"account": org.north_account.pk, "name": "Plan 2026", "period_start": "2026-01-01",
                                   "period_end": "2026-12-31", "revenue_target": "50000000", "goals": "Crecer"})
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["status"], created["period_type"], created["owner"]["id"], created["history"]) == (
        "draft", "annual", org.vendedor_norte.pk, [])
    assert created["revenue_actual"] == "0"
    quarter = api.post("/plans", {"account": org.north_account.pk, "name": "Q2", "parent": created["id"],
                                  "period_start": "2026-04-01", "period_end": "2026-06-30"}).json()
    assert quarter["period_type"] == "quarterly" and quarter["parent"]["id"] == created["id"]
    OpportunityFactory(account=org.north_account, plan_id=quarter["id"], status=Opportunity.Status.WON,
                       closed_on=date(2026, 5, 5), amount=Decimal(700))
    found = {item["name"]: item for item in api.get("/plans", account=org.north_account.pk).json()["items"]}
    assert (found["Plan 2026"]["revenue_actual"], found["Q2"]["revenue_actual"]) == ("700", "700")
    assert api.get(f"/plans/{created['id']}").headers["ETag"] == '"1"'


def test_bad_input_is_422_naming_the_field(org, plan):
    api = ApiClient(org.vendedor_norte)
    assert error_fields(api.post("/plans", {"account": org.north_account.pk, "name": "X",
                                            "period_start": "2026-12-31", "period_end": "2026-01-01"})) == {"period_end"}
    assert error_fields(api.post("/plans", {"account": org.south_account.pk, "name": "X", "period_start": "2026-01-01",
                                            "period_end": "2026-12-31"})) == {"account"}
    assert error_fields(api.post("/plans", {"account": org.north_account.pk, "name": "X", "status": "approved",
                                            "period_start": "2026-01-01", "period_end": "2026-12-31"})) == {"status"}
    assert error_fields(api.post("/objectives", {"plan": plan.pk, "name": "Visitas", "metric": "activities",
                                                 "target": "2"})) == {"activity_kind"}


def test_stale_version_is_409_and_a_frozen_target_422(org, plan):
    api = ApiClient(org.vendedor_norte)
    assert api.patch(f"/plans/{plan.pk}", {"name": "Nuevo", "version": 1}).status_code == 200
    assert api.patch(f"/plans/{plan.pk}", {"name": "Otro", "version": 1}).status_code == 409
    assert api.post(f"/plans/{plan.pk}/submit", {}).status_code == 200
    response = api.patch(f"/plans/{plan.pk}", {"revenue_target": "1", "version": 3})
    assert response.status_code == 422 and error_fields(response) == {"revenue_target"}
    assert BusinessPlan.objects.get(pk=plan.pk).revenue_target == Decimal("10000000")


def test_workflow_actions(org, plan):
    owner, manager = ApiClient(org.vendedor_norte), ApiClient(org.gerente_norte)
    assert manager.post(f"/plans/{plan.pk}/submit", {}).status_code == 403
    assert owner.post(f"/plans/{plan.pk}/submit", {"comment": "Listo"}).json()["status"] == "submitted"
    assert owner.post(f"/plans/{plan.pk}/approve", {}).status_code == 403  # never the owner
    response = manager.post(f"/plans/{plan.pk}/return", {})
    assert response.status_code == 422 and error_fields(response) == {"comment"}
    assert manager.post(f"/plans/{plan.pk}/return", {"comment": "Más detalle"}).json()["status"] == "draft"
    owner.post(f"/plans/{plan.pk}/submit", {})
    assert manager.post(f"/plans/{plan.pk}/approve", {"version": 1}).status_code == 409
    approved = manager.post(f"/plans/{plan.pk}/approve", {}).json()
    assert approved["status"] == "approved"
    assert [(step["from_status"], step["to_status"], step["comment"]) for step in approved["history"]] == [
        ("draft", "submitted", "Listo"), ("submitted", "draft", "Más detalle"), ("draft", "submitted", ""),
        ("submitted", "approved", "")]
    response = manager.post(f"/plans/{plan.pk}/submit", {})
    assert response.status_code in (403, 422)
    response = owner.post(f"/plans/{plan.pk}/submit", {})
    assert response.status_code == 422
    assert response.json()["detail"][0]["message"] == "Only a draft plan can be submitted; this one is “Final approved”."
    assert owner.post(f"/plans/{plan.pk}/expire", {}).json()["status"] == "expired"


def test_an_outsider_gets_404_everywhere(org, plan):
    objective = ObjectiveFactory(plan=plan)
    api = ApiClient(org.vendedor_sur)
    assert api.get(f"/plans/{plan.pk}").status_code == 404
    assert api.get(f"/objectives/{objective.pk}").status_code == 404
    assert api.patch(f"/plans/{plan.pk}", {"name": "x", "version": 1}).status_code == 404
    for action in ("submit", "approve", "return", "expire"):
        assert api.post(f"/plans/{plan.pk}/{action}", {"comment": "x"}).status_code == 404
    assert api.get("/plans").json()["count"] == 0
    assert api.get("/objectives", scope="plan").json()["count"] == 0
    response = api.post("/objectives", {"plan": plan.pk, "name": "x", "metric": "manual", "target": "1"})
    assert error_fields(response) == {"plan"}
    deal = OpportunityFactory(account=org.south_account, owner=org.vendedor_sur)
    assert error_fields(api.patch(f"/opportunities/{deal.pk}", {"plan": plan.pk, "version": 1})) == {"plan"}


def test_objectives_with_progress_and_global_ones_on_an_account(org, plan):
    objective = ObjectiveFactory(plan=plan, name="2 visitas", target=Decimal(2))
    Activity.objects.create(account=org.north_account, owner=org.vendedor_norte, subject="Visita", kind="visit",
                            occurred_at=NOW, objective=objective, plan=plan)
    everyone = ObjectiveFactory(plan=None, name="Todas", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))
    api = ApiClient(org.vendedor_norte)
    read = api.get(f"/objectives/{objective.pk}").json()
    # 1 of 2 on 1 June: 50 % done, 152 of 365 days gone (42 %): on track.
    assert (read["progress"], read["state"], read["plan"]["id"]) == ("1", "on_track", plan.pk)
    listed = {item["name"]: item for item in api.get("/objectives", account=org.north_account.pk).json()["items"]}
    assert set(listed) == {"2 visitas", "Todas"}
    assert listed["Todas"]["progress"] == "1"  # the account's visit counts for the global objective
    assert api.get(f"/objectives/{everyone.pk}").json()["progress"] is None
    assert api.get(f"/objectives/{everyone.pk}", account=org.north_account.pk).json()["progress"] == "1"
    created = api.post("/objectives", {"plan": plan.pk, "name": "Ingresos", "metric": "revenue_won",
                                       "target": "5000000"})
    assert created.status_code == 201 and created.json()["currency"] == "CLP"
    refused = api.post("/objectives", {"name": "Global", "metric": "manual", "target": "1",
                                       "period_start": "2026-01-01", "period_end": "2026-12-31"})
    assert refused.status_code == 403


def test_deals_and_activities_link_to_a_plan_or_an_objective(org, plan):
    objective = ObjectiveFactory(plan=plan)
    api = ApiClient(org.vendedor_norte)
    deal = OpportunityFactory(account=org.north_account)
    response = api.patch(f"/opportunities/{deal.pk}", {"objective": objective.pk, "version": 1})
    assert response.status_code == 200, response.content
    assert (response.json()["plan"]["id"], response.json()["objective"]["id"]) == (plan.pk, objective.pk)
    other = PlanFactory(account=org.south_account, owner=org.vendedor_sur)
    response = api.post("/activities", {"account": org.north_account.pk, "subject": "Visita", "kind": "visit",
                                        "plan": plan.pk})
    assert response.status_code == 201 and response.json()["plan"]["id"] == plan.pk
    assert [item["id"] for item in api.get("/activities", plan=plan.pk).json()["items"]] == [response.json()["id"]]
    # A plan of another account: refused, naming the field (one the caller cannot see reads as missing).
    admin = ApiClient(org.admin)
    refused = admin.patch(f"/opportunities/{deal.pk}", {"plan": other.pk, "version": 2})
    assert refused.status_code == 422 and error_fields(refused) == {"plan", "objective"}
    assert Opportunity.objects.get(pk=deal.pk).plan_id == plan.pk
    assert Objective.objects.filter(pk=objective.pk).exists()
