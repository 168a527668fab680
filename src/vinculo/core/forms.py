"""Form pieces every record form shares: field groups, the version for optimistic locking, saving
through `core.services`, a country select, a search-as-you-type chooser for large FK lists, a multiple
choice with search, dates typed as the interface's language writes them and the users a record can be given
to."""

import datetime
import functools
import json
import re

from babel import Locale, UnknownLocaleError
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxLengthValidator
from django.db.models import Q
from django.forms.utils import flatatt
from django.urls import reverse
from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, pgettext
from django.utils.translation import gettext_lazy as _

from .access import HIDDEN_RECORD, may_see
from .services import ConflictError, create_record, update_record
from .validators import TEXT_MAX_LENGTH

# Countries Vínculo's customers are in come first in the country select.
MAIN_COUNTRIES = ("CL", "ES")
# CLDR's territory codes that are no country: groupings, pseudo-locales and "unknown region".
NOT_COUNTRIES = {"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"}


def country_choices():
    return _country_choices(get_language() or "es")


@functools.lru_cache(maxsize=8)
def _country_choices(language: str) -> tuple:
    try:
        territories = Locale.parse(language.replace("-", "_")).territories
    except (UnknownLocaleError, ValueError):
        territories = Locale.parse("en").territories
    names = {code: name for code, name in territories.items()
             if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES}
    first = [(code, names[code]) for code in MAIN_COUNTRIES if code in names]
    rest = sorted(((code, name) for code, name in names.items() if code not in MAIN_COUNTRIES), key=lambda c: c[1])
    return tuple(first + rest)


def active_users(keep=None):
    """Users who can be given records; `keep` (an id) stays choosable so editing a record whose
    owner has left does not force a change of owner."""
    users = get_user_model().objects
    return users.filter(Q(is_active=True) | Q(pk=keep)) if keep else users.filter(is_active=True)


def label_unseen_choice(field: forms.ModelChoiceField, user, keep) -> None:
    """A choice field whose queryset keeps the record `keep` (an id: the one the instance already links
    to, so an edit does not force a change) though `user` may not see it: that choice reads "a record you
    cannot see" instead of its name (asked when the choices are drawn, one query)."""
    if not keep:
        return
    named = field.label_from_instance
    shown = {}

    def label_from_instance(record):
        if record.pk == keep:
            if "kept" not in shown:
                shown["kept"] = may_see(user, record)
            if not shown["kept"]:
                return str(HIDDEN_RECORD)
        return named(record)

    field.label_from_instance = label_from_instance


# ---- Dates typed as the interface's language writes them (README "Formats") ----
# A text box in the active language's format (dd-mm-aaaa in Spanish, yyyy-mm-dd in English), never the
# browser's date picker, whose format follows the browser's locale rather than Vínculo's. The formats are
# core/formats/<language>/formats.py (FORMAT_MODULE_PATH): the first input format is the one shown, every
# one is accepted, and ISO (2026-12-31) always.

_PLACEHOLDER_PARTS = {
    "%d": lambda: pgettext("placeholder of a date: the day", "dd"),
    "%m": lambda: pgettext("placeholder of a date: the month", "mm"),
    "%Y": lambda: pgettext("placeholder of a date: the year", "yyyy"),
    "%H": lambda: pgettext("placeholder of a time: the hour", "hh"),
    "%M": lambda: pgettext("placeholder of a time: the minutes", "mm"),
    "%S": lambda: pgettext("placeholder of a time: the seconds", "ss"),
}
# Escaped in a pattern attribute (the browser compiles it with the `v` flag, which refuses other escapes).
_PATTERN_SYNTAX = set("^$\\.*+?()[]{}|/")
_PATTERN_PARTS = {"%d": r"\d{1,2}", "%m": r"\d{1,2}", "%Y": r"\d{4}", "%H": r"\d{1,2}", "%M": r"\d{2}",
                  "%S": r"\d{2}", "%f": r"\d{1,6}"}


