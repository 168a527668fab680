"""Tax ids and phone numbers as a user types, stores and reads them back.

Check digits below are worked out by hand:
- RUT 76.086.428-5: 76086428 read right to left × 2,3,4,5,6,7,2,3 = 16+6+16+30+48+0+12+21 = 149;
  149 mod 11 = 6; 11 − 6 = 5.
- Spanish DNI 12345678Z: 12345678 mod 23 = 14, letter 14 of TRWAGMYFPDXBNJZSQVHLCKE is Z (so …A is wrong).
- Argentine CUIT 20-12345678-6: 2012345678 × 5,4,3,2,7,6,5,4,3,2 = 10+0+3+4+21+24+25+24+21+16 = 148;
  148 mod 11 = 5; 11 − 5 = 6.
"""

import pytest
from django.core.exceptions import ValidationError

from vinculo.core.validators import format_phone, format_tax_id, normalize_phone, normalize_tax_id


@pytest.fixture
def default_country(settings):
    """The organisation's country, used when a record has none; CL unless a test says otherwise."""

    def use(country):
        settings.VINCULO = {**settings.VINCULO, "DEFAULT_COUNTRY": country}

    use("CL")
    return use


def refusal(function, *args) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        function(*args)
    return refused.value.messages


# ---------- Tax ids: stored compact, shown in the country's usual format ----------

@pytest.mark.parametrize("country", ["CL", "cl"])
def test_chilean_rut_is_stored_compact_and_shown_with_dots_and_dash(country):
    assert normalize_tax_id(" 76.086.428-5 ", country) == "760864285"
    assert format_tax_id("760864285", country) == "76.086.428-5"


def test_argentine_cuit_is_checked_and_shown_with_its_dashes():
    assert normalize_tax_id("20-12345678-6", "AR") == "20123456786"
    assert format_tax_id("20123456786", "AR") == "20-12345678-6"
    assert refusal(normalize_tax_id, "20-12345678-5", "AR") == ["“20-12345678-5” is not a valid tax id for AR."]


def test_spanish_nif_is_shown_as_stored_even_in_a_chilean_organisation(default_country):
    assert format_tax_id("B12345674", "ES") == "B12345674"
    assert format_tax_id("12345678Z", "ES") == "12345678Z"


def test_record_without_country_uses_the_organisations_country(default_country):
    assert normalize_tax_id("76.086.428-5", "") == "760864285"
    assert format_tax_id("760864285", "") == "76.086.428-5"
    assert refusal(normalize_tax_id, "76.086.428-4", "") == [
        "“76.086.428-4” is not a valid Chilean RUT (check digit)."]

    default_country("ES")
    assert normalize_tax_id("12345678Z", "") == "12345678Z"
    assert refusal(normalize_tax_id, "12345678A", "") == ["“12345678A” is not a valid Spanish NIF/CIF/NIE."]


def test_tax_id_of_a_country_without_a_validator_is_kept_as_typed_without_spaces():
    # Panama: a natural person's RUC may carry letters ("NT").
    assert normalize_tax_id(" 8-nt-1 12345 ", "PA") == "8-NT-112345"
    assert format_tax_id("8-NT-112345", "PA") == "8-NT-112345"


@pytest.mark.parametrize("empty", ["", "   ", None])
def test_empty_tax_id_means_none_given(empty):
    assert normalize_tax_id(empty, "CL") == ""


@pytest.mark.parametrize("stored", ["", None])
def test_record_without_tax_id_shows_none(stored):
    assert format_tax_id(stored, "CL") == ""


# ---------- Tax ids: what the user reads when one is wrong ----------

@pytest.mark.parametrize(
    ("typed", "country", "message"),
    [("76.086.428-4", "CL", "“76.086.428-4” is not a valid Chilean RUT (check digit)."),
     ("76.086.428-4", "cl", "“76.086.428-4” is not a valid Chilean RUT (check digit)."),
     ("12345678A", "ES", "“12345678A” is not a valid Spanish NIF/CIF/NIE."),
     (" 12345678A ", "es", "“12345678A” is not a valid Spanish NIF/CIF/NIE."),
     ("20-12345678-5", "ar", "“20-12345678-5” is not a valid tax id for AR.")],
)
def test_wrong_tax_id_is_refused_naming_the_value_and_the_countrys_kind_of_id(typed, country, message):
    assert refusal(normalize_tax_id, typed, country) == [message]


# ---------- Phone numbers: stored in E.164, shown international ----------

def test_phone_without_country_code_takes_the_organisations_country(default_country):
    assert normalize_phone("9 8765 4321") == "+56987654321"
    default_country("ES")
    assert normalize_phone("912 34 56 78") == "+34912345678"


def test_phone_typed_with_its_country_code_keeps_it_whatever_the_records_country():
    assert normalize_phone("+34 912 34 56 78", "CL") == "+34912345678"
    assert normalize_phone("912 34 56 78", "es") == "+34912345678"


@pytest.mark.parametrize("empty", ["", "   ", None])
def test_empty_phone_means_no_phone(empty):
    assert normalize_phone(empty, "CL") == ""


@pytest.mark.parametrize("stored", ["", None])
def test_record_without_phone_shows_none(stored):
    assert format_phone(stored) == ""


def test_phone_is_shown_grouped_the_international_way():
    assert format_phone("+56987654321") == "+56 9 8765 4321"
    assert format_phone("+34912345678") == "+34 912 34 56 78"


def test_stored_phone_without_country_code_is_shown_as_stored():
    # A legacy row from before numbers were normalised: no country to format it by.
    assert format_phone("2 2345 6789") == "2 2345 6789"


def test_text_that_is_no_number_and_a_number_too_short_get_different_messages():
    assert refusal(normalize_phone, "hola", "CL") == ["“hola” is not a phone number."]
    assert refusal(normalize_phone, "123", "CL") == ["“123” is not a valid phone number."]
