from django import forms
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Account
from vinculo.core.forms import CountryField, RecordChooser, RecordForm, active_users, label_unseen_choice
from vinculo.core.lists import ListFilterForm

from .models import Contact, ContactAccountLink

FIELDSETS = (
    (_("Person"), ("first_name", "last_name", "title", "department", "executive_level", "purchase_role")),
    (_("Account and owner"), ("account", "owner")),
    (_("How to reach"), ("email", "phone", "mobile", "country", "city", "email_opt_out", "do_not_call")),
    (_("Notes"), ("description",)),
)


def contact_choices(user, account_id=None, keep=(), per_row: bool = False):
    """Contacts `user` may see on the account `account_id` (its own and linked ones), plus `keep`.
    `per_row`: see `core.policy.Parent` (for a question about a few contacts at a time)."""
    condition = Q(pk__in=list(keep))
    if account_id:
        linked = ContactAccountLink.objects.filter(account_id=account_id).values("contact_id")
        condition |= Q(account_id=account_id) | Q(pk__in=linked)
    return Contact.objects.visible_to(user, per_row=per_row).filter(condition).order_by("last_name", "first_name")


class ContactForm(RecordForm):
    fieldsets = FIELDSETS
    country = CountryField(label=capfirst(_("country")), initial="CL",
                           help_text=_("Phone numbers without a country prefix are read as from this country."))

    class Meta:
        model = Contact
        fields = [name for _legend, names in FIELDSETS for name in names]
        widgets = {
            "account": RecordChooser("accounts:autocomplete"),
            "description": forms.Textarea(attrs={"rows": 3}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel"}),
            "mobile": forms.TextInput(attrs={"type": "tel"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["owner"].queryset = active_users(keep=self.instance.owner_id)
        visible = Account.objects.visible_to(user)
        if self.instance.account_id:
            # The current account stays acceptable even if the editor can no longer see it.
            visible = visible | Account.objects.filter(pk=self.instance.account_id)
        self.fields["account"].queryset = visible
        label_unseen_choice(self.fields["account"], user, self.instance.account_id)
        if not self.instance.pk:
            self.fields["owner"].initial = user.pk
        else:
            self.initial["phone"] = self.instance.phone_display
            self.initial["mobile"] = self.instance.mobile_display


class ContactFilterForm(ListFilterForm):
    account = forms.ModelChoiceField(label=capfirst(_("account")), required=False, queryset=Account.objects.none(),
                                     widget=forms.HiddenInput)
    executive_level = forms.ChoiceField(label=capfirst(_("executive level")), required=False,
                                        choices=[("", _("Any level")), *Contact.ExecutiveLevel.choices])
    purchase_role = forms.ChoiceField(label=capfirst(_("role in the purchase")), required=False,
                                      choices=[("", _("Any role")), *Contact.PurchaseRole.choices])
    owner = forms.ModelChoiceField(label=capfirst(_("owner")), required=False, queryset=active_users(),
                                   empty_label=_("All owners"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.visible_to(self.user)

    def filter_account(self, queryset, account):
        """The account's contacts, including those linked to it as another account."""
        linked = account.contact_links.values("contact_id")
        return queryset.filter(Q(account=account) | Q(pk__in=linked))


class AccountLinkForm(forms.ModelForm):
    """Link the contact to another account: the choices are the accounts the user may see, but its main one."""

    class Meta:
        model = ContactAccountLink
        fields = ["account", "role"]
        widgets = {"account": RecordChooser("accounts:autocomplete")}

    def __init__(self, *args, contact, user, **kwargs):
        kwargs.setdefault("prefix", "link")
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("instance", ContactAccountLink(contact=contact))
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.visible_to(user).exclude(pk=contact.account_id)