def format_placeholder(date_format: str) -> str:
    """'%d-%m-%Y' as a reader sees it in a placeholder: dd-mm-aaaa (Spanish), dd-mm-yyyy (English)."""
    return re.sub(r"%[a-zA-Z]", lambda match: _PLACEHOLDER_PARTS.get(match[0], lambda: match[0])(), date_format)


def _html_pattern(input_formats: list[str]) -> str:
    """A `pattern` attribute accepting what the field accepts (the browser checks the shape, the field the
    date): each format's parts as digits, its separators as they are."""
    def one(date_format: str) -> str:
        return "".join(_PATTERN_PARTS.get(part, "\\" + part if part in _PATTERN_SYNTAX else part)
                       for part in re.findall(r"%[a-zA-Z]|[^%]", date_format))
    return "|".join(dict.fromkeys(one(date_format) for date_format in input_formats))


class _LocalInput:
    format_key: str
    example: datetime.datetime = datetime.datetime(2026, 12, 31, 14, 30)

    def localise(self, attrs: dict) -> dict:
        shown = formats.get_format(self.format_key)[0]
        placeholder = format_placeholder(shown)
        attrs.setdefault("placeholder", placeholder)
        attrs.setdefault("inputmode", "numeric")
        attrs.setdefault("autocomplete", "off")
        attrs.setdefault("pattern", _html_pattern(formats.get_format(self.format_key)))
        attrs.setdefault("title", _("Written %(format)s, e.g. %(example)s") % {
            "format": placeholder, "example": self.example.strftime(shown)})
        return attrs


class DateInput(_LocalInput, forms.DateInput):
    """A date as the active language writes it, "31-12-2026" in Spanish, "2026-12-31" in English."""

    format_key = "DATE_INPUT_FORMATS"

    def __init__(self, attrs=None):
        super().__init__(attrs)  # no fixed format: the active language's first input format, when drawn

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        self.localise(context["widget"]["attrs"])
        return context


class DateTimeInput(_LocalInput, forms.DateTimeInput):
    """A date and time as the active language writes them, "31-12-2026 14:30" in Spanish."""

    format_key = "DATETIME_INPUT_FORMATS"

    def __init__(self, attrs=None):
        super().__init__(attrs)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        self.localise(context["widget"]["attrs"])
        return context


class LocalDates:
    """Every date and date-time field of the form typed and checked as the active language writes dates
    (RecordForm and ListFilterForm have it; a form of its own with a date field mixes it in): the widgets
    above and an error naming the format."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DateTimeField):
                widget = DateTimeInput
            elif isinstance(field, forms.DateField):
                widget = DateInput
            else:
                continue
            if not isinstance(field.widget, widget) and not field.widget.is_hidden:
                field.widget = widget(attrs={name: value for name, value in field.widget.attrs.items()
                                             if name != "type"})
            shown = formats.get_format(widget.format_key)[0]
            field.error_messages["invalid"] = _(
                "Enter a real date written %(format)s, e.g. %(example)s."
            ) % {"format": format_placeholder(shown), "example": _LocalInput.example.strftime(shown)}


class PlainSelect(forms.Select):
    """A select whose options are written in Python instead of through a template each: the country
    select's 250 options cost a page more than all of its queries. Grouped choices render as usual."""

    def render(self, name, value, attrs=None, renderer=None):
        if any(isinstance(label, (list, tuple)) for _value, label in self.choices):
            return super().render(name, value, attrs, renderer)
        selected = set(self.format_value(value))
        options = [
            format_html('<option value="{}"{}>{}</option>', option_value,
                        mark_safe(" selected") if str(option_value) in selected else "", label)
            for option_value, label in self.choices
        ]
        return format_html("<select{}>{}</select>", flatatt(self.build_attrs(self.attrs, {**(attrs or {}), "name": name})),
                           mark_safe("".join(options)))


class CountryField(forms.ChoiceField):
    widget = PlainSelect

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", country_choices)
        kwargs.pop("max_length", None)
        kwargs.pop("empty_value", None)
        super().__init__(**kwargs)


