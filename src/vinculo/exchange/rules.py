"""The duplicate rules of imports (and of exports read back): how e-mails, phones, names, legal names and tax
ids are compared. Two rows are the same person when their e-mails are equal after trimming and
lower-casing; without an e-mail, when their mobiles are the same E.164 number AND their full names are
equal without accents, case and extra spaces. A name alone never matches. Accounts match on the compact
tax id, then on the legal name without accents, case and legal suffix."""

from vinculo.core.matching import (  # noqa: F401  (the rules, moved down to core for the forms and merges)
    compact_tax_id,
    normalize_email,
    normalize_legal_name,
    normalize_mobile,
    normalize_name,
    strip_accents,
)


def person_key(email: str, mobile: str, full_name: str) -> tuple | None:
    """What identifies a person in a file and in the database: the e-mail, or else mobile and name
    together; None when neither is there (a name alone never identifies anyone)."""
    if email:
        return ("email", email)
    name = normalize_name(full_name)
    if mobile and name:
        return ("mobile", mobile, name)
    return None


FORMULA_PREFIXES = ("=", "+", "-", "@")
# The first characters `neutralise` acts on (a tab or carriage return can hide a formula after it).
RISKY_STARTS = frozenset((*FORMULA_PREFIXES, "\t", "\r"))


def is_formula(text: str) -> bool:
    """A cell a spreadsheet would run as a formula (CSV injection)."""
    return bool(text) and text[0] in FORMULA_PREFIXES


def neutralise(value):
    """A value as exported: text starting with = + - @ (or a tab/CR that hides one) gets a leading
    apostrophe, so a spreadsheet shows it as text instead of running it."""
    if isinstance(value, str) and value and value[0] in RISKY_STARTS:
        return "'" + value
    return value
