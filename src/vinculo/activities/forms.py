from datetime import datetime, time, timedelta

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Account
from vinculo.contacts.forms import contact_choices
from vinculo.contacts.models import Contact
from vinculo.core import clock, subjects
from vinculo.core.forms import (
    DateInput,
    DateTimeInput,
    MultiChoice,
    RecordChooser,
    RecordForm,
    active_users,
    label_unseen_choice,
)
from vinculo.core.lists import ListFilterForm
from vinculo.core.services import update_record
from vinculo.org.models import User
from vinculo.plans.forms import plan_choices

from .models import Activity
from .services import log_activity

FIELDSETS = (
    (_("What happened"), ("kind", "subject", "occurred_at", "duration_minutes", "status", "direction", "outcome")),
    (_("With whom"), ("account", "opportunity", "contacts", "owner", "participants")),
    (_("Description"), ("description",)),
    (_("Business plan"), ("plan", "objective")),
)


class ActivityForm(RecordForm):
    """Logs or edits an activity. Its account is one the user may edit; its contacts are the visible
    contacts of that account (the contacts list follows the account picked, through htmx)."""

    fieldsets = FIELDSETS
    # The deal is the activity's subject (`regarding`), not a column of its own.
    opportunity = forms.ModelChoiceField(label=capfirst(_("opportunity")), required=False,
                                         queryset=None)

    class Meta:
        model = Activity
        fields = [name for _legend, names in FIELDSETS for name in names if name != "opportunity"]
        widgets = {
            "account": RecordChooser("accounts:autocomplete"),
            "occurred_at": DateTimeInput(),
            "contacts": MultiChoice(attrs={"size": 6}),
            "participants": MultiChoice(attrs={"size": 6}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "participants": _("Colleagues who took part."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        instance = self.instance
        accounts = Account.objects.editable_by(user)
        if instance.account_id:
            accounts = accounts | Account.objects.filter(pk=instance.account_id)
        self.fields["account"].queryset = accounts
        label_unseen_choice(self.fields["account"], user, instance.account_id)
        # Offered beyond the account's contacts: the current ones, or the one the form was opened from.
        keep = instance.contacts.values_list("pk", flat=True) if instance.pk else self.initial.get("contacts") or []
        self.fields["contacts"].queryset = contact_choices(user, self.chosen_account_id(), keep)
        self.fields["contacts"].help_text = _("The contacts of the account chosen above.")
        participants = list(instance.participants.values_list("pk", flat=True)) if instance.pk else []
        self.fields["participants"].queryset = User.objects.filter(Q(is_active=True) | Q(pk__in=participants))
        self.fields["owner"].queryset = active_users(keep=instance.owner_id)
        # Only the deals of the account chosen: an account may have hundreds, the database hundreds of thousands.
        # Deals are a subject type sales registers (core.subjects), found here by its alias.
        deal_model = subjects.registry.model_named("opportunity")
        deals = deal_model.objects.visible_to(user).filter(account_id=self.chosen_account_id())
        if instance.opportunity_id:
            deals = deals | deal_model.objects.filter(pk=instance.opportunity_id)
        self.fields["opportunity"].queryset = deals.order_by("-created_at")
        label_unseen_choice(self.fields["opportunity"], user, instance.opportunity_id)
        self.fields["opportunity"].help_text = _("A deal of the account chosen above, if the activity is about one.")
        self.initial.setdefault("opportunity", instance.opportunity_id)
        if not instance.pk:
            self.initial.update(owner=user.pk, occurred_at=clock.now().replace(second=0, microsecond=0))
        plan_choices(self, user, self.chosen_account_id())
        if instance.lead_id and not instance.account_id:
            # A lead's activity or task: no account, contacts or plan until the lead is converted.
            del self.fields["account"], self.fields["contacts"], self.fields["opportunity"]
            del self.fields["plan"], self.fields["objective"]

    def clean(self):
        cleaned = super().clean()
        deal, account = cleaned.get("opportunity"), cleaned.get("account")
        if deal is not None and account is not None and deal.account_id != account.pk:
            self.add_error("opportunity", _("This deal belongs to another account."))
        elif "opportunity" in self.fields:
            # About the deal chosen; without one, about its account (see core.subjects.settle).
            self.instance.opportunity = deal
        return cleaned

    def chosen_account_id(self):
        value = self.data.get("account") if self.is_bound else self.initial.get("account", self.instance.account_id)
        return int(value) if str(value or "").isdigit() else None

    def write(self) -> None:
        contacts, participants = self.cleaned_data.get("contacts", []), self.cleaned_data["participants"]
        if self.instance.pk is None:
            log_activity(self.instance, by=self.user, contacts=contacts, participants=participants)
            return
        update_record(self.instance, by=self.user, expected_version=self.cleaned_data["version"])
        # Contacts the editor may not see were not offered; they stay linked.
        unseen = self.instance.contacts.exclude(pk__in=Contact.objects.visible_to(self.user).values("pk"))
        self.instance.contacts.set([*contacts, *unseen])
        self.instance.participants.set(participants)


class ActivityFilterForm(ListFilterForm):
    account = forms.ModelChoiceField(label=capfirst(_("account")), required=False, queryset=Account.objects.none(),
                                     widget=forms.HiddenInput)
    contact = forms.ModelChoiceField(label=capfirst(_("contact")), required=False, queryset=Contact.objects.none(),
                                     widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=capfirst(_("kind")), required=False,
                             choices=[("", _("Any kind")), *Activity.Kind.choices])
    status = forms.ChoiceField(label=capfirst(_("status")), required=False,
                               choices=[("", _("Any status")), *Activity.Status.choices])
    owner = forms.ModelChoiceField(label=capfirst(_("owner")), required=False, queryset=active_users(),
                                   empty_label=_("All owners"))
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.visible_to(self.user)
        self.fields["contact"].queryset = Contact.objects.visible_to(self.user)

    def filter_q(self, queryset, value):
        return queryset.filter(subject__icontains=value)

    def filter_contact(self, queryset, contact):
        return queryset.filter(contacts=contact)

    # Days are the user's days: bounds in their time zone, so the index on occurred_at is used.
    def filter_date_from(self, queryset, day):
        return queryset.filter(occurred_at__gte=timezone.make_aware(datetime.combine(day, time.min)))

    def filter_date_to(self, queryset, day):
        return queryset.filter(occurred_at__lt=timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min)))
