"""The form renderer writes a <select> as Django's own templates do, character for character."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from vinculo.core.renderers import FormRenderer

CHOICES = [("", "---------"), (1, "Norte & Sur"), ("b", '"quoted" <b>'), (3, gettext_lazy("Open"))]
GROUPED = [("Zona <Norte>", [(1, "Antofagasta"), (2, "Iquique")]), ("Sur", [(3, "Temuco")]), (4, "Otra")]

WIDGETS = [
    ("plain", forms.Select(choices=CHOICES), 1),
    ("nothing chosen", forms.Select(choices=CHOICES), None),
    ("string value chosen", forms.Select(choices=CHOICES), "b"),
    ("attrs: true, false, text, safe", forms.Select(choices=CHOICES, attrs={
        "required": True, "disabled": False, "class": 'a "b" <c>', "data-x": mark_safe("<i>"), "hx-get": "/x/?a=1&b=2"}),
     3),
    ("multiple", forms.SelectMultiple(choices=CHOICES), [1, "b"]),
    ("groups", forms.Select(choices=GROUPED), 2),
    ("groups, multiple", forms.SelectMultiple(choices=GROUPED), [3, 4]),
    ("yes / no / unknown", forms.NullBooleanSelect(), True),
    ("numbers and dates as labels", forms.Select(choices=[(1, Decimal("1234.5")), (2, datetime.date(2026, 12, 7)), (3, 7)]), 2),
    ("safe label", forms.Select(choices=[(1, mark_safe("<b>bold</b>"))]), 1),
    ("no choices", forms.Select(choices=[]), None),
]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(("case", "widget", "value"), WIDGETS, ids=[case for case, *_rest in WIDGETS])
def test_a_select_renders_as_the_templates_do(case, widget, value, language):
    with override(language):
        expected = widget.render("field", value, attrs={"id": "id_field"}, renderer=DjangoTemplates())
        assert widget.render("field", value, attrs={"id": "id_field"}, renderer=FormRenderer()) == expected


def test_a_widget_with_its_own_option_template_goes_through_the_templates():
    class Marked(forms.Select):
        option_template_name = "django/forms/widgets/input.html"

    widget = Marked(choices=[(1, "uno")])
    expected = widget.render("field", 1, renderer=DjangoTemplates())
    assert widget.render("field", 1, renderer=FormRenderer()) == expected
    assert "<option" not in expected


def test_the_project_renders_forms_with_it(settings):
    from django.forms.renderers import get_default_renderer

    get_default_renderer.cache_clear()
    try:
        assert isinstance(get_default_renderer(), FormRenderer)
    finally:
        get_default_renderer.cache_clear()
