"""The duplicate rules' normal forms, each pinned by hand."""

import pytest
from django.core.exceptions import ValidationError

from vinculo.exchange import rules


def test_email_is_trimmed_and_lower_cased_and_dots_and_tags_stay():
    assert rules.normalize_email("  Ana.Perez+CRM@Example.CL ") == "ana.perez+crm@example.cl"
    assert rules.normalize_email("anaperez@example.cl") != rules.normalize_email("ana.perez@example.cl")
    assert rules.normalize_email("") == ""
    with pytest.raises(ValidationError):
        rules.normalize_email("ana@@example")


@pytest.mark.parametrize(("typed", "e164"), [
    ("(09) 8765-4321", "+56987654321"),  # Chile's old mobile notation
    ("09-87654321", "+56987654321"),
    ("9 8765 4321", "+56987654321"),  # no country code: Chile
    ("+56 9 8765 4321", "+56987654321"),
    ("tel:+56-9-8765-4321", "+56987654321"),
    ("0034 612 345 678", "+34612345678"),  # 00 is the international prefix
    ("+34 612 34 56 78", "+34612345678"),
    ("(2) 2345 6789", "+56223456789"),
])
def test_phones_become_e164_with_chile_as_the_default_country(typed, e164):
    assert rules.normalize_mobile(typed) == e164


def test_a_phone_that_is_not_one_is_refused():
    with pytest.raises(ValidationError):
        rules.normalize_mobile("12")


def test_names_compare_without_accents_case_and_extra_spaces():
    assert rules.normalize_name("  José   NÚÑEZ ") == rules.normalize_name("jose nunez") == "jose nunez"
    assert rules.normalize_name("José Núñez") != rules.normalize_name("José Núñez Soto")


@pytest.mark.parametrize("name", ["Minera Atacama SpA", "MINERA ATACAMA S.A.", "Minera Atacama Ltda.",
                                  "minera atacama", "Minera Atacama, S.L.", "Minera  Atacama  S. A."])
def test_legal_names_compare_without_legal_suffixes(name):
    assert rules.normalize_legal_name(name) == "minera atacama"


def test_a_word_that_is_a_suffix_stays_when_it_is_not_at_the_end():
    assert rules.normalize_legal_name("Spa Termas del Sur Ltda.") == "spa termas del sur"
    assert rules.normalize_legal_name("S.A.") == "sa"  # a name that is only a suffix keeps it


def test_a_person_is_identified_by_email_or_by_mobile_and_name_never_by_name_alone():
    assert rules.person_key("a@x.cl", "+56987654321", "Ana") == ("email", "a@x.cl")
    assert rules.person_key("", "+56987654321", " Ána  Soto") == ("mobile", "+56987654321", "ana soto")
    assert rules.person_key("", "", "Ana Soto") is None
    assert rules.person_key("", "+56987654321", "") is None


@pytest.mark.parametrize(("value", "shown"), [("=1+1", "'=1+1"), ("+56 9", "'+56 9"), ("-2", "'-2"),
                                              ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("ok", "ok"), (5, 5)])
def test_formula_cells_are_neutralised_on_export(value, shown):
    assert rules.neutralise(value) == shown
