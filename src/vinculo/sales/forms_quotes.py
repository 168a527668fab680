"""Forms of quotes: the header (create and edit while draft), a line, the customer's answer, and the
filters of the quote list."""

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from vinculo.contacts.models import Contact
from vinculo.core import clock
from vinculo.core.forms import DateInput, RecordChooser, RecordForm, active_users, label_unseen_choice
from vinculo.core.lists import ListFilterForm
from vinculo.core.money import CurrencyFormField
from vinculo.org.models import CompanyProfile

from . import quoting
from .models import Opportunity, PriceList, Product, Quote, QuoteLine

HEADER_FIELDSETS = (
    (_("Quote"), ("price_list", "currency", "contact", "issued_on", "valid_until")),
    (_("For the customer"), ("notes", "terms")),
)


def quote_contacts(opportunity, user, keep=None):
    """The contacts `user` may see at the deal's account (its own and linked ones): whom a quote is addressed to."""
    account_id = opportunity.account_id
    contacts = Contact.objects.visible_to(user).filter(Q(account_id=account_id) | Q(account_links__account_id=account_id))
    if keep:
        contacts = contacts | Contact.objects.filter(pk=keep)
    return contacts.distinct().order_by("last_name", "first_name")


def usable_price_lists(keep=None):
    lists = PriceList.objects.filter(is_active=True)
    if keep:
        lists = lists | PriceList.objects.filter(pk=keep)
    return lists.order_by("name")


