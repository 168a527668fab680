"""The form renderer: Django's templates, except for a <select>, written here in Python.

Django renders a select through three templates, two of them once per option: a list page's filter form
(owners, territories, types: 74 options) spent 7.6 ms of its 26 ms there, the deal page's pickers more.
The output is the same, character for character, as the templates' (core/tests/test_renderers.py compares
them); a widget with its own option template still goes through the templates.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}`: the text, escaped unless it was marked safe."""
    text = str(value)
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(
        f" {conditional_escape(name)}" if value is True else f' {conditional_escape(name)}="{_formatted(value)}"'
        for name, value in attrs.items() if value is not False
    )


def _label(label) -> str:
    """`{{ widget.label }}`: localized (a number, a date), then escaped unless safe."""
    return conditional_escape(label if isinstance(label, str) else str(localize(label)))


def render_select(widget: dict) -> str | None:
    """select.html for the widget's context, or None when an option has a template of its own."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_label(group_name)}">')
        for option in group_choices:
            if option["template_name"] != OPTION:
                return None
            parts.append(f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                         f'{_label(option["label"])}</option>\n')
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name == SELECT:
            rendered = render_select(context["widget"])
            if rendered is not None:
                return rendered
        return super().render(template_name, context, request)
