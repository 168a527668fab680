"""Forms of the lead pages: the lead itself, its list filters and the conversion form."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Account
from vinculo.core.forms import (
    CountryField,
    DateInput,
    LocalDates,
    RecordForm,
    active_users,
    label_unseen_choice,
)
from vinculo.core.lists import ListFilterForm
from vinculo.core.money import CurrencyFormField
from vinculo.core.validators import format_tax_id
from vinculo.marketing.models import Campaign
from vinculo.org.forms import TerritoryChoiceField, TerritoryFilterField, in_territory

from .conversion import default_stage
from .models import Lead, PipelineStage, Source


def visible_campaigns(user, keep=None):
    campaigns = Campaign.objects.visible_to(user)
    if keep:
        campaigns = campaigns | Campaign.objects.filter(pk=keep)
    return campaigns.order_by("-start_date", "name")


FIELDSETS = (
    (_("Person"), ("first_name", "last_name", "title", "email", "phone")),
    (_("Company"), ("company", "company_tax_id", "country", "city", "region", "website", "industry")),
    (_("Qualification"), ("status", "rating", "source", "campaign", "territory", "owner")),
    (_("Description"), ("description",)),
)


class LeadForm(RecordForm):
    fieldsets = FIELDSETS
    country = CountryField(label=capfirst(_("country")), initial="CL",
                           help_text=_("Phone numbers and tax ids are read as from this country."))
    website = forms.URLField(label=capfirst(_("website")), required=False, max_length=200, assume_scheme="https")
    territory = TerritoryChoiceField()

    class Meta:
        model = Lead
        fields = [name for _legend, names in FIELDSETS for name in names]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        instance = self.instance
        self.fields["owner"].queryset = active_users(keep=instance.owner_id)
        self.fields["campaign"].queryset = visible_campaigns(user, keep=instance.campaign_id)
        label_unseen_choice(self.fields["campaign"], user, instance.campaign_id)
        if instance.is_converted:
            # A converted lead stays converted: its status is not offered.
            del self.fields["status"]
        else:
            self.fields["status"].choices = [
                choice for choice in self.fields["status"].choices if choice[0] != Lead.Status.CONVERTED
            ]
        if not instance.pk:
            self.fields["owner"].initial = user.pk
        else:
            # Edit stored values in their readable form; the model normalises them again on save.
            self.initial["company_tax_id"] = format_tax_id(instance.company_tax_id, instance.country)
            self.initial["phone"] = instance.phone_display


def _any(label, choices):
    return [("", label), *choices]


OPEN_STATUSES = (Lead.Status.NEW, Lead.Status.CONTACTED, Lead.Status.QUALIFIED)
ALL = "all"


class LeadFilterForm(ListFilterForm):
    mine = forms.ChoiceField(label=_("Whose"), required=False,
                             choices=[("", _("All leads I can see")), ("1", _("My leads"))])
    # The list opens on the leads still to work: no status chosen means open ones; "all" shows every lead.
    status = forms.ChoiceField(label=capfirst(_("status")), required=False, choices=[
        ("", _("Open leads")), (ALL, _("Any status")), *Lead.Status.choices])
    rating = forms.ChoiceField(label=capfirst(_("rating")), required=False,
                               choices=_any(_("Any rating"), Lead.Rating.choices))
    source = forms.ChoiceField(label=capfirst(_("source")), required=False, choices=_any(_("Any source"), Source.choices))
    campaign = forms.ModelChoiceField(label=capfirst(_("campaign")), required=False, queryset=Campaign.objects.none(),
                                      empty_label=_("Any campaign"))
    territory = TerritoryFilterField()
    owner = forms.ModelChoiceField(label=capfirst(_("owner")), required=False, queryset=active_users(),
                                   empty_label=_("All owners"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = visible_campaigns(self.user)

    def filter_mine(self, queryset, value):
        return queryset.filter(owner=self.user)

    def apply(self, queryset):
        queryset = super().apply(queryset)  # an unknown status (the old "open" of saved links) counts as none
        return queryset if self.cleaned_data.get("status") else queryset.filter(status__in=OPEN_STATUSES)

    def filter_status(self, queryset, value):
        if value == ALL:
            return queryset
        return queryset.filter(status=value)

    def filter_territory(self, queryset, territory):
        # A region's leads include those of its zones.
        return in_territory(queryset, territory)


# ---------- Conversion ----------

NEW = "new"


class ConvertForm(LocalDates, forms.Form):
    """Which account and contact the lead becomes (an offered match, or new ones) and the optional deal.

    The account and contact choices are the candidates computed for the user (all visible to them); the
    conversion service checks they may also be changed."""

    account = forms.ChoiceField(label=capfirst(_("account")), widget=forms.RadioSelect)
    contact = forms.ChoiceField(label=capfirst(_("contact")), widget=forms.RadioSelect)
    create_opportunity = forms.BooleanField(label=_("Create an opportunity"), required=False, initial=True)
    opportunity_name = forms.CharField(label=_("Opportunity name"), required=False, max_length=200)
    amount = forms.DecimalField(label=capfirst(_("amount")), required=False, min_value=0, max_digits=18,
                                decimal_places=2)
    currency = CurrencyFormField(label=capfirst(_("currency")), required=False)
    stage = forms.ModelChoiceField(label=capfirst(_("stage")), queryset=PipelineStage.objects.none(), required=False,
                                   empty_label=None)
    expected_close_date = forms.DateField(label=capfirst(_("expected close date")), required=False,
                                          widget=DateInput())

    def __init__(self, *args, lead, candidates, user, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.lead, self.candidates = lead, candidates
        self.account_candidates = {str(c.record.pk): c for c in candidates.accounts}
        self.contact_candidates = {str(c.record.pk): c for c in candidates.contacts}
        new_account = _("Create a new prospect account “%(name)s”") % {"name": lead.company or _lead_person(lead)}
        self.fields["account"].choices = [*((pk, str(c.record)) for pk, c in self.account_candidates.items()),
                                          (NEW, new_account)]
        contact_choices = [(pk, str(c.record)) for pk, c in self.contact_candidates.items()]
        if lead.last_name:
            contact_choices.append((NEW, _("Create a new contact “%(name)s”") % {"name": _lead_person(lead)}))
        else:
            contact_choices.append((NEW, _("No contact (this lead names no person)")))
        self.fields["contact"].choices = contact_choices
        self.fields["stage"].queryset = PipelineStage.objects.filter(is_active=True).order_by("order", "pk")
        # The strongest match is preselected when it is certain (same tax id, same email); otherwise new.
        best_account = candidates.accounts[0] if candidates.accounts else None
        best_contact = candidates.contacts[0] if candidates.contacts else None
        self.initial.setdefault("account", str(best_account.record.pk) if best_account and "tax_id" in
                                best_account.reasons else NEW)
        self.initial.setdefault("contact", str(best_contact.record.pk) if best_contact and "email" in
                                best_contact.reasons else NEW)
        self.initial.setdefault("currency", user.currency or "CLP")
        self.initial.setdefault("stage", default_stage())
        self.initial.setdefault("opportunity_name", lead.company or _lead_person(lead))

    def account_rows(self):
        """The account radio buttons with the candidate each stands for (None for "new")."""
        return [(radio, self.account_candidates.get(str(radio.data["value"]))) for radio in self["account"]]

    def contact_rows(self):
        return [(radio, self.contact_candidates.get(str(radio.data["value"]))) for radio in self["contact"]]

    def chosen_account(self) -> Account | None:
        value = self.cleaned_data["account"]
        return None if value == NEW else self.account_candidates[value].record

    def chosen_contact(self):
        value = self.cleaned_data["contact"]
        return None if value == NEW else self.contact_candidates[value].record

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("create_opportunity") and not cleaned.get("stage"):
            self.add_error("stage", _("Choose the stage of the new opportunity."))
        return cleaned


def _lead_person(lead) -> str:
    return " ".join(filter(None, [lead.first_name, lead.last_name]))

