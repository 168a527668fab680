"""Account business plans: a plan per account and period (sub-plans under a parent), its objectives, and
the Draft → Submitted → Final approved → Expired workflow, each transition recorded.

A plan inherits its account's visibility (and its owner's line sees it); holders of the *approve plans*
permission may read every plan, to review it, but change none through that permission. Objectives under
a plan inherit the plan's; global objectives (no plan) are read by everyone and changed by holders of the
*manage global objectives* permission. Progress is measured through `plans.metrics`, which the apps above
fill."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vinculo.core.models import TrackedModel
from vinculo.core.money import Currency, CurrencyField
from vinculo.core.policy import EVERYONE, NO_ONE, Clause, Parent, PermissionGrant, Policy, permission_backend

APPROVE_PLANS = "plans.approve_businessplan"
MANAGE_GLOBAL_OBJECTIVES = "plans.manage_global_objectives"


class ReviewerGrant(PermissionGrant):
    """Holders of the *approve plans* permission read every plan, to review it; the permission lets them
    change none (approving and returning are services with rules of their own)."""

    def q(self, user, write, per_row, prefix=""):
        return NO_ONE if write else super().q(user, write, per_row, prefix)

    def users(self, record, write):
        return NO_ONE if write else super().users(record, write)


class GlobalObjectiveGrant(Clause):
    """Global objectives (no plan) are read by every user and changed by holders of the *manage global
    objectives* permission."""

    def q(self, user, write, per_row, prefix=""):
        if write and not user.has_perm(MANAGE_GLOBAL_OBJECTIVES):
            return NO_ONE
        return models.Q(**{f"{prefix}plan__isnull": True})

    def users(self, record, write):
        if record.plan_id is not None:
            return NO_ONE
        if write:
            holders = get_user_model().objects.with_perm(MANAGE_GLOBAL_OBJECTIVES, backend=permission_backend())
            return models.Q(pk__in=holders.values("pk"))
        return EVERYONE


class BusinessPlan(TrackedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("plan status", "Draft")
        SUBMITTED = "submitted", pgettext_lazy("plan status", "Submitted")
        APPROVED = "approved", pgettext_lazy("plan status", "Final approved")
        EXPIRED = "expired", pgettext_lazy("plan status", "Expired")

    class PeriodType(models.TextChoices):
        ANNUAL = "annual", _("Annual")
        QUARTERLY = "quarterly", _("Quarterly")
        CUSTOM = "custom", _("Custom dates")

    class RevenueBasis(models.TextChoices):
        LINKED = "linked", _("Won deals linked to the plan")
        ACCOUNT = "account", _("All won deals of the account in the period")

    # What a plan's owner commits to: frozen once submitted (the reviewer returns it to Draft to change it).
    TARGET_FIELDS = ("account", "parent", "period_type", "period_start", "period_end", "business_unit",
                     "revenue_target", "currency", "goals", "revenue_basis")

    account = models.ForeignKey("accounts.Account", verbose_name=_("account"), on_delete=models.CASCADE,
                                related_name="business_plans")
    name = models.CharField(_("name"), max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="business_plans")
    period_type = models.CharField(_("period"), max_length=10, choices=PeriodType.choices, default=PeriodType.ANNUAL)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    parent = models.ForeignKey("self", verbose_name=_("parent plan"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="sub_plans")
    business_unit = models.ForeignKey("org.BusinessUnit", verbose_name=_("business unit"), null=True, blank=True,
                                      on_delete=models.SET_NULL)
    revenue_target = models.DecimalField(_("revenue target"), max_digits=18, decimal_places=2, default=Decimal(0),
                                         validators=[MinValueValidator(0)])
    currency = CurrencyField(_("currency"), default=Currency.CLP)
    goals = models.TextField(_("qualitative goals"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT,
                              editable=False)
    revenue_basis = models.CharField(_("revenue counted"), max_length=10, choices=RevenueBasis.choices,
                                     default=RevenueBasis.LINKED)

    policy = Policy(owner="owner", parents=[Parent("account", "accounts.Account")], grants=[ReviewerGrant(APPROVE_PLANS)])

    class Meta:
        ordering = ["-period_start", "name", "id"]
        verbose_name = _("business plan")
        verbose_name_plural = _("business plans")
        permissions = [("approve_businessplan", _("Can approve business plans")),
                       ("manage_global_objectives", _("Can manage global objectives"))]
        indexes = [
            # The account page's plans: an account's live plans, newest period first.
            models.Index(fields=["account", "deleted_at", "-period_start"], name="plan_account_idx"),
            # The managers' overview: plans by owner and status; the expiry job: approved plans by end date.
            models.Index(fields=["owner", "status", "-period_start"], name="plan_owner_status_idx"),
            models.Index(fields=["status", "period_end"], name="plan_status_end_idx"),
            # The overview's pages of plans, newest period first, read in order until a page is full.
            models.Index(fields=["-period_start", "name", "id"], name="plan_period_name_idx"),
            # What waits for approval, the longest waiting first.
            models.Index(fields=["status", "updated_at"], name="plan_status_updated_idx"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("plans:detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = [_("The period ends before it starts.")]
        if self.parent_id:
            parent = BusinessPlan.all_objects.filter(pk=self.parent_id).first()
            if parent is None:
                errors["parent"] = [_("There is no such plan.")]
            elif self.pk and (parent.pk == self.pk or self.pk in parent.ancestor_ids()):
                errors["parent"] = [_("This parent would make a loop of plans.")]
            elif parent.account_id != self.account_id:
                errors["parent"] = [_("A sub-plan belongs to the same account as its parent plan.")]
            elif self.period_start and self.period_end and not (
                    parent.period_start <= self.period_start and self.period_end <= parent.period_end):
                errors["period_start"] = [_("A sub-plan's period lies within its parent's (%(start)s to %(end)s).")
                                          % {"start": parent.period_start, "end": parent.period_end}]
        if errors:
            raise ValidationError(errors)

    def ancestor_ids(self) -> list[int]:
        """The ids of the plans above this one (one query per level)."""
        ids, parent_id = [], self.parent_id
        while parent_id is not None and parent_id not in ids:
            ids.append(parent_id)
            parent_id = BusinessPlan.all_objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
        return ids

    def descendant_ids(self) -> list[int]:
        """This plan's id and those of its live sub-plans at every depth (one query per level)."""
        ids, frontier = [self.pk], [self.pk]
        while frontier:
            frontier = list(BusinessPlan.objects.filter(parent_id__in=frontier).exclude(pk__in=ids)
                            .values_list("pk", flat=True))
            ids.extend(frontier)
        return ids

    def search_text(self) -> str:
        return self.name

    @property
    def is_frozen(self) -> bool:
        """Submitted and approved plans keep their targets and goals."""
        return self.status in (self.Status.SUBMITTED, self.Status.APPROVED)

    def is_current(self, today: date) -> bool:
        return self.period_start <= today <= self.period_end


