import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cl import rut

from vinculo.core.validators import format_phone, format_tax_id, normalize_phone, normalize_tax_id

COUNTRIES = st.sampled_from(["CL", "ES", "PE", "AR", "MX", "US", "FR", "", "ZZ", "xx"])


@given(value=st.text(max_size=40), country=COUNTRIES)
def test_tax_id_validator_never_crashes(value, country):
    try:
        normalized = normalize_tax_id(value, country)
    except ValidationError as error:
        assert error.messages and value.strip()
    else:
        assert isinstance(normalized, str)
        assert isinstance(format_tax_id(normalized, country), str)


@given(value=st.text(max_size=40), country=COUNTRIES)
def test_phone_validator_never_crashes(value, country):
    try:
        normalized = normalize_phone(value, country)
    except ValidationError as error:
        assert error.messages
    else:
        assert normalized == "" or normalized.startswith("+")
        assert isinstance(format_phone(normalized), str)


@given(body=st.integers(min_value=1_000_000, max_value=99_999_999))
def test_every_rut_with_its_check_digit_is_accepted_and_a_wrong_digit_is_not(body):
    digit = rut.calc_check_digit(str(body))
    assert normalize_tax_id(f"{body}-{digit}", "CL") == f"{body}{digit}"
    wrong = next(d for d in "0123456789K" if d != digit)
    with pytest.raises(ValidationError, match="RUT"):
        normalize_tax_id(f"{body}-{wrong}", "CL")


@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [("12345678Z", "ES", "12345678Z"), ("X1234567L", "ES", "X1234567L"), ("B12345674", "ES", "B12345674"),
     ("76.086.428-5", "CL", "760864285"), ("", "CL", "")],
)
def test_known_tax_ids(value, country, expected):
    assert normalize_tax_id(value, country) == expected


def test_phone_is_stored_in_e164_and_shown_formatted():
    assert normalize_phone("9 8765 4321", "CL") == "+56987654321"
    assert normalize_phone("912 34 56 78", "ES") == "+34912345678"
    assert format_phone("+56987654321") == "+56 9 8765 4321"
    with pytest.raises(ValidationError):
        normalize_phone("123", "CL")
