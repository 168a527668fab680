"""The plan pages: the managers' overview, a plan with its timeline, objectives, revenue chart and linked
records, the workflow buttons, the plan and objective forms, global objectives and notifications."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vinculo.accounts.models import Account
from vinculo.core import clock, lists
from vinculo.core.access import can_edit, get_for_user, is_admin, may_see, subordinate_ids
from vinculo.core.lists import mark_visible
from vinculo.core.services import ConflictError
from vinculo.core.views import edit_page, visible_history

from . import links, progress, services
from .charts import revenue_chart
from .forms import LinkForm, ObjectiveForm, PlanForm, TransitionForm
from .listing import PlanList, team_plans
from .models import APPROVE_PLANS, MANAGE_GLOBAL_OBJECTIVES, BusinessPlan, Notification, Objective

LINKED_SHOWN = 20
CANDIDATES_SHOWN = 50
OVERVIEW_SHOWN = 50
TEAM_PAGE_SIZE = 25
# The overview lists the longest waiting plans first, and the first few of what is at risk.
WAITING_SHOWN = 20
AT_RISK_SHOWN = 10
AT_RISK_PLANS_MEASURED = 30


def _plan_for_page(user, pk, write=False) -> BusinessPlan:
    queryset = BusinessPlan.objects.select_related("account", "owner", "parent", "business_unit")
    return get_for_user(queryset, user, pk, write=write)


@login_required
def plan_detail(request, pk):
    user, today = request.user, clock.today()
    plan = _plan_for_page(user, pk)
    sub_plans = list(BusinessPlan.objects.visible_to(user).filter(parent=plan).select_related("owner")
                     .order_by("period_start", "name"))
    objectives = list(plan.objectives.all())
    for objective in objectives:
        objective.plan = plan
    # The plan's and sub-plans' revenue and the objectives' progress measured together.
    revenues, measured = progress.plans_progress([plan, *sub_plans], objectives, today)
    for sub_plan, revenue in zip(sub_plans, revenues[1:], strict=True):
        sub_plan.revenue = revenue
    for objective, found in zip(objectives, measured, strict=True):
        objective.progress = found
    editable = can_edit(user, plan)
    linked = []
    for link in links.link_types():
        records = link.model.objects.visible_to(user).filter(plan=plan).select_related("objective")
        total = records.count()
        candidates = []
        if editable:
            candidates = list(link.model.objects.editable_by(user).filter(account_id=plan.account_id)
                              .exclude(plan=plan).order_by(*link.candidates_order)[:CANDIDATES_SHOWN])
        linked.append({"link": link, "records": list(records.order_by(*link.candidates_order)[:LINKED_SHOWN]),
                       "total": total, "candidates": candidates})
    return render(request, "plans/plan_detail.html", {
        "plan": plan, "account_visible": may_see(user, plan.account),
        "parent_visible": plan.parent_id is not None and may_see(user, plan.parent),
        "sub_plans": sub_plans, "revenue": revenues[0], "chart": revenue_chart(plan, revenues[0], sub_plans),
        "objectives": objectives, "linked": linked, "editable": editable,
        "changeable": editable and not plan.is_frozen,
        "transitions": plan.transitions.select_related("by"),
        "allowed": services.allowed_transitions(user, plan), "transition_form": TransitionForm(),
        "history": visible_history(plan, user), "today": today,
        "follow_ups": [link for link in links.link_types() if link.create_url_name],
    })


@login_required
def plan_create(request):
    user, initial = request.user, {}
    if account_id := request.GET.get("account"):
        account = get_for_user(Account, user, account_id, write=True)
        initial.update(account=account.pk, currency=account.currency, business_unit=account.business_unit_id)
    if parent_id := request.GET.get("parent"):
        parent = get_for_user(BusinessPlan, user, parent_id)
        initial.update(parent=parent.pk, account=parent.account_id, currency=parent.currency,
                       period_type=BusinessPlan.PeriodType.QUARTERLY, revenue_basis=parent.revenue_basis,
                       business_unit=parent.business_unit_id)
    form = PlanForm(request.POST if request.method == "POST" else None, initial=initial, user=user)
    if request.method == "POST" and form.save_record():
        messages.success(request, _("“%(name)s” was created.") % {"name": form.instance})
        return redirect(form.instance)
    return render(request, "plans/plan_form.html", {"form": form})


@login_required
def plan_edit(request, pk):
    plan = _plan_for_page(request.user, pk, write=True)
    return edit_page(request, plan, PlanForm, "plans/plan_form.html", "plans:edit", "plan")


@login_required
@require_POST
def plan_delete(request, pk):
    plan = _plan_for_page(request.user, pk, write=True)
    try:
        services.delete_plan(plan, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(plan)
    messages.success(request, _("“%(name)s” was moved to the recycle bin.") % {"name": plan},
                     extra_tags="recycle-bin")
    return redirect("accounts:detail", plan.account_id) if may_see(request.user, plan.account) else redirect(
        "plans:overview")


TRANSITIONS = {"submit": services.submit_plan, "approve": services.approve_plan, "return": services.return_plan,
               "expire": services.expire_plan}
DONE = {"submit": _("Plan submitted for approval."), "approve": _("Plan approved."),
        "return": _("Plan returned to Draft."), "expire": _("Plan expired.")}


@login_required
@require_POST
def plan_transition(request, pk, action):
    if action not in TRANSITIONS:
        raise Http404
    plan = _plan_for_page(request.user, pk)
    form = TransitionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    version = request.POST.get("version")
    try:
        TRANSITIONS[action](plan, request.user, comment,
                            expected_version=int(version) if str(version or "").isdigit() else None)
    except (ValidationError, ConflictError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do that."))
    else:
        messages.success(request, str(DONE[action]))
    return redirect(plan)


@login_required
@require_POST
def plan_link(request, pk):
    """Link a deal or an activity of the plan's account to the plan (or one of its objectives), or unlink it."""
    user = request.user
    plan = _plan_for_page(user, pk, write=True)
    form = LinkForm(request.POST, plan=plan)
    link = links.LINKS.get(request.POST.get("kind", ""))
    if link is None or not form.is_valid():
        messages.error(request, _("Choose a record to link."))
        return redirect(plan)
    record = get_for_user(link.model.objects.filter(account_id=plan.account_id), user, form.cleaned_data["record"],
                          write=True)
    unlink = request.POST.get("unlink") == "1"
    try:
        if unlink:
            if record.plan_id == plan.pk:
                links.link(record, None, None, user)
        else:
            links.link(record, plan, form.cleaned_data["objective"], user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, (_("“%(name)s” was unlinked from the plan.") if unlink
                                   else _("“%(name)s” was linked to the plan.")) % {"name": record})
    return redirect(f"{plan.get_absolute_url()}#linked-{link.key}")


