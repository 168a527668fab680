"""Creating, renaming and deleting sales teams in the app (their members are managed on each team's page)."""

from django import forms
from django.utils.translation import gettext_lazy

from .models import SalesTeam
from .settings_pages import Column, SettingsList


class SalesTeamForm(forms.ModelForm):
    class Meta:
        model = SalesTeam
        fields = ["name", "business_unit"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


teams = SettingsList(
    name="sales_team", namespace="org", model=SalesTeam, form_class=SalesTeamForm,
    title=gettext_lazy("Manage sales teams"),
    intro=gettext_lazy("Deleting a team keeps its accounts and deals, without a team; members are added on each "
                       "team's page."),
    columns=[Column(gettext_lazy("Team"), lambda team: team.name),
             Column(gettext_lazy("Business unit"), lambda team: team.business_unit or "")],
    queryset=lambda: SalesTeam.objects.select_related("business_unit"),
    permission="org.change_salesteam",
)