class RecordChooser(forms.Widget):
    """A hidden id plus a search box that asks `url` (an htmx endpoint) for matching records.

    Used instead of a <select> where the choices are records a user may see, which can be tens of
    thousands; the field's queryset still decides what is accepted."""

    template_name = "core/widgets/record_chooser.html"

    def __init__(self, url_name: str, attrs=None):
        super().__init__(attrs)
        self.url_name = url_name
        self.choices = ()

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        label = ""
        if value not in (None, ""):
            queryset = getattr(self.choices, "queryset", None)
            record = queryset.filter(pk=value).first() if queryset is not None and str(value).isdigit() else None
            field = getattr(self.choices, "field", None)
            label = "" if record is None else field.label_from_instance(record) if field is not None else str(record)
        context["widget"].update(url=reverse(self.url_name), label=label)
        return context


class MultiChoice(forms.SelectMultiple):
    """Several choices from a list, with search: a `<select multiple>` that static/vinculo/multichoice.js turns
    into a search box (type to filter, arrows and Enter to add or remove) above the chosen items, each with
    its own remove button. Without the script it stays the browser's list. The choices are the field's, so
    its queryset still decides what is offered and accepted."""

    template_name = "core/widgets/multi_choice.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["labels"] = json.dumps({
            "search": gettext("Type to search…"),
            "hint": gettext("Type to filter; the arrow keys and Enter add or remove the highlighted one."),
            "chosen": gettext("Chosen"),
            "none": gettext("None chosen"),
            "empty": gettext("No matches"),
            "remove": gettext("Remove %(name)s"),
            "added": gettext("%(name)s added"),
            "removed": gettext("%(name)s removed"),
        })
        return context


class RecordForm(LocalDates, forms.ModelForm):
    """A ModelForm for a TrackedModel that saves through core.services.

    `fieldsets` groups the fields for display; fields missing from the form (e.g. removed for lack
    of a permission) are skipped. A stale `version` is reported as a form error, never saved."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    fieldsets: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # A field group shown only to users holding a permission; marked as such on the page.
    restricted_fields: tuple[str, ...] = ()

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.user = user
        self.conflict = False
        for field in self.fields.values():
            if isinstance(field, forms.ModelMultipleChoiceField):
                continue  # no empty choice among several
            if isinstance(field, forms.ModelChoiceField):
                field.empty_label = "—"
            elif isinstance(field, forms.TypedChoiceField) and field.choices and field.choices[0][0] == "":
                field.choices = [("", "—"), *field.choices[1:]]
            elif type(field) is forms.CharField and field.max_length is None:
                # A TextField has no length of its own: the same limit as the API's.
                field.max_length = TEXT_MAX_LENGTH
                field.validators.append(MaxLengthValidator(TEXT_MAX_LENGTH))
                field.widget.attrs.setdefault("maxlength", str(TEXT_MAX_LENGTH))
        if self.instance.pk:
            self.fields["version"].required = True
            self.fields["version"].initial = self.instance.version

    def grouped_fields(self):
        for legend, names in self.fieldsets:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                yield {
                    "legend": legend,
                    "fields": fields,
                    "restricted": bool(set(names) & set(self.restricted_fields)),
                    "solo": len(fields) == 1,
                }

    def save_record(self) -> bool:
        """Validate and save; on refusal (invalid, stale, rejected by the model) return False with
        the reasons on the form and nothing stored."""
        if not self.is_valid():
            return False
        try:
            self.write()
        except ConflictError as exc:
            self.conflict = True
            self.add_error(None, str(exc))
            return False
        except ValidationError as exc:
            self._add_model_errors(exc)
            return False
        return True

    def write(self) -> None:
        """Store the validated instance; types written through their own service override this."""
        if self.instance.pk is None:
            create_record(self.instance, by=self.user)
        else:
            update_record(self.instance, by=self.user, expected_version=self.cleaned_data["version"])

    def _add_model_errors(self, exc: ValidationError):
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for field, errors in exc.error_dict.items():
            target = field if field in self.fields and field != NON_FIELD_ERRORS else None
            if target is None and field != NON_FIELD_ERRORS:
                label = self.instance._meta.get_field(field).verbose_name
                errors = [ValidationError(_("%(field)s: %(error)s"), params={"field": label, "error": "; ".join(e.messages)})
                          for e in errors]
            self.add_error(target, errors)
