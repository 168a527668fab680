"""Tax ids and phone numbers: parsed and validated by python-stdnum and phonenumbers, stored normalised;
the length limit of long text."""

import functools

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.util import get_cc_module

# The longest text a field without a length of its own (a TextField: a note, a description) takes, in the
# forms and the API alike: a few pages of text, not a 10 MB paste.
TEXT_MAX_LENGTH = 20_000

# Spain: a company has a CIF, a person a DNI or NIE; stdnum's `es.vat` accepts all of them.
_TAX_MODULES = {"es": "vat", "cl": "rut"}


def default_country() -> str:
    return settings.VINCULO["DEFAULT_COUNTRY"]


def _tax_module(country: str):
    country = (country or default_country()).lower()
    return get_cc_module(country, _TAX_MODULES.get(country, "vat"))


def normalize_tax_id(value: str, country: str) -> str:
    """Return the compact form of a valid tax id for `country`, or raise ValidationError."""
    value = (value or "").strip()
    if not value:
        return ""
    module = _tax_module(country)
    if module is None:
        # No validator known for this country: keep the id as typed, without spaces.
        return "".join(value.split()).upper()
    try:
        return module.validate(value)
    except StdnumError as exc:
        label = (country or default_country()).upper()
        if label == "CL":
            raise ValidationError(_("“%(value)s” is not a valid Chilean RUT (check digit).") % {"value": value}) from exc
        if label == "ES":
            raise ValidationError(_("“%(value)s” is not a valid Spanish NIF/CIF/NIE.") % {"value": value}) from exc
        raise ValidationError(
            _("“%(value)s” is not a valid tax id for %(country)s.") % {"value": value, "country": label}
        ) from exc


def format_tax_id(value: str, country: str) -> str:
    if not value:
        return ""
    module = _tax_module(country)
    if module is not None and hasattr(module, "format"):
        try:
            return module.format(value)
        except Exception:  # a stored legacy value that no longer parses is shown as stored
            return value
    return value


def normalize_phone(value: str, country: str = "") -> str:
    """Return a phone number in E.164 form, or raise ValidationError."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, (country or default_country()).upper())
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("“%(value)s” is not a phone number.") % {"value": value}) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("“%(value)s” is not a valid phone number.") % {"value": value})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@functools.lru_cache(maxsize=4096)
def format_phone(value: str) -> str:
    """A stored (E.164) number as people write it, "+56 9 8765 4321": kept per process, pages show the same
    numbers again and again and parsing one costs more than the rest of its row."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
