"""The activity form's contacts and participants are multiple choices with search (core.forms.MultiChoice):
a <select multiple> the script enhances, offering only what the form's querysets allow."""

import html
import json
import re

import pytest

from vinculo.activities.forms import ActivityForm
from vinculo.contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def offered(rendered: str) -> set[int]:
    return {int(value) for value in re.findall(r'<option value="(\d+)"', rendered)}


def test_contacts_offered_are_the_visible_contacts_of_the_account_in_a_select_with_search(org):
    rojas = ContactFactory(account=org.north_account, last_name="Rojas")
    form = ActivityForm(initial={"account": org.north_account.pk}, user=org.vendedor_norte)
    rendered = str(form["contacts"])
    assert "data-multichoice" in rendered and "<select" in rendered and "multiple" in rendered
    assert offered(rendered) == {org.north_contact.pk, rojas.pk}  # not org.south_contact


def test_participants_are_active_users_and_the_widget_carries_its_labels(org):
    org.vendedor_sur.is_active = False
    org.vendedor_sur.save(update_fields=["is_active"])
    rendered = str(ActivityForm(user=org.vendedor_norte)["participants"])
    assert org.vendedor_norte.pk in offered(rendered) and org.vendedor_sur.pk not in offered(rendered)
    labels = json.loads(html.unescape(re.search(r'data-labels="([^"]+)"', rendered).group(1)))
    assert labels["remove"] == "Remove %(name)s" and labels["added"] == "%(name)s added"
    assert set(labels) == {"search", "hint", "chosen", "none", "empty", "remove", "added", "removed"}
