"""The demo's business plans (issue #12, point 8)."""

from collections import Counter

from vinculo.core import clock
from vinculo.demo.builders import SIZES, load_demo
from vinculo.plans import progress
from vinculo.plans.models import BusinessPlan, Objective
from vinculo.plans.views import waiting_for

State = Objective.State


def test_minera_atacama_has_an_approved_annual_plan_with_two_quarterly_sub_plans(demo):
    today = clock.today()
    annual = BusinessPlan.objects.get(account__legal_name="Minera Atacama SpA", parent=None,
                                      period_start__year=today.year)
    assert (annual.status, annual.period_type, annual.owner.username) == ("approved", "annual", "vendedor.norte")
    subs = list(annual.sub_plans.order_by("period_start"))
    assert [(sub.status, sub.period_type) for sub in subs] == [("approved", "quarterly")] * 2
    assert any(sub.period_start <= today <= sub.period_end for sub in subs)
    objectives = list(Objective.objects.filter(plan__in=[annual, *subs]).select_related("plan"))
    states = Counter(found.state for found in progress.objectives_progress(objectives, today))
    assert states[State.ON_TRACK] + states[State.ACHIEVED] >= 1 and states[State.AT_RISK] >= 1
    assert [(step.from_status, step.to_status, step.by.username) for step in annual.transitions.all()] == [
        ("draft", "submitted", "vendedor.norte"), ("submitted", "approved", "gerente.norte")]


def test_plans_in_every_status_one_waiting_for_gerente_norte_and_global_objectives(demo):
    assert set(BusinessPlan.objects.values_list("status", flat=True)) == set(BusinessPlan.Status.values)
    waiting = list(waiting_for(demo["gerente.norte"]))
    assert [plan.account.legal_name for plan in waiting] == ["Atacama Servicios Mineros Ltda."]
    assert Objective.objects.filter(plan=None).count() == 3
    returned = BusinessPlan.objects.get(account__legal_name="Pesquera Austral Ltda.")
    assert returned.status == "draft" and returned.transitions.last().comment


def test_loading_again_adds_no_plans(demo):
    before = BusinessPlan.all_objects.count(), Objective.all_objects.count()
    load_demo(SIZES["small"])
    assert (BusinessPlan.all_objects.count(), Objective.all_objects.count()) == before
