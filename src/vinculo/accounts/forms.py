from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from vinculo.core.forms import CountryField, PlainSelect, RecordChooser, RecordForm, active_users
from vinculo.core.lists import ListFilterForm
from vinculo.core.money import CurrencyFormField
from vinculo.org.forms import TerritoryChoiceField, TerritoryFilterField, in_territory

from .models import Account, AccountTeamMember, Address

FIELDSETS = (
    (_("Responsibility"), ("owner", "business_unit", "office", "supervisor", "support_user", "sales_team")),
    (_("Identification"), ("legal_name", "trade_name", "country", "tax_id", "phone", "email", "website", "parent")),
    (_("Classification"), ("industry", "account_type", "employees", "annual_revenue", "rating", "territory")),
    (_("How it buys"), ("purchase_methods", "buying_frequency", "preferred_channel")),
    (_("Commercial terms"), ("currency", "credit_limit", "discount_level", "payment_behaviour", "relationship_status")),
    (_("Sales targets"), ("sales_target", "potential")),
    (_("Financial information"), ("credit_grade", "credit_bureau_status", "credit_behaviour", "commercial_reports",
                                   "risk_analysis", "bank_details", "other_suppliers")),
    (_("Description"), ("description",)),
)


class AccountForm(RecordForm):
    fieldsets = FIELDSETS
    restricted_fields = Account.policy.field_groups["financial"].fields
    purchase_methods = forms.MultipleChoiceField(
        label=capfirst(_("purchase methods")), choices=Account.PurchaseMethod.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    country = CountryField(label=capfirst(_("country")), initial="CL")
    currency = CurrencyFormField(label=capfirst(_("currency")))
    website = forms.URLField(label=capfirst(_("website")), required=False, max_length=200, assume_scheme="https")
    territory = TerritoryChoiceField()

    class Meta:
        model = Account
        fields = [name for _legend, names in FIELDSETS for name in names]
        widgets = {
            "parent": RecordChooser("accounts:autocomplete"),
            "description": forms.Textarea(attrs={"rows": 3}),
            "credit_behaviour": forms.Textarea(attrs={"rows": 2}),
            "commercial_reports": forms.Textarea(attrs={"rows": 2}),
            "risk_analysis": forms.Textarea(attrs={"rows": 2}),
            "bank_details": forms.Textarea(attrs={"rows": 2}),
            "other_suppliers": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        for name in Account.policy.hidden_fields(user):
            del self.fields[name]
        for name in ("owner", "supervisor", "support_user"):
            self.fields[name].queryset = active_users(keep=getattr(self.instance, f"{name}_id"))
        visible = Account.objects.visible_to(user)
        if self.instance.pk:
            # The current parent stays acceptable even if the editor can no longer see it.
            visible = (visible | Account.objects.filter(pk=self.instance.parent_id)).exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = visible
        if not self.instance.pk:
            self.fields["owner"].initial = user.pk
        else:
            # Edit stored values in their readable form; the model normalises them again on save.
            self.initial["tax_id"] = self.instance.tax_id_display
            self.initial["phone"] = self.instance.phone_display


class AccountFilterForm(ListFilterForm):
    account_type = forms.ChoiceField(label=capfirst(_("account type")), required=False,
                                     choices=[("", _("All types")), *Account.Type.choices])
    territory = TerritoryFilterField()
    owner = forms.ModelChoiceField(label=capfirst(_("owner")), required=False, queryset=active_users(),
                                   empty_label=_("All owners"))
    rating = forms.ChoiceField(label=capfirst(_("rating")), required=False, choices=[("", _("Any rating")), *Account.Rating.choices])
    relationship_status = forms.ChoiceField(label=capfirst(_("relationship status")), required=False,
                                            choices=[("", _("Any status")), *Account.Relationship.choices])

    group_by_territory = forms.BooleanField(label=_("Count by territory"), required=False)

    def filter_territory(self, queryset, territory):
        return in_territory(queryset, territory)

    def filter_group_by_territory(self, queryset, value):
        return queryset  # a way of showing the list, not a filter


class TeamMemberForm(forms.ModelForm):
    """Add a user to the account's team: the choices are the active users."""

    class Meta:
        model = AccountTeamMember
        fields = ["user", "role", "access"]
        # Shown on every account page an editor opens: options written in Python, not a template each.
        widgets = {"role": PlainSelect, "access": PlainSelect}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "team")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = active_users().order_by("first_name", "last_name", "username")


class AddressForm(forms.ModelForm):
    country = CountryField(label=capfirst(_("country")), initial="CL")

    class Meta:
        model = Address
        fields = ["kind", "street", "municipality", "city", "province", "region", "postal_code", "country"]
        widgets = {"kind": PlainSelect}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "address")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
