"""Display helpers for record pages: field labels from the model, money and numbers in the user's locale."""

import functools
from decimal import Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.numbers import format_compact_decimal, format_decimal
from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from vinculo.core.money import current_locale, format_money

register = template.Library()

_locale = current_locale


@register.filter
def undo_url(message) -> str:
    """The restore URL a "moved to the recycle bin" message offers its Undo with (core.views.move_to_recycle_bin),
    or ""."""
    from django.urls import reverse

    from vinculo.core.views import UNDO_TAG

    for tag in (message.extra_tags or "").split():
        if tag.startswith(UNDO_TAG):
            kind, _sep, pk = tag.removeprefix(UNDO_TAG).partition(":")
            if pk.isdigit():
                return reverse("core:restore", args=[kind, int(pk)])
    return ""


@register.filter
def label(record, field_name: str) -> str:
    """The translated, capitalised verbose name of `field_name` on `record`'s model."""
    return capfirst(record._meta.get_field(field_name).verbose_name)


@register.filter
def country_name(code: str) -> str:
    if not code:
        return ""
    try:
        return Locale.parse(_locale()).territories.get(code.upper(), code)
    except (UnknownLocaleError, ValueError):
        return code


@register.filter
def money(value, currency: str = "CLP") -> str:
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return format_money(amount, currency or "CLP", locale=_locale())


@register.filter
def number(value) -> str:
    if value in (None, ""):
        return ""
    try:
        return _number(str(Decimal(value)), _locale())
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


@functools.lru_cache(maxsize=4096)
def _number(text: str, locale: str) -> str:
    """Kept per process, by the number's text (1 and 1.0 are equal Decimals written differently): pages write
    the same counts again and again, and babel parses its pattern on every call."""
    return format_decimal(Decimal(text), locale=locale)


@register.filter
def compact(value) -> str:
    """A short number for charts: 12,3 M."""
    if value in (None, ""):
        return ""
    try:
        return format_compact_decimal(Decimal(value), locale=_locale(), fraction_digits=1)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


_FROM_RECORD = object()


@register.simple_tag
def field(record, name: str, value=_FROM_RECORD, wide: bool = False):
    """One <dt>/<dd> pair of a record page: the model's label and the value (choice labels,
    related records by name, a dash when empty). Pass `value` to show a formatted value instead."""
    model_field = record._meta.get_field(name)
    if value is _FROM_RECORD:
        raw = getattr(record, model_field.attname)
        if model_field.choices and raw not in (None, ""):
            value = getattr(record, f"get_{name}_display")()
        elif model_field.is_relation:
            value = getattr(record, name) if raw is not None else None
        else:
            value = raw
    if isinstance(value, bool):
        value = _("Yes") if value else _("No")
    if value in (None, "", []):
        value = format_html('<span class="empty">{}</span>', "—")
    return format_html('<div{}><dt>{}</dt><dd>{}</dd></div>', mark_safe(' class="wide"') if wide else "",
                       capfirst(model_field.verbose_name), value)