# Objectives.

@login_required
def objective_create(request, pk):
    plan = _plan_for_page(request.user, pk, write=True)
    objective = Objective(plan=plan)
    form = ObjectiveForm(request.POST if request.method == "POST" else None, instance=objective, user=request.user,
                         initial={"due_date": plan.period_end})
    if request.method == "POST" and form.save_record():
        messages.success(request, _("“%(name)s” was created.") % {"name": form.instance})
        return redirect(f"{plan.get_absolute_url()}#objectives")
    return render(request, "plans/objective_form.html", {"form": form, "plan": plan})


@login_required
def global_objective_create(request):
    if not request.user.has_perm(MANAGE_GLOBAL_OBJECTIVES):
        raise PermissionDenied
    form = ObjectiveForm(request.POST if request.method == "POST" else None, instance=Objective(), user=request.user)
    if request.method == "POST" and form.save_record():
        messages.success(request, _("“%(name)s” was created.") % {"name": form.instance})
        return redirect("plans:global_objectives")
    return render(request, "plans/objective_form.html", {"form": form})


@login_required
def objective_edit(request, pk):
    objective = get_for_user(Objective.objects.select_related("plan"), request.user, pk, write=True)
    return edit_page(request, objective, ObjectiveForm, "plans/objective_form.html", "plans:objective_edit",
                     "objective")


@login_required
@require_POST
def objective_delete(request, pk):
    objective = get_for_user(Objective.objects.select_related("plan"), request.user, pk, write=True)
    try:
        services.delete_objective(objective, request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("“%(name)s” was moved to the recycle bin.") % {"name": objective},
                         extra_tags="recycle-bin")
    return redirect(objective.get_absolute_url())


@login_required
def global_objectives(request):
    found = Objective.objects.visible_to(request.user).filter(plan__isnull=True).select_related(
        "territory", "industry").order_by("-period_end", "name")
    return render(request, "plans/global_objectives.html", {
        "objectives": found[:OVERVIEW_SHOWN], "total": found.count(),
        "may_manage": request.user.has_perm(MANAGE_GLOBAL_OBJECTIVES),
    })


# The managers' overview and notifications.

def waiting_for(user, visible=None):
    """The submitted plans `user` reviews: their team's (below them, or reporting to them) or, holding the
    *approve plans* permission, every one; never their own. `visible`: the plans `user` may see, when at hand."""
    visible = BusinessPlan.objects.visible_to(user) if visible is None else visible
    submitted = visible.filter(status=BusinessPlan.Status.SUBMITTED).exclude(owner=user)
    if is_admin(user) or user.has_perm(APPROVE_PLANS):
        return submitted
    # The reviewed owners as one list (below in the roles, or reporting to the user): the database reads each
    # one's submitted plans through the (owner, status) index, where a test on each submitted plan's owner had
    # it walk every submitted plan of the company for a rep who reviews none.
    reviewed = get_user_model().objects.filter(Q(pk__in=subordinate_ids(user)) | Q(manager=user))
    return submitted.filter(owner__in=reviewed.values("pk"))


