"""Forms of the competitor pages: the competitor, its contacts and the list's filters."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from vinculo.core.forms import CountryField, RecordForm
from vinculo.core.lists import ListFilterForm
from vinculo.core.validators import normalize_phone

from .models import Competitor, CompetitorContact

FIELDSETS = (
    (_("Company"), ("name", "tax_id", "country", "website", "phone", "email")),
    (_("What they sell"), ("products",)),
    (_("How they compete"), ("strengths", "weaknesses")),
    (_("Notes"), ("notes",)),
)


class CompetitorForm(RecordForm):
    fieldsets = FIELDSETS

    class Meta:
        model = Competitor
        fields = [name for _legend, names in FIELDSETS for name in names]
        field_classes = {"country": CountryField}
        widgets = {
            "products": forms.Textarea(attrs={"rows": 3}),
            "strengths": forms.Textarea(attrs={"rows": 3}),
            "weaknesses": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self):
        data = super().clean()
        if data.get("phone"):
            try:
                data["phone"] = normalize_phone(data["phone"], data.get("country") or "CL")
            except ValidationError as exc:
                self.add_error("phone", exc)
        return data


class CompetitorContactForm(forms.ModelForm):
    class Meta:
        model = CompetitorContact
        fields = ["name", "title", "email", "phone"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("prefix", "contact")
        super().__init__(*args, **kwargs)


class CompetitorFilterForm(ListFilterForm):
    country = forms.ChoiceField(label=_("Country"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        countries = Competitor.objects.order_by("country").values_list("country", flat=True).distinct()
        self.fields["country"].choices = [("", _("All countries")), *((code, code) for code in countries)]
