"""The plan workflow, Draft → Submitted → Final approved → Expired (issue #12, point 2): every transition
for every role, the rules around it, and the scheduled expiry."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from vinculo.core import schedule
from vinculo.plans import services
from vinculo.plans.models import BusinessPlan, Notification, PlanTransition

from .factories import ObjectiveFactory, PlanFactory

pytestmark = pytest.mark.django_db
Status = BusinessPlan.Status

ROLES = ("owner", "manager", "director", "other_rep", "admin", "approver")
# Who may make each transition, by rule: the owner (or an admin) submits; a reviewer — the owner's manager
# up the hierarchy, or a holder of *approve plans*, never the owner — approves and returns; the owner, a
# reviewer or an editor ends an approved plan.
ALLOWED = {
    "submit": {"owner", "admin"},
    "approve": {"manager", "director", "admin", "approver"},
    "return": {"manager", "director", "admin", "approver"},
    "return_approved": {"manager", "director", "admin", "approver"},
    "expire": {"owner", "manager", "director", "admin", "approver"},
}
# Each transition: the status it starts from, the service, the status it leads to.
TRANSITIONS = {
    "submit": (Status.DRAFT, lambda plan, user: services.submit_plan(plan, user), Status.SUBMITTED),
    "approve": (Status.SUBMITTED, lambda plan, user: services.approve_plan(plan, user), Status.APPROVED),
    "return": (Status.SUBMITTED, lambda plan, user: services.return_plan(plan, user, "Más visitas"), Status.DRAFT),
    "return_approved": (Status.APPROVED, lambda plan, user: services.return_plan(plan, user, "Revisar meta"),
                        Status.DRAFT),
    "expire": (Status.APPROVED, lambda plan, user: services.expire_plan(plan, user), Status.EXPIRED),
}


def user_for(plan_org, role):
    return {"owner": plan_org.vendedor_norte, "manager": plan_org.gerente_norte, "director": plan_org.director,
            "other_rep": plan_org.vendedor_sur, "admin": plan_org.admin, "approver": plan_org.approver}[role]


def plan_in(plan_org, status):
    plan = PlanFactory(account=plan_org.north_account, owner=plan_org.vendedor_norte)
    BusinessPlan.objects.filter(pk=plan.pk).update(status=status)
    plan.refresh_from_db()
    return plan


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("transition", list(TRANSITIONS))
def test_workflow_matrix(plan_org, transition, role):
    start, run, end = TRANSITIONS[transition]
    plan = plan_in(plan_org, start)
    user = user_for(plan_org, role)
    if role in ALLOWED[transition]:
        run(plan, user)
        plan.refresh_from_db()
        assert plan.status == end
        step = PlanTransition.objects.get(plan=plan)
        assert (step.from_status, step.to_status, step.by) == (start, end, user)
        assert transition.split("_")[0] in services.allowed_transitions(user, plan_in(plan_org, start))
    else:
        with pytest.raises(PermissionDenied):
            run(plan, user)
        plan.refresh_from_db()
        assert plan.status == start
        assert not PlanTransition.objects.filter(plan=plan).exists()
        assert transition.split("_")[0] not in services.allowed_transitions(user, plan)


def test_an_admin_may_not_approve_a_plan_of_their_own(plan_org):
    plan = PlanFactory(account=plan_org.north_account, owner=plan_org.admin, status=Status.SUBMITTED)
    with pytest.raises(PermissionDenied):
        services.approve_plan(plan, plan_org.admin)
    # Even holding *approve plans*, an owner is no reviewer of their plan.
    own = PlanFactory(account=plan_org.north_account, owner=plan_org.approver, status=Status.SUBMITTED)
    with pytest.raises(PermissionDenied):
        services.approve_plan(own, plan_org.approver)
    assert BusinessPlan.objects.get(pk=own.pk).status == Status.SUBMITTED


@pytest.mark.parametrize("comment", ["", "   "])
def test_return_without_a_comment_is_refused(plan_org, comment):
    plan = plan_in(plan_org, Status.SUBMITTED)
    with pytest.raises(ValidationError) as refused:
        services.return_plan(plan, plan_org.gerente_norte, comment)
    assert "comment" in refused.value.message_dict
    assert BusinessPlan.objects.get(pk=plan.pk).status == Status.SUBMITTED


@pytest.mark.parametrize(("transition", "status", "message"), [
    ("submit", Status.SUBMITTED, "Only a draft plan can be submitted; this one is “Submitted”."),
    ("submit", Status.APPROVED, "Only a draft plan can be submitted; this one is “Final approved”."),
    ("approve", Status.DRAFT, "Only a submitted plan can be approved; this one is “Draft”."),
    ("approve", Status.EXPIRED, "Only a submitted plan can be approved; this one is “Expired”."),
    ("return", Status.DRAFT, "Only a submitted or approved plan can be returned to Draft; this one is “Draft”."),
    ("return", Status.EXPIRED,
     "Only a submitted or approved plan can be returned to Draft; this one is “Expired”."),
    ("expire", Status.DRAFT, "Only an approved plan can expire; this one is “Draft”."),
    ("expire", Status.SUBMITTED, "Only an approved plan can expire; this one is “Submitted”."),
    ("expire", Status.EXPIRED, "Only an approved plan can expire; this one is “Expired”."),
])
def test_an_invalid_transition_names_the_current_status(plan_org, transition, status, message):
    plan = plan_in(plan_org, status)
    user = plan_org.vendedor_norte if transition == "submit" else plan_org.gerente_norte
    with pytest.raises(ValidationError) as refused:
        TRANSITIONS[transition][1](plan, user)
    assert refused.value.messages == [message]
    assert BusinessPlan.objects.get(pk=plan.pk).status == status


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.APPROVED])
def test_editing_a_frozen_plans_target_or_goals_is_refused_and_changes_nothing(plan_org, status):
    plan = plan_in(plan_org, status)
    plan.revenue_target = Decimal("1")
    plan.goals = "Otra cosa"
    with pytest.raises(ValidationError) as refused:
        services.update_plan(plan, plan_org.vendedor_norte)
    assert set(refused.value.message_dict) == {"revenue_target", "goals"}
    stored = BusinessPlan.objects.get(pk=plan.pk)
    assert (stored.revenue_target, stored.goals, stored.version) == (Decimal("10000000"), "", 1)
    objective = ObjectiveFactory(plan=stored)
    objective.target = Decimal(5)
    with pytest.raises(ValidationError):
        services.update_objective(objective, plan_org.vendedor_norte)


def test_returned_plan_can_be_edited_and_resubmitted(plan_org):
    plan = plan_in(plan_org, Status.APPROVED)
    services.return_plan(plan, plan_org.gerente_norte, "Sube la meta")
    plan.refresh_from_db()
    plan.revenue_target = Decimal("12000000")
    services.update_plan(plan, plan_org.vendedor_norte)
    services.submit_plan(plan, plan_org.vendedor_norte)
    assert list(plan.transitions.values_list("from_status", "to_status", "comment")) == [
        (Status.APPROVED, Status.DRAFT, "Sube la meta"), (Status.DRAFT, Status.SUBMITTED, "")]


def test_notifications_go_to_the_manager_on_submit_and_to_the_owner_on_return_and_approval(plan_org):
    plan = plan_in(plan_org, Status.DRAFT)
    services.submit_plan(plan, plan_org.vendedor_norte)
    services.return_plan(plan, plan_org.gerente_norte, "Faltan objetivos")
    services.submit_plan(plan, plan_org.vendedor_norte)
    services.approve_plan(plan, plan_org.gerente_norte)
    assert list(Notification.objects.order_by("id").values_list("recipient__username", "kind")) == [
        ("gerente.norte", "submitted"), ("vendedor.norte", "returned"),
        ("gerente.norte", "submitted"), ("vendedor.norte", "approved")]
    assert services.unread_notifications(plan_org.gerente_norte).count() == 2
    assert services.unread_notifications(plan_org.vendedor_sur).count() == 0


def test_automatic_expiry_with_a_patched_clock_run_twice_makes_one_transition(plan_org, monkeypatch):
    ended = plan_in(plan_org, Status.APPROVED)  # period ends 31 December 2026
    running = PlanFactory(account=plan_org.north_account, owner=plan_org.vendedor_norte, status=Status.APPROVED,
                          period_start=datetime.date(2027, 1, 1), period_end=datetime.date(2027, 12, 31))
    draft = plan_in(plan_org, Status.DRAFT)
    on_last_day = timezone.make_aware(datetime.datetime(2026, 12, 31, 23, 0))
    monkeypatch.setattr("vinculo.core.clock.now", lambda: on_last_day)
    assert services.expire_plans() == 0
    next_day = timezone.make_aware(datetime.datetime(2027, 1, 1, 12, 0))
    monkeypatch.setattr("vinculo.core.clock.now", lambda: next_day)
    assert schedule.run_due() and "plans.expire_plans" in schedule.JOBS
    assert services.expire_plans() == 0  # the scheduled run already expired it
    ended.refresh_from_db()
    assert ended.status == Status.EXPIRED
    assert list(ended.transitions.values_list("from_status", "to_status", "by")) == [
        (Status.APPROVED, Status.EXPIRED, None)]
    assert BusinessPlan.objects.get(pk=running.pk).status == Status.APPROVED
    assert BusinessPlan.objects.get(pk=draft.pk).status == Status.DRAFT
