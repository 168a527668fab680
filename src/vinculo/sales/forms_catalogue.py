"""Forms of the product catalogue and price lists, and the filters of their lists."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from vinculo.core.forms import DateInput, RecordChooser, RecordForm
from vinculo.core.lists import ListFilterForm
from vinculo.core.money import Currency

from .models import PriceList, Product

PRODUCT_FIELDSETS = (
    (_("Product"), ("code", "name", "family", "unit", "tax_rate", "is_active")),
    (_("Description"), ("description",)),
)


class ProductForm(RecordForm):
    fieldsets = PRODUCT_FIELDSETS

    class Meta:
        model = Product
        fields = [name for _legend, names in PRODUCT_FIELDSETS for name in names]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


PRICE_LIST_FIELDSETS = (
    (_("Price list"), ("name", "currency", "is_active", "valid_from", "valid_until")),
    (_("Description"), ("description",)),
)


class PriceListForm(RecordForm):
    fieldsets = PRICE_LIST_FIELDSETS

    class Meta:
        model = PriceList
        fields = [name for _legend, names in PRICE_LIST_FIELDSETS for name in names]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "valid_from": DateInput,
                   "valid_until": DateInput}


class PriceForm(forms.Form):
    """A product's price in a price list: the add row (with a product chooser) and each row's change."""

    product = forms.ModelChoiceField(label=capfirst(_("product")), queryset=Product.objects.all(),
                                     widget=RecordChooser("sales:product_autocomplete"))
    unit_price = forms.DecimalField(label=capfirst(_("unit price")), min_value=0, max_digits=18, decimal_places=4,
                                    widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))

    def __init__(self, *args, with_product=True, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if not with_product:
            del self.fields["product"]


def _families():
    families = Product.objects.exclude(family="").order_by("family").values_list("family", flat=True).distinct()
    return [("", "—"), *((family, family) for family in families)]


ACTIVE_CHOICES = [("", "—"), ("yes", _("Active")), ("no", _("Inactive"))]


class ProductFilterForm(ListFilterForm):
    family = forms.ChoiceField(label=_("Family"), required=False, choices=_families)
    active = forms.ChoiceField(label=_("Status"), required=False, choices=ACTIVE_CHOICES)

    def filter_active(self, queryset, value):
        return queryset.filter(is_active=value == "yes")


class PriceListFilterForm(ListFilterForm):
    currency = forms.ChoiceField(label=_("Currency"), required=False, choices=[("", "—"), *Currency.choices])
    active = forms.ChoiceField(label=_("Status"), required=False, choices=ACTIVE_CHOICES)

    def filter_q(self, queryset, value):
        for word in value.split()[:8]:
            queryset = queryset.filter(name__icontains=word)
        return queryset

    def filter_active(self, queryset, value):
        return queryset.filter(is_active=value == "yes")