# What the overview shows and measures of a plan, and of its account and owner (their names): loading their
# every column made selecting and building the model instances a good part of the page's time.
LISTED_FIELDS = ("name", "account", "owner", "period_start", "period_end", "status", "revenue_target", "currency",
                 "revenue_basis", "account__legal_name", "account__trade_name",
                 "owner__username", "owner__first_name", "owner__last_name")
# What a notice shows of its plan and actor.
NOTICE_FIELDS = ("kind", "read_at", "at", "comment", "recipient", "plan", "actor", "plan__name",
                 "actor__username", "actor__first_name", "actor__last_name")


@login_required
def overview(request):
    """Plans of the user's team by status and period, what waits for their approval, and what is at risk."""
    user, today = request.user, clock.today()
    visible = BusinessPlan.objects.visible_to(user)
    team = team_plans(user, visible).select_related("account", "owner").only(*LISTED_FIELDS)
    page_list = PlanList(user, request.GET)
    status, year, mine = page_list.status, page_list.year, page_list.mine
    listed = page_list.filter(team)
    counts = dict(team_plans(user, visible, by_list=True).order_by().values_list("status").annotate(n=Count("pk")))
    paginator = Paginator(listed.order_by("-period_start", "name", "pk"), TEAM_PAGE_SIZE)
    if not (year or mine):  # the total is in the counts by status: no second count of the team's plans
        paginator.count = counts.get(status, 0) if status in BusinessPlan.Status.values else sum(counts.values())
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    team_context = {"page_obj": page, "plans": page.object_list, "total": page.paginator.count, "status": status,
                    "year": year, "mine": mine, "query": request.GET,
                    "statuses": [(value, label, counts.get(value, 0)) for value, label in BusinessPlan.Status.choices]}
    query = request.GET.copy()
    for key in list(query):
        if not any(value.strip() for value in query.getlist(key)):
            del query[key]
    team_context["views_menu"] = lists.views_menu(request, page_list.list_key, query)
    team_context["action_menus"] = lists.action_menus(page_list.list_key, query, page_list.chosen_columns())
    if getattr(request, "htmx", None) and request.htmx.target == "team-plans":
        mark_visible(page.object_list, user, "account", "account_visible")
        return render(request, "plans/_team_plans.html", team_context)  # the pager's links
    # Plans at risk: the current approved ones (the latest first), measured together.
    current = list(team.filter(status=BusinessPlan.Status.APPROVED, period_start__lte=today, period_end__gte=today)
                   .order_by("period_end", "pk")[:AT_RISK_PLANS_MEASURED])
    by_pk = {plan.pk: plan for plan in current}
    # Each objective's plan is one of those just read: set, not joined again.
    objectives = list(Objective.objects.filter(plan__in=list(by_pk))) if by_pk else []
    for objective in objectives:
        objective.plan = objective.measured_plan = by_pk[objective.plan_id]
    # The plans' revenue and their objectives' progress measured together (one read of the won deals).
    revenues, measured = progress.plans_progress(current, objectives, today)
    for plan, found in zip(current, revenues, strict=True):
        plan.revenue = found
    for objective, found in zip(objectives, measured, strict=True):
        objective.progress = found
    waiting_all = waiting_for(user, visible)
    waiting = list(waiting_all.select_related("account", "owner").only(*LISTED_FIELDS).order_by("updated_at")
                   [:WAITING_SHOWN])
    at_risk_plans = [plan for plan in current if plan.revenue.state == Objective.State.AT_RISK]
    at_risk_objectives = [objective for objective in objectives if objective.progress.state == Objective.State.AT_RISK]
    # A reviewer holding *approve plans* sees plans of accounts they may not see: those stay unnamed.
    mark_visible([*page.object_list, *current, *waiting], user, "account", "account_visible")
    return render(request, "plans/overview.html", {
        **team_context, "waiting": waiting,
        "waiting_total": waiting_all.count(),
        "at_risk_plans": at_risk_plans[:AT_RISK_SHOWN], "at_risk_plans_more": len(at_risk_plans[AT_RISK_SHOWN:]),
        "at_risk_objectives": at_risk_objectives[:AT_RISK_SHOWN],
        "at_risk_objectives_more": len(at_risk_objectives[AT_RISK_SHOWN:]),
        "notifications": list(services.unread_notifications(user, visible).select_related("plan", "actor")
                              .only(*NOTICE_FIELDS)[:10]),
    })


@login_required
def notifications(request):
    visible = BusinessPlan.objects.visible_to(request.user).values("pk")
    found = Notification.objects.filter(recipient=request.user, plan__in=visible).select_related("plan", "actor")
    return render(request, "plans/notifications.html", {"notifications": list(found[:OVERVIEW_SHOWN])})


@login_required
def notifications_badge(request):
    """The top bar's bell: the number of unread notifications about plans the user may see (htmx, loaded after
    the page so no page pays for it)."""
    return render(request, "plans/_bell.html", {"unread": services.unread_notifications(request.user).count()})


@login_required
@require_POST
def notifications_read(request):
    services.mark_read(request.user)
    return redirect("plans:notifications")
