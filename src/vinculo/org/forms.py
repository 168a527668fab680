"""Forms of the organisation pages, and the territory filter other lists reuse:

    from vinculo.org.forms import TerritoryFilterField, in_territory

    class LeadFilterForm(ListFilterForm):
        territory = TerritoryFilterField()

        def filter_territory(self, queryset, territory):
            return in_territory(queryset, territory)
"""

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from vinculo.core import clock
from vinculo.core.forms import DateInput, LocalDates, MultiChoice
from vinculo.core.money import Currency, CurrencyFormField, base_currency

from . import territories
from .models import ExchangeRate, SalesTeamMember, Territory, TerritoryRule, User

# Non-breaking spaces survive HTML whitespace collapsing inside <option>.
INDENT = "\u00a0\u00a0\u00a0"


def in_territory(queryset: QuerySet, territory: Territory | None, field: str = "territory") -> QuerySet:
    """Rows of `queryset` whose `field` (a FK to Territory, may span relations: "account__territory")
    is `territory` or one of its sub-territories. No territory: the queryset unchanged."""
    if territory is None:
        return queryset
    return queryset.filter(**{f"{field}__path__startswith": territory.path})


def territory_groups(queryset: QuerySet, field: str = "territory") -> list[dict]:
    """Rows of `queryset` counted per territory, for a "group by territory" summary of a list: in tree order,
    each {"territory" (None: without one), "depth", "count" (in it), "total" (in it and below)}. Only
    territories holding rows, and their ancestors, are listed. Two queries."""
    counts = {row[field]: row["n"] for row in queryset.order_by().values(field).annotate(n=models.Count("pk"))}
    paths = dict(Territory.objects.filter(pk__in=[pk for pk in counts if pk]).values_list("pk", "path"))
    totals: dict[int, int] = {}
    for pk, path in paths.items():
        for part in path.strip("/").split("/"):
            totals[int(part)] = totals.get(int(part), 0) + counts[pk]
    groups = [
        {"territory": territory, "depth": territory.depth, "count": counts.get(territory.pk, 0),
         "total": totals[territory.pk]}
        for territory in tree_order(Territory.objects.filter(pk__in=totals))
    ]
    if counts.get(None):
        groups.append({"territory": None, "depth": 0, "count": counts[None], "total": counts[None]})
    return groups


def territory_label(territory: Territory) -> str:
    return INDENT * territory.depth + territory.name


def tree_order(territories) -> list[Territory]:
    """`territories` in tree order: each one right after its parent, siblings by name. Sorted here rather
    than by `path` in SQL, which would put "1/10/" before "1/2/" and depends on the database collation."""
    territories = list(territories)
    names = {territory.pk: territory.name.casefold() for territory in territories}

    def key(territory):
        ids = [int(part) for part in territory.path.strip("/").split("/") if part]
        return [(names.get(pk, ""), pk) for pk in ids]

    return sorted(territories, key=key)


