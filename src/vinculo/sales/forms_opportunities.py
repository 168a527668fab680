"""Forms of the opportunity pages: the deal itself, closing it, its parts (contacts, product lines,
competitors) and the filters of the list and the board."""

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Account
from vinculo.contacts.forms import contact_choices
from vinculo.core import search
from vinculo.core.forms import DateInput, RecordChooser, RecordForm, active_users, label_unseen_choice
from vinculo.core.lists import ListFilterForm
from vinculo.marketing.models import Campaign
from vinculo.org.forms import TerritoryFilterField, in_territory
from vinculo.org.models import BusinessUnit, SalesTeam

from . import services_opportunities as services
from .models import (
    Competitor,
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityLine,
    PipelineStage,
    Product,
)


def _keeping(queryset, pk):
    """`queryset` plus the record `pk` (the current value stays valid when it is no longer offered)."""
    return queryset | queryset.model.objects.filter(pk=pk) if pk else queryset


# The status filter's value for deals in any status.
ANY_STATUS = "any"

FIELDSETS = (
    (_("The deal"), ("name", "account", "stage", "probability", "amount", "currency", "expected_close_date",
                     "next_step")),
    (_("Responsibility"), ("owner", "sales_team", "business_unit")),
    (_("Origin"), ("source", "campaign")),
    (_("Description"), ("description",)),
)


