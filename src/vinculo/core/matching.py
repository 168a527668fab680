"""The duplicate rules every channel compares records by (imports, the "possible duplicates" of the forms and
of the on-demand page, merges): how e-mails, phones, names, legal names and tax ids are normalised. Pure
functions; the apps decide which of them identify their records."""

import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from .validators import default_country, normalize_tax_id

_SPACES = re.compile(r"\s+")
# Legal forms at the end of a company name: Chile (SpA, Ltda., S.A., EIRL), Spain (S.L., S.L.U., S.A.U.,
# S.Coop.), and the English ones a file may carry. Compared on the name without dots, commas and case.
_LEGAL_SUFFIXES = (
    "spa", "ltda", "limitada", "sa", "sac", "saa", "sau", "sl", "slu", "sll", "slne", "scoop", "eirl", "cia",
    "y cia", "sociedad anonima", "sociedad limitada", "inc", "llc", "ltd", "gmbh", "srl", "sas", "cb",
)
_SUFFIX_RE = re.compile(r"(?:[\s,]+(?:" + "|".join(re.escape(s) for s in sorted(_LEGAL_SUFFIXES, key=len, reverse=True))
                        + r"))+$")


def strip_accents(text: str) -> str:
    if text.isascii():  # most names: nothing to decompose (the pairs page normalises every visible record's)
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def normalize_name(text: str) -> str:
    """A person's full name as compared: no accents, case-folded, single spaces."""
    return _SPACES.sub(" ", strip_accents(text or "").casefold()).strip()


def normalize_legal_name(text: str) -> str:
    """A company's legal name as compared: `normalize_name` without punctuation and legal suffixes
    ("Minera Atacama S.A." and "MINERA ATACAMA SpA" are one name)."""
    name = normalize_name(text)
    # "S.A." → "sa", "S. L." → "sl": dots go, the letters of an abbreviation join.
    name = re.sub(r"\b([a-z])\.\s?(?=[a-z]\b)", r"\1", name)
    name = name.replace(".", "")
    name = re.sub(r"[^\w\s,&]", " ", name)
    name = _SPACES.sub(" ", name).strip()
    stripped = _SUFFIX_RE.sub("", name).strip(" ,")
    return stripped or name


def normalize_email(text: str) -> str:
    """The e-mail trimmed and lower-cased (dots and +tags are significant), or raise ValidationError."""
    email = (text or "").strip().lower()
    if email.startswith("mailto:"):
        email = email[len("mailto:"):]
    if email:
        validate_email(email)
    return email


def normalize_mobile(text: str, country: str = "") -> str:
    """A phone number in E.164 form, or raise ValidationError. Numbers without a country code are of
    `country` (Chile by default); Chile's old notation with a leading 0 ("(09) 8765-4321", "02 2345
    6789") is read as today's number; "00" before a country code is the international prefix."""
    from django.utils.translation import gettext as _

    value = (text or "").strip()
    if value.lower().startswith("tel:"):
        value = value[4:]
    if not value:
        return ""
    region = (country or default_country()).upper()
    digits = re.sub(r"\D", "", value)
    if value.startswith("00") or (digits.startswith("00") and not value.startswith("+")):
        value = "+" + digits[2:]
    elif region == "CL" and not value.startswith("+") and digits.startswith("0") and len(digits) == 10:
        value = digits[1:]
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("“%(value)s” is not a phone number.") % {"value": text}) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("“%(value)s” is not a valid phone number.") % {"value": text})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def compact_tax_id(text: str, country: str = "") -> str:
    """The tax id in compact form (RUT 76.123.456-7 → 761234567), or raise ValidationError naming it."""
    return normalize_tax_id(text, country or default_country())
