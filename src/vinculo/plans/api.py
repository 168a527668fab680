"""/api/v1/plans and /api/v1/objectives: business plans with their workflow (submit, approve, return,
expire) and objectives with their measured progress. A plan is visible (and changeable) as its account is;
one the caller may not see answers 404, a read-only one 403, a stale version 409, bad input 422 naming the
field, a transition the status does not allow 422 naming the status."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema

from vinculo.accounts.models import Account, Industry
from vinculo.core import clock
from vinculo.core.access import get_for_user
from vinculo.core.api import (
    ERRORS,
    FilterSchema,
    InputSchema,
    RecordAPI,
    RecordListParams,
    Ref,
    Versioned,
    active_users,
    choice,
    keeping_current,
    order,
    page,
    page_of,
    shown_if_visible,
)
from vinculo.core.money import Currency
from vinculo.org.models import BusinessUnit, Territory

from . import progress, services
from .models import BusinessPlan, Objective, PlanTransition

HIDDEN = "Null also when it is not visible to you."


class TransitionOut(Schema):
    from_status: str
    to_status: str
    by: Ref | None
    at: datetime
    comment: str


class PlanOut(Schema):
    id: int
    version: int
    account: Ref | None = Field(description=HIDDEN)
    name: str
    owner: Ref
    parent: Ref | None = Field(description=HIDDEN)
    period_type: str
    period_start: date
    period_end: date
    business_unit: Ref | None
    revenue_target: Decimal
    currency: str
    goals: str
    revenue_basis: str = Field(description="“linked”: won deals linked to the plan or its sub-plans; “account”: "
                                            "every won deal of the account in the period.")
    status: str = Field(description="draft, submitted, approved or expired: changed only by the workflow actions.")
    revenue_actual: Decimal | None = Field(description="Won revenue in the plan's currency, each deal converted at "
                                                       "the rate of its closing day; null when a rate is missing.")
    history: list[TransitionOut] = Field(description="The workflow's transitions, oldest first.")
    created_at: datetime
    updated_at: datetime

    resolve_account = shown_if_visible("account")
    resolve_parent = shown_if_visible("parent")

    @staticmethod
    def resolve_revenue_actual(plan):
        return plan.revenue.value

    @staticmethod
    def resolve_history(plan):
        return plan.transitions.all()


class PlanIn(InputSchema):
    name: str = ""
    owner: int | None = Field(None, description="A user id; defaults to you on creation.")
    parent: int | None = Field(None, description="A plan of the same account whose period holds this one's.")
    period_type: choice(BusinessPlan.PeriodType) | None = Field(
        None, description="Defaults to annual for a calendar year, quarterly for a calendar quarter, else custom.")
    period_start: date | None = None
    period_end: date | None = None
    business_unit: int | None = None
    revenue_target: Decimal | None = Field(None, ge=0)
    currency: Currency | None = None
    goals: str = ""
    revenue_basis: choice(BusinessPlan.RevenueBasis) | None = None


class PlanCreate(PlanIn):
    account: int = Field(description="An account id you may change.")
    name: str
    period_start: date
    period_end: date


class PlanPatch(PlanIn, Versioned):
    account: int | None = None


class PlanFilters(FilterSchema):
    account: int | None = None
    owner: int | None = None
    parent: int | None = None
    status: choice(BusinessPlan.Status) | None = None
    active_on: date | None = Field(None, description="Plans whose period includes this day.")


class TransitionIn(Versioned):
    comment: str = Field("", description="Why; required to return a plan to draft.")


def period_type_of(start: date, end: date) -> str:
    """A calendar year is annual, a calendar quarter quarterly, anything else custom."""
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return BusinessPlan.PeriodType.ANNUAL
    quarter_ends = {1: (3, 31), 4: (6, 30), 7: (9, 30), 10: (12, 31)}
    if start.day == 1 and quarter_ends.get(start.month) == (end.month, end.day) and start.year == end.year:
        return BusinessPlan.PeriodType.QUARTERLY
    return BusinessPlan.PeriodType.CUSTOM


class PlanAPI(RecordAPI):
    model = BusinessPlan
    name, singular, plural = "plan", "a business plan", "business plans"
    Out, Create, Patch, Filters = PlanOut, PlanCreate, PlanPatch, PlanFilters
    id_name = "plan_id"
    related = ("owner", "business_unit")
    guarded = ("account", "parent")
    lookups = {"account": "account_id", "owner": "owner_id", "parent": "parent_id", "status": "status"}
    ordering = ("id", "name", "period_start", "period_end", "status", "revenue_target", "created_at", "updated_at")
    search_fields = ("name", "goals")
    routes = ("list", "create", "read", "update", "delete", "workflow")

    def filter(self, queryset, filters):
        queryset = super().filter(queryset, filters)
        if filters.active_on is not None:
            queryset = queryset.filter(period_start__lte=filters.active_on, period_end__gte=filters.active_on)
        return queryset

    def readable(self, queryset, user):
        return super().readable(queryset, user).prefetch_related(
            Prefetch("transitions", queryset=PlanTransition.objects.select_related("by")))

    def read(self, user, pk):
        return with_revenue([super().read(user, pk)])[0]

    def references(self, user, record=None):
        return {
            **super().references(user, record),
            "account": keeping_current(Account.objects.editable_by(user), record, "account"),
            "owner": active_users(), "business_unit": BusinessUnit.objects.all(),
        }

    def create(self, data, user):
        data.setdefault("owner", user)
        if data.get("period_type") is None:
            data["period_type"] = period_type_of(data["period_start"], data["period_end"])
        return services.create_plan(BusinessPlan(**{key: value for key, value in data.items() if value is not None}),
                                    user)

    def update(self, record, data, user, version):
        for field, value in data.items():
            if value is None and field in ("name", "period_type", "period_start", "period_end", "revenue_target",
                                           "currency", "revenue_basis", "account", "owner"):
                raise ValidationError({field: _("This field cannot be null.")})
            setattr(record, field, value)
        services.update_plan(record, user, expected_version=version)

    def delete(self, record, user):
        services.delete_plan(record, user)

    def add_list_route(self, router):
        api = self

        @router.get("", response={200: page_of(self.Out), **ERRORS}, summary="List the business plans you can see",
                    description=f"`q` looks in: {', '.join(self.search_fields)}. `ordering` by: "
                                f"{', '.join(self.ordering)}.",
                    operation_id="plan_list", url_name="plan_list")
        def list_view(request, filters: Query[PlanFilters], params: Query[RecordListParams]):
            user = request.auth
            records = api.filter(BusinessPlan.objects.visible_to(user), filters)
            if params.q:
                records = api.search(records, params.q)
            answer = page(order(api.readable(records, user), params.ordering, api.sortable(user)), params)
            answer["items"] = with_revenue(answer["items"])
            return answer

    def add_read_route(self, router):
        api = self

        @router.get(self.record_path, response={200: self.Out, **ERRORS}, summary="Read a business plan",
                    operation_id="plan_read", url_name="plan_detail")
        def read_view(request, response: HttpResponse, plan_id: int = self.id_param()):
            plan = get_for_user(api.readable(BusinessPlan.objects.all(), request.auth), request.auth, plan_id)
            response["ETag"] = f'"{plan.version}"'
            return with_revenue([plan])[0]

    def add_workflow_route(self, router):
        actions = (
            ("submit", services.submit_plan, "Submit a draft plan for approval",
             "The plan's owner (or an administrator). Its reviewers are notified."),
            ("approve", services.approve_plan, "Approve a submitted plan",
             "The owner's manager up the role hierarchy, or a user with the approve-plans permission; never the "
             "owner. The owner is notified."),
            ("return", services.return_plan, "Return a submitted or approved plan to draft",
             "A reviewer, with a `comment` saying why (required). The owner is notified."),
            ("expire", services.expire_plan, "Expire an approved plan",
             "By hand; approved plans also expire by themselves the day after their period ends."),
        )
        for action, service, summary, description in actions:
            router.post(f"/{{int:plan_id}}/{action}", response={200: self.Out, **ERRORS}, summary=summary,
                        description=description + " A status that does not allow it answers 422 naming it; a stale "
                                                  "`version` 409.",
                        operation_id=f"plan_{action}", url_name=f"plan_{action}")(self.transition_view(service))

    def transition_view(self, service):
        api = self

        def view(request, plan_id: int, payload: TransitionIn | None = None):
            user = request.auth
            plan = get_for_user(BusinessPlan, user, plan_id)
            payload = payload or TransitionIn()
            service(plan, user, payload.comment, expected_version=payload.version)
            return api.read(user, plan.pk)

        return view


def with_revenue(plans) -> list:
    plans = list(plans)
    for plan, found in zip(plans, progress.plans_revenue(plans, clock.today()), strict=True):
        plan.revenue = found
    return plans


plans = PlanAPI().router("plans")


# Objectives.

class ObjectiveOut(Schema):
    id: int
    version: int
    plan: Ref | None = Field(description="Null for a global objective (and when the plan is not visible to you).")
    name: str
    metric: str
    activity_kind: str
    target: Decimal
    due_date: date | None
    currency: str
    manual_progress: Decimal
    risk_margin: int
    period_start: date | None = Field(description="Global objectives: their period.")
    period_end: date | None
    territory: Ref | None = Field(description="Global objectives: only accounts of this territory or below it.")
    industry: Ref | None
    account_type: str
    progress: Decimal | None = Field(description="Measured in the period (for a global objective, on the account "
                                                 "given as `account`; null without one).")
    state: str | None = Field(description="on_track, at_risk, achieved or missed (null where progress is).")
    created_at: datetime
    updated_at: datetime

    resolve_plan = shown_if_visible("plan")

    @staticmethod
    def resolve_progress(objective):
        found = getattr(objective, "measured", None)
        return found.value if found else None

    @staticmethod
    def resolve_state(objective):
        found = getattr(objective, "measured", None)
        return found.state if found else None


class ObjectiveIn(InputSchema):
    name: str = ""
    metric: choice(Objective.Metric) | None = None
    activity_kind: str = Field("", description="For the “activities” metric: call, meeting, visit, email, note, task.")
    target: Decimal | None = Field(None, ge=0)
    due_date: date | None = None
    manual_progress: Decimal | None = Field(None, ge=0, description="For the “manual” metric.")
    risk_margin: int | None = Field(None, ge=0, le=100)
    period_start: date | None = Field(None, description="Global objectives only.")
    period_end: date | None = Field(None, description="Global objectives only.")
    territory: int | None = Field(None, description="Global objectives only.")
    industry: int | None = Field(None, description="Global objectives only.")
    account_type: choice(Account.Type, blank=True) = Field("", description="Global objectives only.")
    currency: Currency | None = Field(None, description="Global revenue objectives; a plan's take the plan's.")


class ObjectiveCreate(ObjectiveIn):
    plan: int | None = Field(None, description="A plan you may change; without it, a global objective (which needs "
                                               "the manage-global-objectives permission).")
    name: str
    metric: choice(Objective.Metric)
    target: Decimal = Field(ge=0)


class ObjectivePatch(ObjectiveIn, Versioned):
    pass


class ObjectiveFilters(FilterSchema):
    plan: int | None = None
    account: int | None = Field(None, description="The objectives of this account's plans and the global ones "
                                                   "that apply to it, with progress measured on it.")
    scope: Literal["plan", "global"] | None = Field(
        None, description="plan: objectives under a plan; global: global objectives.")


class ObjectiveAPI(RecordAPI):
    model = Objective
    name, singular, plural = "objective", "an objective", "objectives"
    Out, Create, Patch, Filters = ObjectiveOut, ObjectiveCreate, ObjectivePatch, ObjectiveFilters
    id_name = "objective_id"
    related = ("territory", "industry")
    guarded = ("plan",)
    lookups = {"plan": "plan_id"}
    ordering = ("id", "name", "due_date", "target", "created_at", "updated_at")
    search_fields = ("name",)

    def filter(self, queryset, filters):
        queryset = super().filter(queryset, filters)
        if filters.scope == "plan":
            queryset = queryset.filter(plan__isnull=False)
        elif filters.scope == "global":
            queryset = queryset.filter(plan__isnull=True)
        return queryset

    def references(self, user, record=None):
        return {
            **super().references(user, record),
            "plan": keeping_current(BusinessPlan.objects.editable_by(user), record, "plan"),
            "territory": Territory.objects.all(), "industry": Industry.objects.all(),
        }

    def readable(self, queryset, user):
        return super().readable(queryset, user).select_related("plan")

    def read(self, user, pk):
        return with_progress([super().read(user, pk)], None)[0]

    def create(self, data, user):
        return services.create_objective(Objective(**{key: value for key, value in data.items() if value is not None}),
                                         user)

    def update(self, record, data, user, version):
        for field, value in data.items():
            if value is None and field in ("metric", "target", "manual_progress", "risk_margin"):
                raise ValidationError({field: _("This field cannot be null.")})
            setattr(record, field, value)
        services.update_objective(record, user, expected_version=version)

    def delete(self, record, user):
        services.delete_objective(record, user)

    def add_list_route(self, router):
        api = self

        @router.get("", response={200: page_of(self.Out), **ERRORS}, summary="List the objectives you can see",
                    description="`q` looks in: name. `ordering` by: " + ", ".join(self.ordering) + ".",
                    operation_id="objective_list", url_name="objective_list")
        def list_view(request, filters: Query[ObjectiveFilters], params: Query[RecordListParams]):
            user = request.auth
            records = api.filter(Objective.objects.visible_to(user), filters)
            account = None
            if filters.account is not None:
                account = get_for_user(Account, user, filters.account)
                applying = progress.global_objectives_for(account, clock.today()).values("pk")
                records = records.filter(plan__account=account) | records.filter(pk__in=applying)
            if params.q:
                records = api.search(records, params.q)
            answer = page(order(api.readable(records, user), params.ordering, api.sortable(user)), params)
            answer["items"] = with_progress(answer["items"], account)
            return answer

    def add_read_route(self, router):
        api = self

        @router.get(self.record_path, response={200: self.Out, **ERRORS}, summary="Read an objective",
                    description="A global objective's progress is measured on the account given as `account`.",
                    operation_id="objective_read", url_name="objective_detail")
        def read_view(request, objective_id: int = self.id_param(), account: int | None = None):
            user = request.auth
            objective = get_for_user(api.readable(Objective.objects.all(), user), user, objective_id)
            on = get_for_user(Account, user, account) if account is not None else None
            return with_progress([objective], on)[0]


def with_progress(objectives, account) -> list:
    """Measure the objectives under a plan, and the global ones on `account` when given."""
    objectives = list(objectives)
    measured = [objective for objective in objectives if objective.plan_id or account is not None]
    found = progress.objectives_progress(measured, clock.today(), account.pk if account else None)
    for objective, result in zip(measured, found, strict=True):
        objective.measured = result
    return objectives


objectives = ObjectiveAPI().router("objectives")