class OpportunityForm(RecordForm):
    """Creates or edits a deal. The account is one the user may see; the stage one in use; an empty
    probability takes the stage's, and so does a stage change that leaves the probability as it was.
    While the deal has product lines its amount is their total and cannot be typed."""

    fieldsets = FIELDSETS

    class Meta:
        model = Opportunity
        fields = [name for _legend, names in FIELDSETS for name in names]
        widgets = {
            "account": RecordChooser("accounts:autocomplete"),
            "expected_close_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
            "probability": forms.NumberInput(attrs={"min": 0, "max": 100}),
            "amount": forms.NumberInput(attrs={"min": 0, "step": "0.01"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        instance = self.instance
        self.fields["account"].queryset = _keeping(Account.objects.visible_to(user), instance.account_id)
        self.fields["stage"].queryset = _keeping(PipelineStage.objects.filter(is_active=True), instance.stage_id)
        self.fields["stage"].empty_label = None
        self.fields["owner"].queryset = active_users(keep=instance.owner_id)
        self.fields["sales_team"].queryset = SalesTeam.objects.all()
        self.fields["business_unit"].queryset = BusinessUnit.objects.all()
        self.fields["campaign"].queryset = _keeping(Campaign.objects.visible_to(user), instance.campaign_id)
        label_unseen_choice(self.fields["account"], user, instance.account_id)
        label_unseen_choice(self.fields["campaign"], user, instance.campaign_id)
        probability = self.fields["probability"]
        probability.required = False
        probability.help_text = _("Leave empty to use the stage's probability.")
        self.has_lines = bool(instance.pk) and instance.lines.exists()
        if self.has_lines:
            self.fields["amount"].disabled = True
            self.fields["amount"].help_text = _("The total of the product lines; change the lines to change it.")
        if not instance.pk:
            self.initial["probability"] = None  # the stage's, unless typed
            self.initial.setdefault("owner", user.pk)
            self.initial.setdefault("currency", user.currency)
            self.initial.setdefault("stage", self.fields["stage"].queryset.order_by("order", "pk").first())

    def clean(self):
        data = super().clean()
        stage, probability = data.get("stage"), data.get("probability")
        instance = self.instance
        if stage is not None and instance.status == Opportunity.Status.OPEN:
            stage_changed = instance.pk and stage.pk != instance.stage_id
            if probability is None or (stage_changed and probability == instance.probability):
                data["probability"] = stage.probability
        if data.get("probability") is None:
            data["probability"] = instance.probability
        return data


class CloseForm(forms.Form):
    """Won or lost, why, and (optionally) the final amount."""

    status = forms.ChoiceField(label=_("Result"), widget=forms.RadioSelect,
                               choices=[(status, Opportunity.Status(status).label) for status in ("won", "lost")])
    reason = forms.ChoiceField(label=_("Reason"), required=False, choices=Opportunity.CloseReason.choices)
    note = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    amount = forms.DecimalField(label=_("Final amount"), required=False, min_value=0, max_digits=18, decimal_places=2,
                                help_text=_("Leave empty to keep the deal's amount."))
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", "—"), *Opportunity.CloseReason.choices[1:]]

    def clean(self):
        data = super().clean()
        if data.get("status") == Opportunity.Status.LOST and not data.get("reason"):
            self.add_error("reason", _("Say why the deal was lost."))
        return data


def deal_contact_choices(opportunity, user):
    """The contacts that may be added to the deal: those of its account (or linked to it) that `user` may
    see and that are not on it yet. Checked row by row: every use narrows them to a few (one id, or a
    search's first matches)."""
    on_deal = opportunity.contact_roles.values("contact_id")
    return contact_choices(user, opportunity.account_id, per_row=True).exclude(pk__in=on_deal)


class ContactChooser(RecordChooser):
    """The contact picker of a deal: it offers the deal's contact choices (an account may have hundreds)."""

    def __init__(self, opportunity, attrs=None):
        super().__init__("sales:opportunity_contact_choices", attrs)
        self.opportunity = opportunity

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["url"] += f"?opportunity={self.opportunity.pk}"
        return context


class ContactRoleForm(forms.Form):
    """A contact on the deal: one the user may see, of the deal's account (or linked to it)."""

    contact = forms.ModelChoiceField(label=_("Contact"), queryset=None, empty_label="—")
    role = forms.ChoiceField(label=_("Role"), choices=OpportunityContact.Role.choices,
                             initial=OpportunityContact.Role.INFLUENCER)
    is_primary = forms.BooleanField(label=_("Primary contact"), required=False)

    def __init__(self, *args, opportunity, user, **kwargs):
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("prefix", "contact")
        super().__init__(*args, **kwargs)
        contact = self.fields["contact"]
        contact.widget = ContactChooser(opportunity)
        contact.queryset = deal_contact_choices(opportunity, user)


class LineForm(forms.ModelForm):
    """A product line; without a unit price it takes the product's price in the deal's currency."""

    class Meta:
        model = OpportunityLine
        fields = ["product", "description", "quantity", "unit_price", "discount_percent"]
        widgets = {
            # An autocomplete, not a <select> of the whole catalogue.
            "product": RecordChooser("sales:product_autocomplete"),
            "quantity": forms.NumberInput(attrs={"min": 0, "step": "any"}),
            "unit_price": forms.NumberInput(attrs={"min": 0, "step": "any"}),
            "discount_percent": forms.NumberInput(attrs={"min": 0, "max": 100, "step": "any"}),
        }

    def __init__(self, *args, opportunity, **kwargs):
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("prefix", "line")
        super().__init__(*args, **kwargs)
        self.opportunity = opportunity
        self.fields["product"].queryset = _keeping(Product.objects.filter(is_active=True), self.instance.product_id)
        self.fields["unit_price"].required = False
        if self.instance.pk is None:
            self.initial.setdefault("unit_price", None)  # empty means "the price list's", not 0
        self.fields["unit_price"].help_text = _("Empty: the price list's price in %(currency)s.") % {
            "currency": opportunity.get_currency_display()}

    def clean(self):
        data = super().clean()
        product = data.get("product")
        if not product and not data.get("description"):
            self.add_error("description", _("Choose a product or describe the line."))
        if data.get("unit_price") is None and not self.has_error("unit_price"):
            price = services.default_unit_price(product, self.opportunity.currency) if product else None
            if price is None:
                self.add_error("unit_price", _("There is no price for this product in %(currency)s; type one.")
                               % {"currency": self.opportunity.get_currency_display()})
            else:
                data["unit_price"] = price
        return data


class CompetitorEntryForm(forms.ModelForm):
    class Meta:
        model = OpportunityCompetitor
        fields = ["competitor", "result", "strengths", "weaknesses"]
        widgets = {
            "strengths": forms.Textarea(attrs={"rows": 2}),
            "weaknesses": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"strengths": _("Their strengths on this deal"), "weaknesses": _("Their weaknesses on this deal")}

    def __init__(self, *args, opportunity, **kwargs):
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("prefix", "competitor")
        super().__init__(*args, **kwargs)
        on_deal = opportunity.competitor_entries.values("competitor_id")
        self.fields["competitor"].queryset = Competitor.objects.exclude(pk__in=on_deal)
        self.fields["competitor"].empty_label = "—"


class CompetitorEntryEditForm(CompetitorEntryForm):
    """A competitor already on the deal: its result, strengths and weaknesses (the competitor stays)."""

    class Meta(CompetitorEntryForm.Meta):
        fields = ["result", "strengths", "weaknesses"]

    def __init__(self, *args, opportunity, **kwargs):
        kwargs.setdefault("prefix", f"entry{kwargs['instance'].pk}")
        forms.ModelForm.__init__(self, *args, label_suffix="", **kwargs)


def accounts_in(territory):
    """The ids of the accounts in `territory` or below it, as a subquery: the database lists them once (through
    the account territory index) and the deals' totals are then still read from their index alone."""
    return in_territory(Account.all_objects.all(), territory).values("pk")


class OpportunityFilterForm(ListFilterForm):
    account = forms.ModelChoiceField(label=capfirst(_("account")), required=False, queryset=Account.objects.none(),
                                     widget=forms.HiddenInput)
    stage = forms.ModelChoiceField(label=capfirst(_("stage")), required=False, queryset=PipelineStage.objects.all(),
                                   empty_label=_("All stages"))
    # Open deals unless another status is asked for: totals over won and lost deals would count them under
    # the stage they closed in, as if they were still in the pipeline.
    status = forms.ChoiceField(label=capfirst(_("status")), required=False,
                               choices=[*Opportunity.Status.choices, (ANY_STATUS, _("Any status"))])
    owner = forms.ModelChoiceField(label=capfirst(_("owner")), required=False, queryset=active_users(),
                                   empty_label=_("All owners"))
    sales_team = forms.ModelChoiceField(label=capfirst(_("sales team")), required=False,
                                        queryset=SalesTeam.objects.all(), empty_label=_("All teams"))
    business_unit = forms.ModelChoiceField(label=capfirst(_("business unit")), required=False,
                                           queryset=BusinessUnit.objects.all(), empty_label=_("All units"))
    territory = TerritoryFilterField(label=capfirst(_("territory")), required=False)
    close_from = forms.DateField(label=_("Closing from"), required=False, widget=DateInput())
    close_to = forms.DateField(label=_("Closing to"), required=False, widget=DateInput())
    campaign = forms.ModelChoiceField(label=capfirst(_("campaign")), required=False, queryset=Campaign.objects.none(),
                                      empty_label=_("Any campaign"))

    # Filter row by row (see core.policy.Parent): for queries cut to a few rows in an index's
    # order, such as the board's columns, where a list of every matching account would cost more.
    per_row = False

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and not data.get("status"):
            data = data.copy()
            data["status"] = Opportunity.Status.OPEN
        super().__init__(data, *args, **kwargs)
        self.fields["account"].queryset = Account.objects.visible_to(self.user)
        self.fields["campaign"].queryset = Campaign.objects.visible_to(self.user)

    @property
    def active(self) -> bool:
        """A filter other than the default status is set."""
        data = getattr(self, "cleaned_data", {})
        return any(value not in (None, "", []) for name, value in data.items()
                   if not (name == "status" and value == Opportunity.Status.OPEN))

    @property
    def open_only(self) -> bool:
        return getattr(self, "cleaned_data", {}).get("status") == Opportunity.Status.OPEN

    def filter_status(self, queryset, status):
        return queryset if status == ANY_STATUS else queryset.filter(status=status)

    def filter_q(self, queryset, value):
        """The deal's name or its account's name, through the search index."""
        return queryset.filter(Q(pk__in=search.matching_ids(Opportunity, value))
                               | Q(account_id__in=search.matching_ids(Account, value)))

    def filter_territory(self, queryset, territory):
        if self.per_row:
            in_it = in_territory(Account.all_objects.filter(pk=OuterRef("account_id")), territory)
            return queryset.filter(Exists(in_it))
        return queryset.filter(account_id__in=accounts_in(territory))

    def filter_close_from(self, queryset, day):
        return queryset.filter(expected_close_date__gte=day)

    def filter_close_to(self, queryset, day):
        return queryset.filter(expected_close_date__lte=day)


class BoardFilterForm(OpportunityFilterForm):
    """The board's filters: the list's, less stage and status (the board shows open deals by stage)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("stage", "status"):
            del self.fields[name]
