"""The pipeline stages page in the app (administrators of the organisation): their order, default probability
and whether the board shows them; a stage that deals are in cannot be deleted, only taken out of use."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from vinculo.org.settings_pages import Column, SettingsList

from .models import Opportunity, PipelineStage


class StageForm(forms.ModelForm):
    class Meta:
        model = PipelineStage
        fields = ["name", "order", "probability", "is_active"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def stage_in_use(stage: PipelineStage) -> str | None:
    """Deals in the stage (those in the recycle bin too, which may come back): one query."""
    count = Opportunity.all_objects.filter(stage=stage).count()
    if not count:
        return None
    return ngettext("“%(name)s” is the stage of %(count)d deal: move it to another stage, or take this one out "
                    "of use (untick “active”) to keep it off the board.",
                    "“%(name)s” is the stage of %(count)d deals: move them to another stage, or take this one "
                    "out of use (untick “active”) to keep it off the board.", count) % {
        "name": stage.name, "count": count}


stages = SettingsList(
    name="stage", namespace="sales", model=PipelineStage, form_class=StageForm,
    title=gettext_lazy("Pipeline stages"),
    intro=gettext_lazy("The board's columns in order, each with the probability a deal takes when it enters it."),
    columns=[Column(gettext_lazy("Name"), lambda stage: stage.name),
             Column(gettext_lazy("Order"), lambda stage: stage.order),
             Column(gettext_lazy("Probability"), lambda stage: f"{stage.probability} %"),
             Column(gettext_lazy("Active"), lambda stage: _("Yes") if stage.is_active else _("No"))],
    in_use=stage_in_use,
)