class QuoteForm(RecordForm):
    """The header of a quote: a new one for a deal (its lines start from the deal's), or a draft's."""

    fieldsets = HEADER_FIELDSETS
    currency = CurrencyFormField(
        label=capfirst(_("currency")), required=False, blank=_("The price list's"),
        help_text=_("Empty: the price list's currency, or the deal's without a price list."),
    )

    class Meta:
        model = Quote
        fields = [name for _legend, names in HEADER_FIELDSETS for name in names]
        widgets = {"issued_on": DateInput, "valid_until": DateInput, "notes": forms.Textarea(attrs={"rows": 3}),
                   "terms": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        quote = self.instance
        self.fields["contact"].queryset = quote_contacts(quote.opportunity, user, keep=quote.contact_id)
        label_unseen_choice(self.fields["contact"], user, quote.contact_id)
        self.fields["price_list"].queryset = usable_price_lists(keep=quote.price_list_id)
        if quote.pk:
            self.initial["currency"] = quote.currency
        else:
            today = clock.today()
            opportunity = quote.opportunity
            primary = opportunity.contact_roles.filter(is_primary=True).values_list("contact_id", flat=True).first()
            price_list = self.fields["price_list"].queryset.filter(currency=opportunity.currency).first()
            self.initial.update(issued_on=today, valid_until=today + timedelta(days=quoting.VALIDITY_DAYS),
                                terms=CompanyProfile.current().quote_terms, currency="", contact=primary,
                                price_list=price_list.pk if price_list else None)
            # Left empty, create_quote fills them in.
            for name in ("issued_on", "valid_until", "terms"):
                self.fields[name].required = False

    def clean(self):
        data = super().clean()
        price_list, currency = data.get("price_list"), data.get("currency")
        if price_list and currency and currency != price_list.currency:
            self.add_error("currency", _("The price list “%(name)s” is in %(currency)s.")
                           % {"name": price_list.name, "currency": price_list.currency})
        elif not currency:
            fallback = self.instance.currency if self.instance.pk else self.instance.opportunity.currency
            data["currency"] = price_list.currency if price_list else fallback
        return data

    def write(self) -> None:
        data = self.cleaned_data
        if self.instance.pk is None:
            self.instance = quoting.create_quote(
                self.instance.opportunity, self.user, data.get("price_list"), contact=data.get("contact"),
                currency=data["currency"], issued_on=data.get("issued_on"),
                valid_until=data.get("valid_until"), terms=data.get("terms") or None, notes=data.get("notes", ""),
            )
        else:
            quoting.update_quote(self.instance, self.user, expected_version=data["version"])


class ProductChooser(RecordChooser):
    """The product picker of a quote line: its choices show each product's price in the quote's price list."""

    def __init__(self, price_list=None, attrs=None):
        super().__init__("sales:product_autocomplete", attrs)
        self.price_list = price_list

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if self.price_list is not None:
            context["widget"]["url"] += f"?price_list={self.price_list.pk}"
        return context


def plain(value: Decimal) -> str:
    """A decimal as an input shows it: no trailing zeros, never in exponent form (6500000, not 6.5E+6)."""
    return format(value.normalize(), "f")


class DecimalInput(forms.NumberInput):
    def __init__(self, attrs=None):
        super().__init__({"step": "any", "inputmode": "decimal", **(attrs or {})})


class QuoteLineForm(forms.Form):
    """A line: a catalogue product (which brings its description, unit, tax and price) or free text."""

    product = forms.ModelChoiceField(label=capfirst(_("product")), required=False,
                                     queryset=Product.objects.filter(is_active=True),
                                     widget=ProductChooser(),
                                     error_messages={"invalid_choice": _("Choose an active product of the catalogue.")})
    description = forms.CharField(label=capfirst(_("description")), required=False, max_length=300)
    quantity = forms.DecimalField(label=capfirst(_("quantity")), max_digits=14, decimal_places=3,
                                  widget=DecimalInput(attrs={"min": "0"}))
    unit_price = forms.DecimalField(label=capfirst(_("unit price")), required=False, min_value=0, max_digits=18,
                                    decimal_places=4, widget=DecimalInput(attrs={"min": "0"}))
    discount_percent = forms.DecimalField(label=_("Discount %"), required=False, min_value=0, max_value=100,
                                          max_digits=5, decimal_places=2, widget=DecimalInput(attrs={"min": "0",
                                                                                                     "max": "100"}))
    tax_rate = forms.DecimalField(label=_("Tax %"), required=False, min_value=0, max_value=100, max_digits=5,
                                  decimal_places=2, widget=DecimalInput(attrs={"min": "0", "max": "100"}))

    def __init__(self, *args, line: QuoteLine | None = None, price_list=None, **kwargs):
        kwargs.setdefault("label_suffix", "")
        if line is not None:
            kwargs.setdefault("prefix", f"line-{line.pk}")
            kwargs.setdefault("initial", {
                "description": line.description, "quantity": plain(line.quantity),
                "unit_price": plain(line.unit_price), "discount_percent": plain(line.discount_percent),
                "tax_rate": plain(line.tax_rate),
            })
        super().__init__(*args, **kwargs)
        self.line = line
        if line is None:
            self.fields["product"].widget.price_list = price_list
            self.fields["quantity"].initial = 1
        else:
            del self.fields["product"]
            self.fields["unit_price"].required = True
            self.fields["tax_rate"].required = True
            # The row's inputs sit in table cells; they belong to the row's form through the form attribute.
            for field in self.fields.values():
                field.widget.attrs["form"] = f"line-form-{line.pk}"

    def save(self, quote, user) -> bool:
        """Add or change the line through sales.quoting; refusals end on the form. False when refused."""
        if not self.is_valid():
            return False
        data = {name: value for name, value in self.cleaned_data.items()}
        if data.get("discount_percent") is None:
            data["discount_percent"] = 0
        try:
            if self.line is None:
                quoting.add_line(quote, user, **data)
            else:
                quoting.update_line(self.line, user, **data)
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                self.add_error(None, exc)
            else:
                for field, errors in exc.error_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
            return False
        return True


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           help_text=_("e.g. the purchase order number, or why they declined."),
                           widget=forms.Textarea(attrs={"rows": 2}))
    mark_won = forms.BooleanField(label=_("Mark the deal won with this quote's total"), required=False,
                                  initial=True)


STATUS_CHOICES = [("", _("Current")), *Quote.Status.choices]


class QuoteFilterForm(ListFilterForm):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    owner = forms.ModelChoiceField(label=_("Owner"), required=False, queryset=active_users(), empty_label=_("All owners"))
    issued_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    issued_to = forms.DateField(label=_("To"), required=False, widget=DateInput)
    opportunity = forms.ModelChoiceField(label=_("Opportunity"), required=False, queryset=Opportunity.objects.none(),
                                         widget=forms.HiddenInput)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["opportunity"].queryset = Opportunity.objects.visible_to(user)

    def apply(self, queryset):
        queryset = super().apply(queryset)
        # Superseded revisions are history: shown only when asked for.
        if not getattr(self, "cleaned_data", {}).get("status"):
            queryset = queryset.exclude(status=Quote.Status.SUPERSEDED)
        return queryset

    def filter_q(self, queryset, value):
        words = value.split()[:8]
        for word in words:
            queryset = queryset.filter(Q(number__icontains=word) | Q(opportunity__name__icontains=word))
        return queryset

    def filter_issued_from(self, queryset, value):
        return queryset.filter(issued_on__gte=value)

    def filter_issued_to(self, queryset, value):
        return queryset.filter(issued_on__lte=value)
