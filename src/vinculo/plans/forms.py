"""Forms of the plan pages, and the plan and objective fields that the deal and activity forms add."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Account, Industry
from vinculo.core.access import get_for_user
from vinculo.core.forms import DateInput, RecordChooser, RecordForm, active_users, label_unseen_choice
from vinculo.org.models import BusinessUnit, Territory

from . import metrics, services
from .models import BusinessPlan, Objective

PLAN_FIELDSETS = (
    (_("The plan"), ("name", "account", "owner", "parent", "business_unit")),
    (_("Period"), ("period_type", "period_start", "period_end")),
    (_("Targets"), ("revenue_target", "currency", "revenue_basis", "goals")),
)


def _keeping(queryset, pk):
    return queryset | queryset.model.objects.filter(pk=pk) if pk else queryset


class PlanForm(RecordForm):
    """Creates or changes a plan on an account the user may change. A submitted or approved plan's targets
    are refused by the service (the form shows why)."""

    fieldsets = PLAN_FIELDSETS

    class Meta:
        model = BusinessPlan
        fields = [name for _legend, names in PLAN_FIELDSETS for name in names]
        widgets = {
            "account": RecordChooser("accounts:autocomplete"),
            "period_start": DateInput(),
            "period_end": DateInput(),
            "goals": forms.Textarea(attrs={"rows": 6}),
            "revenue_target": forms.NumberInput(attrs={"min": 0, "step": "0.01"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        instance = self.instance
        self.fields["account"].queryset = _keeping(Account.objects.editable_by(user), instance.account_id)
        label_unseen_choice(self.fields["account"], user, instance.account_id)
        self.fields["owner"].queryset = active_users(keep=instance.owner_id)
        self.fields["owner"].required = False
        self.fields["owner"].help_text = _("The account manager; you, when left empty.")
        account_id = self.chosen_account_id()
        parents = BusinessPlan.objects.visible_to(user).filter(account_id=account_id)
        if instance.pk:
            parents = parents.exclude(pk__in=instance.descendant_ids())
        self.fields["parent"].queryset = _keeping(parents, instance.parent_id)
        self.fields["parent"].help_text = _("An annual plan holding this one (a quarter, a business unit, a region).")
        self.fields["business_unit"].queryset = BusinessUnit.objects.all()
        if not instance.pk:
            self.initial.setdefault("owner", user.pk)

    def chosen_account_id(self):
        value = self.data.get("account") if self.is_bound else self.initial.get("account", self.instance.account_id)
        return int(value) if str(value or "").isdigit() else None

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("owner"):
            self.instance.owner = self.user
        return cleaned

    def write(self) -> None:
        if self.instance.pk is None:
            services.create_plan(self.instance, self.user)
        else:
            services.update_plan(self.instance, self.user, expected_version=self.cleaned_data["version"])


def kind_choices():
    return [("", "—"), *metrics.activity_kinds()]


OBJECTIVE_FIELDSETS = (
    (_("The objective"), ("name", "metric", "activity_kind", "target", "due_date", "risk_margin",
                          "manual_progress")),
)
GLOBAL_FIELDSETS = (
    *OBJECTIVE_FIELDSETS,
    (_("Applies to"), ("period_start", "period_end", "territory", "industry", "account_type", "currency")),
)


class ObjectiveForm(RecordForm):
    fieldsets = OBJECTIVE_FIELDSETS

    class Meta:
        model = Objective
        fields = [name for _legend, names in GLOBAL_FIELDSETS for name in names]
        widgets = {"due_date": DateInput(), "period_start": DateInput(), "period_end": DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["activity_kind"] = forms.ChoiceField(
            label=capfirst(Objective._meta.get_field("activity_kind").verbose_name), choices=kind_choices(),
            required=False, help_text=_("For “Activities of a kind”: which kind counts (e.g. visits)."))
        if self.instance.plan_id is not None or getattr(self.instance, "_for_plan", False):
            for name in GLOBAL_FIELDSETS[1][1]:
                del self.fields[name]
        else:
            self.fieldsets = GLOBAL_FIELDSETS
            self.fields["territory"].queryset = Territory.objects.all()
            self.fields["industry"].queryset = Industry.objects.all()
            self.fields["account_type"] = forms.ChoiceField(
                label=capfirst(_("account type")), required=False,
                choices=[("", _("Any type")), *Account.Type.choices])

    def write(self) -> None:
        if self.instance.pk is None:
            services.create_objective(self.instance, self.user)
        else:
            services.update_objective(self.instance, self.user, expected_version=self.cleaned_data["version"])


class TransitionForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class LinkForm(forms.Form):
    """Link a deal or an activity of the plan's account to the plan or one of its objectives."""

    kind = forms.CharField(widget=forms.HiddenInput)
    record = forms.IntegerField(label=_("Record"))
    objective = forms.ModelChoiceField(label=capfirst(_("objective")), required=False, queryset=Objective.objects.none(),
                                       empty_label=_("The plan itself"))

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["objective"].queryset = plan.objectives.all()


# The plan and objective fields of the deal and activity forms.

def plan_choices(form, user, account_id) -> None:
    """Offer in `form` the plans of the account chosen that `user` may see, and their objectives; a current
    link the user may not see stays, labelled as such."""
    instance = form.instance
    plans = BusinessPlan.objects.visible_to(user).filter(account_id=account_id) if account_id else \
        BusinessPlan.objects.none()
    form.fields["plan"].queryset = _keeping(plans, instance.plan_id).order_by("-period_start", "name")
    objectives = Objective.objects.filter(plan__in=plans).select_related("plan")
    field = form.fields["objective"]
    field.queryset = _keeping(objectives, instance.objective_id).select_related("plan")
    field.label_from_instance = lambda objective: f"{objective.plan} › {objective}" if objective.plan_id else str(
        objective)
    form.fields["plan"].help_text = _("A business plan of the account chosen above the record counts towards.")
    field.help_text = _("Or one of its objectives (the plan follows).")
    label_unseen_choice(form.fields["plan"], user, instance.plan_id)
    label_unseen_choice(field, user, instance.objective_id)


def initial_links(request) -> dict:
    """The plan and objective a new deal or activity starts linked to (?objective=, ?plan=): 404 for one the
    user may not see."""
    user, initial = request.user, {}
    if objective_id := request.GET.get("objective"):
        objective = get_for_user(Objective.objects.filter(plan__isnull=False).select_related("plan"), user,
                                 objective_id)
        initial.update(objective=objective.pk, plan=objective.plan_id)
    elif plan_id := request.GET.get("plan"):
        initial["plan"] = get_for_user(BusinessPlan, user, plan_id).pk
    return initial
