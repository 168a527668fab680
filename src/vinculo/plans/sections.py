"""What plans add to the account page: the Plans section (current plans first, with their revenue and
objectives' progress, and the global objectives that apply to the account) and the sales target, taken
from the account's current approved plans."""

from datetime import date
from decimal import Decimal

from django.db.models import Case, IntegerField, OuterRef, Value, When
from django.utils.translation import gettext_lazy as _

from vinculo.accounts import page
from vinculo.core import compiled
from vinculo.core.money import MissingRate, rates_on, total_in

from . import links, progress
from .models import BusinessPlan, Objective

PLANS_SHOWN = 5


class PlansSection(page.Section):
    key = "plans"
    label = _("Business plans")
    template = "plans/_account_plans.html"
    order = 35
    column = "main"

    def count(self, account, user, prepared):
        # A plan inherits its account's visibility: whoever sees the account sees all of its plans.
        return page.count_of(BusinessPlan.objects.filter(account=OuterRef("pk")))

    def page(self, account, user, number, today, total, params, prepared):
        # Current plans first (approved, then in review, then drafts), then the others, newest period first.
        current = (BusinessPlan.objects.filter(account=account).select_related("owner", "parent")
                   .annotate(rank=Case(
                       When(status=BusinessPlan.Status.EXPIRED, then=Value(3)),
                       When(period_end__lt=today, then=Value(2)),
                       When(status=BusinessPlan.Status.APPROVED, then=Value(0)),
                       default=Value(1), output_field=IntegerField()))
                   .order_by("rank", "-period_start", "name", "pk"))
        found = page.page_of(self, current, total, number, account, size=PLANS_SHOWN)
        by_plan = {plan.pk: plan for plan in found.rows}
        objectives = list(Objective.objects.filter(plan__in=list(by_plan))) if by_plan else []
        for objective in objectives:
            objective.plan = by_plan[objective.plan_id]  # one of the plans just read: set, not joined again
        found.global_objectives = list(progress.global_objectives_for(account, today, user).select_related("plan"))
        # The plans' revenue, their objectives' and the global objectives' progress measured together: one
        # read of the account's won deals, of its activities, and of the exchange rates.
        revenues, measured = progress.plans_progress(found.rows, [*objectives, *found.global_objectives], today,
                                                     account.pk)
        for plan, revenue in zip(found.rows, revenues, strict=True):
            plan.revenue, plan.shown_objectives = revenue, []
        for objective, progress_found in zip([*objectives, *found.global_objectives], measured, strict=True):
            objective.progress = progress_found
        for objective in objectives:
            by_plan[objective.plan_id].shown_objectives.append(objective)
        found.follow_ups = [link for link in links.link_types() if link.create_url_name]
        return found


def sales_target(account, user, today: date) -> page.SalesTarget | None:
    """The account's sales target from its current approved plans (top-level ones: sub-plans share their
    parent's target), summed in the account's currency at today's rates; None without one."""
    def current(user, pk):
        return BusinessPlan.objects.visible_to(user, per_row=True).filter(
            account_id=pk, parent__isnull=True, status=BusinessPlan.Status.APPROVED,
            period_start__lte=today, period_end__gte=today).order_by("period_start", "pk")

    plans = compiled.fetch("plans:sales-target", BusinessPlan, current, user, account.pk, key=(today,))
    if not plans:
        return None
    amounts: dict[str, Decimal] = {}
    for plan in plans:
        amounts[plan.currency] = amounts.get(plan.currency, Decimal(0)) + plan.revenue_target
    try:
        amount = total_in(amounts, account.currency, rates=rates_on([*amounts, account.currency], today))
    except MissingRate:
        return None
    return page.SalesTarget(amount, account.currency, plans)
