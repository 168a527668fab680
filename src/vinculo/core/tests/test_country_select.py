import pytest
from django import forms
from django.utils import translation

from vinculo.core.forms import CountryField


class AddressForm(forms.Form):
    country = CountryField(initial="CL")


def options(html: str) -> list[str]:
    return html.split("<option")[1:]


def test_the_country_select_lists_chile_and_spain_first_in_the_language_and_marks_the_value():
    with translation.override("es"):
        html = str(AddressForm(data={"country": "ES"})["country"])
        assert html.startswith('<select id="id_country" name="country">')
        first = options(html)[:3]
        assert first[0] == ' value="CL">Chile</option>'
        assert first[1] == ' value="ES" selected>España</option>'
        assert ' value="DE">Alemania</option>' in html
        assert html.count(" selected") == 1
    with translation.override("en"):
        html = str(AddressForm()["country"])
        assert ' value="CL" selected>Chile</option>' in html
        assert ' value="DE">Germany</option>' in html and ' value="ES">Spain</option>' in html


def test_a_name_with_markup_characters_is_escaped():
    class Form(forms.Form):
        country = CountryField(choices=[("XX", "A & <B>")])

    assert '<option value="XX">A &amp; &lt;B&gt;</option>' in str(Form()["country"])


@pytest.mark.parametrize("code", ["QQ", "ZZ", "EU", "UN", "XA"])  # no code; unknown region; groupings; pseudo
def test_a_code_that_is_no_country_is_a_field_error(code):
    form = AddressForm(data={"country": code})
    assert not form.is_valid() and list(form.errors) == ["country"]
    assert AddressForm(data={"country": "XK"}).is_valid()  # Kosovo is one