class TreeChoiceIterator(forms.models.ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for territory in tree_order(self.queryset):
            yield self.choice(territory)


class TerritoryChoiceField(forms.ModelChoiceField):
    """A territory select showing the tree: each territory under its parent, indented by depth."""

    iterator = TreeChoiceIterator

    def __init__(self, queryset=None, **kwargs):
        kwargs.setdefault("label", capfirst(_("territory")))
        kwargs.setdefault("required", False)
        super().__init__(queryset=Territory.objects.all() if queryset is None else queryset, **kwargs)

    def label_from_instance(self, obj):
        return territory_label(obj)


class TerritoryFilterField(TerritoryChoiceField):
    """The territory filter of a list: optional, "All territories" when empty. Pair with `in_territory`
    so choosing a territory also shows the records of its sub-territories."""

    def __init__(self, queryset=None, **kwargs):
        kwargs.setdefault("empty_label", _("All territories"))
        super().__init__(queryset=queryset, **kwargs)


class TerritoryForm(forms.ModelForm):
    parent = TerritoryChoiceField(label=capfirst(_("part of")))
    users = forms.ModelMultipleChoiceField(
        label=_("Assigned users"), required=False, queryset=User.objects.filter(is_active=True),
        widget=MultiChoice(attrs={"size": 8}),
        help_text=_("Where the territory lets its members see its records, these users see them."),
    )

    class Meta:
        model = Territory
        fields = ["name", "kind", "parent", "grants_access"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["parent"].empty_label = _("— none (top level) —")
        if self.instance.pk:
            # A territory cannot be moved under itself or one of its sub-territories.
            self.fields["parent"].queryset = Territory.objects.exclude(path__startswith=self.instance.path)
            self.initial.setdefault("users", list(self.instance.users.values_list("pk", flat=True)))

    def save(self, commit=True):
        territory = super().save(commit=commit)
        if commit:
            # Inactive users keep their assignment; only the active ones are offered here.
            keep = list(territory.users.filter(is_active=False))
            territory.users.set([*keep, *self.cleaned_data["users"]])
        return territory


class TerritoryRuleForm(forms.ModelForm):
    industry = forms.ModelChoiceField(label=capfirst(_("industry")), required=False, queryset=None,
                                      empty_label="—")

    class Meta:
        model = TerritoryRule
        fields = ["field", "value", "industry", "priority"]
        help_texts = {"value": _("A country code (CL), a region or city name, or the start of a postal code.")}

    def __init__(self, *args, territory, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.instance.territory = territory
        self.fields["field"].choices = TerritoryRule.Field.choices
        self.fields["field"].initial = TerritoryRule.Field.REGION
        self.fields["industry"].queryset = territories.industries()
        self.fields["value"].required = False

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("field") == TerritoryRule.Field.INDUSTRY:
            if cleaned.get("industry") is None:
                self.add_error("industry", _("Choose the industry."))
            else:
                cleaned["value"] = str(cleaned["industry"].pk)
                self.instance.value = cleaned["value"]
        elif not (cleaned.get("value") or "").strip():
            self.add_error("value", _("Give the value records must have."))
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        # An error the model raises about the value of an industry rule is about the industry select.
        if "value" in self.errors and self.cleaned_data.get("field") == TerritoryRule.Field.INDUSTRY:
            self.add_error("industry", self.errors.pop("value"))


class ApplyRulesForm(forms.Form):
    ALL = "both"  # every territorial type; otherwise one type's key

    target = forms.ChoiceField(label=_("Apply to"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = territories.types()
        self.fields["target"].choices = [
            (self.ALL, _("All: %(types)s") % {"types": ", ".join(str(kind.label) for kind in kinds)}),
            *((kind.key, _("%(records)s only") % {"records": kind.label}) for kind in kinds),
        ]
        self.fields["target"].initial = self.ALL

    only_unassigned = forms.BooleanField(
        label=_("Only records without a territory"), required=False, initial=True,
        help_text=_("Untick to re-assign every record a rule matches, including territories chosen by hand."),
    )


class SalesTeamMemberForm(forms.Form):
    user = forms.ModelChoiceField(label=capfirst(_("user")), queryset=User.objects.filter(is_active=True))
    function = forms.ChoiceField(label=capfirst(_("function")), choices=SalesTeamMember.Function.choices,
                                 initial=SalesTeamMember.Function.SALES_REP)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class RateField(forms.Field):
    """A positive exchange rate, written with a decimal comma or point ("950,5", "39.123,45")."""

    widget = forms.TextInput

    def to_python(self, value):
        from .services import parse_decimal

        value = str(value).strip() if value is not None else ""
        if value in self.empty_values:
            return None
        try:
            number = parse_decimal(value)
        except (InvalidOperation, ValueError):
            raise ValidationError(_("Enter a number, e.g. 950,25 or 39.123,45."), code="invalid") from None
        if number <= 0:
            raise ValidationError(_("A rate must be greater than zero."), code="min_value")
        if number.normalize().as_tuple().exponent < -6 or number >= Decimal(10) ** 14:
            raise ValidationError(_("At most 14 digits before and 6 after the decimal separator."), code="max_digits")
        return number


def rate_currencies():
    base = base_currency()
    return [(code, label) for code, label in Currency.choices if code != base]


class ExchangeRateForm(LocalDates, forms.ModelForm):
    currency = CurrencyFormField(label=capfirst(_("currency")), exclude_base=True)
    rate = RateField(label=capfirst(_("rate")),
                     widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))

    class Meta:
        model = ExchangeRate
        fields = ["currency", "date", "rate", "source"]
        widgets = {"date": DateInput}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["rate"].help_text = _("Value of one unit in %(base)s.") % {"base": base_currency()}
        if not self.instance.pk and not self.is_bound:
            self.fields["date"].initial = clock.today()
        if self.instance.pk:
            self.initial["rate"] = format(self.instance.rate.normalize(), "f")


class ExchangeRateImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_(
        "Columns date, currency, rate (a header row is optional). Dates as 2026-11-23 or 23-11-2026; "
        "rates with a decimal comma or point; currencies CLP, UF (or CLF), USD, EUR."))
    source = forms.CharField(label=capfirst(_("source")), max_length=60, required=False,
                             help_text=_("Where the rates come from, e.g. Banco Central de Chile."))

    MAX_SIZE = 2 * 1024 * 1024

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_SIZE:
            raise ValidationError(_("The file is larger than 2 MB; split it."))
        return upload


class ExchangeRateFilterForm(LocalDates, forms.Form):
    currency = forms.ChoiceField(label=capfirst(_("currency")), required=False,
                                 choices=lambda: [("", _("All currencies")), *rate_currencies()])
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def apply(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["currency"]:
            queryset = queryset.filter(currency=data["currency"])
        if data["date_from"]:
            queryset = queryset.filter(date__gte=data["date_from"])
        if data["date_to"]:
            queryset = queryset.filter(date__lte=data["date_to"])
        return queryset
