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


def test_the_large_sets_plans_are_topped_up_in_bulk_once(demo):
    from vinculo.demo.bulk_plans import top_up_plans
    from vinculo.plans.models import Notification, PlanTransition

    story = set(BusinessPlan.all_objects.values_list("pk", flat=True))
    assert top_up_plans(len(story) + 40, seed=2) == 40
    assert top_up_plans(len(story) + 40, seed=2) == 0  # run again: nothing to add
    generated = BusinessPlan.objects.exclude(pk__in=story)
    assert BusinessPlan.all_objects.count() == len(story) + 40 and generated.count() == 40
    assert not generated.filter(account__in=BusinessPlan.objects.filter(pk__in=story).values("account")).exists()
    for plan in generated.select_related("parent", "account"):
        assert plan.owner_id == plan.account.owner_id
        assert plan.objectives.count() == 2
        steps = [step.to_status for step in plan.transitions.all()]
        assert steps == {"draft": [], "submitted": ["submitted"], "approved": ["submitted", "approved"],
                         "expired": ["submitted", "approved", "expired"]}[plan.status]
        if plan.parent is not None:
            assert plan.parent.account_id == plan.account_id and plan.status == plan.parent.status == "approved"
            assert plan.parent.period_start <= plan.period_start <= plan.period_end <= plan.parent.period_end
        if plan.status == "submitted" and plan.owner.manager_id:
            assert Notification.objects.get(plan=plan).recipient_id == plan.owner.manager_id
    assert not Notification.objects.filter(plan__in=generated, email_pending=True).exists()
    assert PlanTransition.objects.filter(plan__in=generated).exists()
