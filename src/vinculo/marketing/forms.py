"""Forms of the campaign pages."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from vinculo.core.forms import DateInput, RecordForm, active_users
from vinculo.core.lists import ListFilterForm

from .models import Campaign

FIELDSETS = (
    (_("Campaign"), ("name", "kind", "status", "owner")),
    (_("Dates"), ("start_date", "end_date")),
    (_("Description"), ("description",)),
)


class CampaignForm(RecordForm):
    fieldsets = FIELDSETS

    class Meta:
        model = Campaign
        fields = [name for _legend, names in FIELDSETS for name in names]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["owner"].queryset = active_users(keep=self.instance.owner_id)
        if not self.instance.pk:
            self.fields["owner"].initial = user.pk


class CampaignFilterForm(ListFilterForm):
    kind = forms.ChoiceField(label=capfirst(_("type")), required=False,
                             choices=[("", _("Any type")), *Campaign.Kind.choices])
    status = forms.ChoiceField(label=capfirst(_("status")), required=False,
                               choices=[("", _("Any status")), *Campaign.Status.choices])
    owner = forms.ModelChoiceField(label=capfirst(_("owner")), required=False, queryset=active_users(),
                                   empty_label=_("All owners"))
