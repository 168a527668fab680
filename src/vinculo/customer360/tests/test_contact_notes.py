"""The contact page's notes section (registered by customer360) and its header actions ("log activity",
"new task", registered by activities and work): notes about the contact that the viewer may see, newest
first, and "add note" on the contact's account for those who may change it, with the contact preset."""

import pytest
from django.urls import reverse

from vinculo.accounts.models import AccountTeamMember
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.customer360.models import Note

from .factories import NoteFactory

pytestmark = pytest.mark.django_db


def notes_section(client, contact):
    return client.get(reverse("contacts:section", args=[contact.pk, "notes"]))


@pytest.fixture
def noted(org):
    """North's contact named in a north note and in a note on a south account it is linked to: vendedor.norte
    may see only the north one; the director both."""
    contact = org.north_contact
    NoteFactory(account=org.north_account, contact=contact, title="Pidió visita técnica", created_by=org.vendedor_norte)
    NoteFactory(account=org.south_account, contact=contact, title="Nota reservada del sur", created_by=org.vendedor_sur)
    NoteFactory(account=org.north_account, title="Nota sin contacto")
    return contact


def test_the_section_shows_the_notes_about_the_contact_the_viewer_may_see(client, org, noted):
    client.force_login(org.vendedor_norte)
    response = notes_section(client, noted)
    html = response.content.decode()
    assert response.context["data"]["count"] == 1
    assert "Pidió visita técnica" in html
    assert "Nota reservada del sur" not in html and "Nota sin contacto" not in html
    client.force_login(org.director)
    assert notes_section(client, noted).context["data"]["count"] == 2


def test_newest_first_and_the_first_ten_shown(client, org):
    contact = ContactFactory(account=org.north_account)
    notes = [NoteFactory(account=org.north_account, contact=contact, title=f"Nota {n:02}") for n in range(12)]
    client.force_login(org.vendedor_norte)
    data = notes_section(client, contact).context["data"]
    assert data["count"] == 12
    assert [note.title for note in data["rows"]] == [f"Nota {n:02}" for n in range(11, 1, -1)]
    assert notes[0].title not in [note.title for note in data["rows"]]


def test_add_note_presets_the_contact_for_those_who_may_change_the_account(client, org, noted):
    client.force_login(org.vendedor_norte)
    add = f'{reverse("accounts:note_create", args=[org.north_account.pk])}?contact={noted.pk}'
    assert add in notes_section(client, noted).content.decode()
    form = client.get(add).context["form"]
    assert form["contact"].value() == noted.pk
    response = client.post(add, {"title": "Llamada de cortesía", "contact": noted.pk, "body": "Todo en orden."})
    assert response.status_code == 302
    assert Note.objects.get(title="Llamada de cortesía").contact == noted
    assert notes_section(client, noted).context["data"]["count"] == 2


def test_a_contact_of_another_account_is_not_preset(client, org):
    client.force_login(org.vendedor_norte)
    form = client.get(reverse("accounts:note_create", args=[org.north_account.pk]),
                      {"contact": org.south_contact.pk}).context["form"]
    # The initial names it, but it is not among the choices: nothing is selected on the page.
    assert org.south_contact not in form.fields["contact"].queryset


def test_a_reader_of_the_account_sees_the_notes_but_no_add_note(client, org, noted):
    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_norte2,
                                     access=AccountTeamMember.Access.READ)
    client.force_login(org.vendedor_norte2)
    response = notes_section(client, noted)
    assert response.context["data"]["may_add"] is False
    assert reverse("accounts:note_create", args=[org.north_account.pk]) not in response.content.decode()
    assert "Pidió visita técnica" in response.content.decode()


def test_someone_who_may_not_see_the_contact_gets_404(client, org, noted):
    client.force_login(org.vendedor_sur)
    assert notes_section(client, noted).status_code == 404


def test_the_header_offers_log_activity_and_new_task_from_the_contact(client, org, noted):
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("contacts:detail", args=[noted.pk])).content.decode()
    assert f'href="{reverse("activities:create")}?contact={noted.pk}"' in html
    assert f'href="{reverse("work:task_create")}?contact={noted.pk}"' in html
    assert f'hx-get="{reverse("contacts:section", args=[noted.pk, "notes"])}"' in html
    # Both lead somewhere that starts from the contact.
    assert client.get(reverse("activities:create"), {"contact": noted.pk}).context["form"].initial["contacts"] == [noted.pk]
    assert client.get(reverse("work:task_create"), {"contact": noted.pk}).context["subject"] == noted


def test_the_section_runs_a_bounded_number_of_queries(client, org, django_assert_max_num_queries):
    contact = ContactFactory(account=org.north_account)
    for _ in range(15):
        NoteFactory(account=org.north_account, contact=contact, created_by=org.vendedor_norte)
    client.force_login(org.vendedor_norte)
    notes_section(client, contact)
    with django_assert_max_num_queries(12):
        notes_section(client, contact)