class PlanTransition(models.Model):
    """One step of a plan's workflow: who moved it, when, from which status to which, and why."""

    plan = models.ForeignKey(BusinessPlan, verbose_name=_("plan"), on_delete=models.CASCADE,
                             related_name="transitions")
    from_status = models.CharField(_("from"), max_length=10, choices=BusinessPlan.Status.choices)
    to_status = models.CharField(_("to"), max_length=10, choices=BusinessPlan.Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("when"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("plan transition")
        verbose_name_plural = _("plan transitions")
        indexes = [models.Index(fields=["plan", "at"], name="plan_transition_idx")]  # a plan's timeline

    def __str__(self):
        return f"{self.plan}: {self.from_status} → {self.to_status}"


class Objective(TrackedModel):
    """A measurable goal under a plan, or a global one for all accounts (or those of a territory, an
    industry or a type) in a period."""

    class Metric(models.TextChoices):
        ACTIVITIES = "activities", _("Activities of a kind")
        REVENUE_WON = "revenue_won", _("Revenue won")
        OPPORTUNITIES_CREATED = "opportunities_created", _("Opportunities created")
        EXECUTIVE_CONTACTS = "executive_contacts", _("New contacts at executive level")
        MANUAL = "manual", _("Manual")

    class State(models.TextChoices):
        ON_TRACK = "on_track", _("On track")
        AT_RISK = "at_risk", _("At risk")
        ACHIEVED = "achieved", _("Achieved")
        MISSED = "missed", _("Missed")

    plan = models.ForeignKey(BusinessPlan, verbose_name=_("plan"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="objectives")
    name = models.CharField(_("name"), max_length=200)
    metric = models.CharField(_("metric"), max_length=25, choices=Metric.choices, default=Metric.ACTIVITIES)
    # An activity kind of the activities app ("visit"); free text here, checked against its registry.
    activity_kind = models.CharField(_("activity kind"), max_length=20, blank=True)
    target = models.DecimalField(_("target"), max_digits=18, decimal_places=2, validators=[MinValueValidator(0)])
    due_date = models.DateField(_("due date"), null=True, blank=True,
                                help_text=_("Defaults to the end of the plan's period."))
    manual_progress = models.DecimalField(_("progress (manual)"), max_digits=18, decimal_places=2,
                                          default=Decimal(0), validators=[MinValueValidator(0)])
    risk_margin = models.PositiveSmallIntegerField(
        _("at-risk margin (points)"), default=10, validators=[MaxValueValidator(100)],
        help_text=_("At risk when progress is below the share of time elapsed by more than this many points."))
    # Global objectives only: their period and which accounts they apply to (blank: all).
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    territory = models.ForeignKey("org.Territory", verbose_name=_("territory"), null=True, blank=True,
                                  on_delete=models.SET_NULL, help_text=_("And its sub-territories."))
    industry = models.ForeignKey("accounts.Industry", verbose_name=_("industry"), null=True, blank=True,
                                 on_delete=models.SET_NULL)
    account_type = models.CharField(_("account type"), max_length=20, blank=True)
    currency = CurrencyField(_("currency"), default=Currency.CLP,
                                help_text=_("Revenue objectives: the currency of the target (a plan's objective "
                                            "takes the plan's)."))

    policy = Policy(parents=[Parent("plan", "plans.BusinessPlan")], grants=[GlobalObjectiveGrant()])

    class Meta:
        ordering = ["due_date", "name", "id"]
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        indexes = [
            # A plan's objectives; the global objectives in force on a day.
            models.Index(fields=["plan", "deleted_at"], name="objective_plan_idx"),
            models.Index(fields=["plan", "period_start", "period_end"], name="objective_global_idx"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        if self.plan_id is None:
            return f"{reverse('plans:global_objectives')}#objective-{self.pk}"
        return f"{reverse('plans:detail', args=[self.plan_id])}#objective-{self.pk}"

    @property
    def is_global(self) -> bool:
        return self.plan_id is None

    @property
    def start(self) -> date:
        return self.plan.period_start if self.plan_id else self.period_start

    @property
    def end(self) -> date:
        """When progress stops counting: the due date, else the end of the period."""
        return self.due_date or (self.plan.period_end if self.plan_id else self.period_end)

    @property
    def target_currency(self) -> str:
        return self.plan.currency if self.plan_id else self.currency

    @property
    def is_money(self) -> bool:
        return self.metric == self.Metric.REVENUE_WON

    def clean(self):
        errors = {}
        if self.metric == self.Metric.ACTIVITIES and not self.activity_kind:
            errors["activity_kind"] = [_("Choose the kind of activity to count.")]
        if self.metric != self.Metric.ACTIVITIES:
            self.activity_kind = ""
        if self.plan_id is None:
            if not self.period_start:
                errors["period_start"] = [_("A global objective needs a period.")]
            if not self.period_end:
                errors["period_end"] = [_("A global objective needs a period.")]
            if self.period_start and self.period_end and self.period_end < self.period_start:
                errors["period_end"] = [_("The period ends before it starts.")]
            if self.due_date and self.period_start and self.period_end and not (
                    self.period_start <= self.due_date <= self.period_end):
                errors["due_date"] = [_("The due date lies within the period.")]
        else:
            # An objective under a plan lives in the plan's period and applies to the plan's account.
            self.period_start = self.period_end = self.territory = self.industry = None
            self.account_type = ""
            plan = BusinessPlan.all_objects.filter(pk=self.plan_id).first()
            if plan is not None:
                self.currency = plan.currency
                if self.due_date and not plan.period_start <= self.due_date <= plan.period_end:
                    errors["due_date"] = [_("The due date lies within the plan's period (%(start)s to %(end)s).")
                                          % {"start": plan.period_start, "end": plan.period_end}]
        if errors:
            raise ValidationError(errors)


class Notification(models.Model):
    """An in-app notice about a plan for one user (submitted to them, returned, approved, expired), also
    e-mailed to them after the transition commits (plans.emails). Shown only while the recipient may still
    see the plan."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted for your approval")
        RETURNED = "returned", _("Returned to draft")
        APPROVED = "approved", _("Approved")
        EXPIRED = "expired", pgettext_lazy("plan status", "Expired")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE,
                                  related_name="plan_notifications")
    plan = models.ForeignKey(BusinessPlan, verbose_name=_("plan"), on_delete=models.CASCADE,
                             related_name="notifications")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("when"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Not e-mailed yet: the e-mail handler sends it (or skips it) once, then clears this.
    email_pending = models.BooleanField(_("e-mail pending"), default=False, editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("plan notification")
        verbose_name_plural = _("plan notifications")
        indexes = [models.Index(fields=["recipient", "read_at", "-at"], name="plan_notification_idx")]  # my unread

    def __str__(self):
        return f"{self.get_kind_display()}: {self.plan}"
