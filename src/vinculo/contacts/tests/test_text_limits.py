"""A long text field (a TextField: notes, descriptions) takes as much in the record forms as in the API,
TEXT_MAX_LENGTH characters, and not one more; the browser is told too (maxlength)."""

import pytest
from django.core.exceptions import ValidationError

from vinculo.contacts.forms import ContactForm
from vinculo.core.validators import TEXT_MAX_LENGTH
from vinculo.marketing.forms import CampaignForm

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("form_class", [ContactForm, CampaignForm])
def test_a_record_forms_long_text_takes_the_limit_and_not_a_character_more(org, form_class):
    field = form_class(user=org.vendedor_norte).fields["description"]
    assert field.clean("x" * TEXT_MAX_LENGTH) == "x" * TEXT_MAX_LENGTH
    with pytest.raises(ValidationError):
        field.clean("x" * (TEXT_MAX_LENGTH + 1))
    with pytest.raises(ValidationError):
        field.clean("x" * 10_000_000)
    assert field.widget.attrs["maxlength"] == str(TEXT_MAX_LENGTH)


def test_a_short_field_keeps_its_own_length(org):
    field = ContactForm(user=org.vendedor_norte).fields["last_name"]
    assert field.max_length < TEXT_MAX_LENGTH
