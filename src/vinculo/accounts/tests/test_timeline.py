"""The activity timeline of the account page: merged, newest first, paged and filtered through its htmx fragment."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from vinculo.accounts.models import AccountTeamMember
from vinculo.activities.models import Activity
from vinculo.activities.sections import TIMELINE_PAGE_SIZE
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core import clock
from vinculo.customer360.models import Note

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2026, 5, 15, 12, 0))


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: NOW.date())
    monkeypatch.setattr(clock, "now", lambda: NOW)


def activity(subject, owner, account, hours_ago, kind=Activity.Kind.CALL, contacts=(), **fields):
    record = Activity.objects.create(subject=subject, owner=owner, account=account, kind=kind,
                                     occurred_at=NOW - datetime.timedelta(hours=hours_ago), **fields)
    record.contacts.set(contacts)
    return record


def note(title, account, hours_ago, by):
    record = Note.objects.create(account=account, title=title, body="Revisar condiciones.", created_by=by)
    Note.objects.filter(pk=record.pk).update(created_at=NOW - datetime.timedelta(hours=hours_ago))
    return record


def timeline_html(client, user, account, **params):
    client.force_login(user)
    response = client.get(reverse("accounts:timeline", args=[account.pk]), params, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and 'id="timeline"' in html
    return html


def test_timeline_merges_account_activities_its_contacts_activities_and_notes_newest_first(client, org):
    account, rep = org.north_account, org.vendedor_norte
    activity("Llamada de seguimiento", rep, account, hours_ago=5)
    note("Nota de la reunión", account, hours_ago=3, by=rep)
    # Logged on another account, with one of this account's contacts: it shows here too.
    activity("Visita en la obra de Sur", rep, org.south_account, hours_ago=1, kind=Activity.Kind.VISIT,
             contacts=[org.north_contact])
    activity("Correo a otra cuenta", rep, org.south_account, hours_ago=2, kind=Activity.Kind.EMAIL)

    html = timeline_html(client, rep, account)

    order = [html.index(text) for text in ("Visita en la obra de Sur", "Nota de la reunión", "Llamada de seguimiento")]
    assert order == sorted(order)
    assert "Correo a otra cuenta" not in html
    assert "(3)" in html


def test_timeline_entry_shows_kind_owner_contacts_outcome_and_links_to_the_activity(client, org):
    account, rep = org.north_account, org.vendedor_norte
    call = activity("Negociar renovación", rep, account, hours_ago=1, contacts=[org.north_contact],
                    outcome=Activity.Outcome.FOLLOW_UP, duration_minutes=25)
    html = timeline_html(client, org.gerente_norte, account)
    assert reverse("activities:detail", args=[call.pk]) in html
    assert "Follow-up needed" in html
    assert str(rep) in html
    assert str(org.north_contact) in html
    assert "25 min" in html
    assert "kind-call" in html


def test_timeline_pages_newest_first(client, org):
    account, rep = org.north_account, org.vendedor_norte
    size = TIMELINE_PAGE_SIZE
    for n in range(size + 5):
        activity(f"Llamada {n:02d}", rep, account, hours_ago=n)
    first = timeline_html(client, rep, account)
    second = timeline_html(client, rep, account, page=2)
    newest, last_of_first, first_of_second, oldest = (f"Llamada {n:02d}" for n in (0, size - 1, size, size + 4))
    assert newest in first and last_of_first in first and first_of_second not in first
    assert first_of_second in second and oldest in second and last_of_first not in second
    assert f"{size + 1}–{size + 5} of {size + 5}" in second
    # Past the last page: the last page, not an error.
    assert oldest in timeline_html(client, rep, account, page=99)


def test_timeline_filters_by_kind_and_keeps_the_filter_when_paging(client, org):
    account, rep = org.north_account, org.vendedor_norte
    meetings = TIMELINE_PAGE_SIZE + 2
    for n in range(meetings):
        activity(f"Reunión {n:02d}", rep, account, hours_ago=n, kind=Activity.Kind.MEETING)
    activity("Llamada suelta", rep, account, hours_ago=0)
    note("Nota suelta", account, hours_ago=0, by=rep)

    html = timeline_html(client, rep, account, kind="meeting")
    assert "Reunión 00" in html and "Llamada suelta" not in html and "Nota suelta" not in html
    assert f"({meetings})" in html
    assert "kind=meeting&amp;page=2" in html
    assert f"Reunión {meetings - 1:02d}" in timeline_html(client, rep, account, kind="meeting", page=2)

    notes = timeline_html(client, rep, account, kind="note")
    assert "Nota suelta" in notes and "Reunión 00" not in notes

    unknown = timeline_html(client, rep, account, kind="telegram")
    assert "Llamada suelta" in unknown and "Reunión 00" in unknown  # ignored: everything


def test_the_page_filters_the_timeline_without_javascript(client, org):
    account, rep = org.north_account, org.vendedor_norte
    activity("Visita técnica", rep, account, hours_ago=1, kind=Activity.Kind.VISIT)
    activity("Llamada breve", rep, account, hours_ago=2)
    client.force_login(rep)
    html = client.get(reverse("accounts:detail", args=[account.pk]), {"kind": "visit"}).content.decode()
    timeline = html[html.index('id="timeline"'):html.index('id="contacts"')]
    assert "Visita técnica" in timeline and "Llamada breve" not in timeline
    assert f'href="{account.get_absolute_url()}?kind=call#timeline"' in timeline


def test_activity_owned_by_someone_whose_account_the_viewer_cannot_see_is_not_in_the_timeline(client, org):
    account = org.north_account
    # vendedor.sur logs a visit on his own account with a contact of the north account.
    activity("Visita privada del sur", org.vendedor_sur, org.south_account, hours_ago=1,
             contacts=[org.north_contact])
    AccountTeamMember.objects.create(account=account, user=org.vendedor_norte2)

    for user in (org.vendedor_norte, org.vendedor_norte2, org.gerente_norte):
        assert "Visita privada del sur" not in timeline_html(client, user, account)
    for user in (org.admin, org.director):
        assert "Visita privada del sur" in timeline_html(client, user, account)


def test_contacts_of_other_accounts_are_named_only_to_those_who_may_see_them(client, org):
    account, rep = org.north_account, org.vendedor_norte
    outsider_contact = ContactFactory(account=org.south_account, last_name="Oculto")
    activity("Reunión conjunta", rep, account, hours_ago=1, contacts=[org.north_contact, outsider_contact])
    html = timeline_html(client, rep, account)
    assert org.north_contact.last_name in html
    assert "Oculto" not in html and "+1 other contact" in html
    assert "Oculto" in timeline_html(client, org.admin, account)


def test_outsider_gets_404_on_the_timeline(client, org):
    activity("Llamada", org.vendedor_norte, org.north_account, hours_ago=1)
    client.force_login(org.vendedor_sur)
    response = client.get(reverse("accounts:timeline", args=[org.north_account.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 404
    assert client.get(reverse("accounts:timeline", args=[999_999])).status_code == 404


def test_account_page_offers_to_log_an_activity_and_shows_the_timeline(client, org):
    account = org.north_account
    activity("Primera llamada", org.vendedor_norte, account, hours_ago=1)
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert f'{reverse("activities:create")}?account={account.pk}' in html
    assert f'{reverse("activities:list")}?account={account.pk}' in html
    assert "Primera llamada" in html


def test_empty_timeline_says_so(client, org):
    html = timeline_html(client, org.vendedor_norte, org.north_account)
    assert "No activity yet" in html
    assert "Nothing of this kind yet" in timeline_html(client, org.vendedor_norte, org.north_account, kind="email")
