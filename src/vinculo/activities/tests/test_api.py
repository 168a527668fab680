"""/api/v1/activities and /api/v1/accounts/{id}/timeline."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from vinculo.accounts.models import AccountTeamMember
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.activities.models import Activity
from vinculo.activities.services import log_activity
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core.models import ChangeLog
from vinculo.core.tests.api_client import ApiClient, error_fields
from vinculo.customer360.models import Note

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime(2025, 6, 15, 12, 0))
MATRIX = {  # who → (sees vendedor.norte's activity, sees vendedor.sur's activity)
    "admin": (True, True),
    "gerente_norte": (True, False),
    "vendedor_norte": (True, False),
    "vendedor_norte2": (False, False),
    "vendedor_sur": (False, True),
}


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("vinculo.core.clock.now", lambda: NOW)


def make_activity(account, owner=None, at=NOW, contacts=(), participants=(), **fields):
    activity = Activity(account=account, owner=owner or account.owner, occurred_at=at,
                        subject=fields.pop("subject", "Llamada de seguimiento"), **fields)
    return log_activity(activity, by=None, contacts=contacts, participants=participants)


@pytest.mark.parametrize("who", MATRIX)
def test_list_shows_exactly_the_activities_the_user_may_see(org, who):
    north, south = make_activity(org.north_account), make_activity(org.south_account)
    response = ApiClient(getattr(org, who)).get("/activities")
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["items"]}
    assert (north.pk in ids, south.pk in ids) == MATRIX[who]
    assert response.json()["count"] == len(ids)


def test_outsider_gets_404_like_a_missing_activity_on_read_change_and_delete(org):
    activity = make_activity(org.north_account)
    api = ApiClient(org.vendedor_sur)
    missing = api.get("/activities/999999")
    assert api.get(f"/activities/{activity.pk}").content == missing.content
    assert missing.status_code == 404
    assert api.patch(f"/activities/{activity.pk}", {"subject": "X", "version": 1}).status_code == 404
    assert api.delete(f"/activities/{activity.pk}").status_code == 404
    activity.refresh_from_db()
    assert (activity.subject, activity.deleted_at) == ("Llamada de seguimiento", None)


def test_manager_above_the_owner_reads_changes_and_deletes(org):
    activity = make_activity(org.north_account)
    api = ApiClient(org.gerente_norte)
    assert api.get(f"/activities/{activity.pk}")["ETag"] == '"1"'
    changed = api.patch(f"/activities/{activity.pk}", {"outcome": "positive", "version": 1})
    assert (changed.status_code, changed.json()["outcome"], changed.json()["version"]) == (200, "positive", 2)
    assert api.patch(f"/activities/{activity.pk}", {"outcome": "negative", "version": 1}).status_code == 409
    assert api.delete(f"/activities/{activity.pk}").status_code == 204
    assert api.get(f"/activities/{activity.pk}").status_code == 404
    assert Activity.all_objects.get(pk=activity.pk).deleted_by == org.gerente_norte


def test_read_only_team_member_reads_but_gets_403_on_every_write(org):
    activity = make_activity(org.north_account)
    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_sur)
    api = ApiClient(org.vendedor_sur)
    assert api.get(f"/activities/{activity.pk}").status_code == 200
    assert api.patch(f"/activities/{activity.pk}", {"subject": "X", "version": 1}).status_code == 403
    assert api.delete(f"/activities/{activity.pk}").status_code == 403
    on_account = api.post("/activities", {"account": org.north_account.pk, "subject": "Visita"})
    via_contact = api.post("/activities", {"contacts": [org.north_contact.pk], "subject": "Visita"})
    assert (on_account.status_code, via_contact.status_code) == (403, 403)
    assert Activity.all_objects.count() == 1


def test_create_links_contacts_and_participants_by_id_and_logs_history(org):
    colleague = org.vendedor_norte2
    response = ApiClient(org.vendedor_norte).post("/activities", {
        "kind": "meeting", "subject": "Revisión de contrato", "account": org.north_account.pk,
        "occurred_at": "2025-06-10T15:00:00-04:00", "duration_minutes": 45, "outcome": "follow_up",
        "contacts": [org.north_contact.pk], "participants": [colleague.pk],
    })
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["contacts"], data["participants"]) == ([org.north_contact.pk], [colleague.pk])
    assert (data["owner"]["id"], data["account"]["id"], data["kind"]) == (
        org.vendedor_norte.pk, org.north_account.pk, "meeting")
    activity = Activity.objects.get(pk=data["id"])
    assert activity.occurred_at == datetime.fromisoformat("2025-06-10T19:00:00+00:00")
    assert activity.history().get().action == ChangeLog.Action.CREATE


def test_activity_without_account_takes_the_account_of_its_first_contact(org):
    response = ApiClient(org.vendedor_norte).post("/activities", {"subject": "Correo", "kind": "email",
                                                                  "contacts": [org.north_contact.pk]})
    assert response.status_code == 201
    assert response.json()["account"]["id"] == org.north_account.pk
    assert response.json()["occurred_at"].startswith("2025-06-15")


@pytest.mark.parametrize(("payload", "field"), [
    ({"subject": "Sin cuenta"}, "account"),
    ({"subject": "X", "contacts": [99999]}, "contacts"),
    ({"subject": "X", "participants": [99999]}, "participants"),
    ({"subject": "X", "kind": "telegram", "contacts": []}, "kind"),
    ({"kind": "call", "contacts": []}, "subject"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(org, payload, field):
    response = ApiClient(org.vendedor_norte).post("/activities", payload)
    assert response.status_code == 422
    assert field in error_fields(response)
    assert not Activity.all_objects.exists()


def test_records_the_user_may_not_see_are_refused_like_missing_ones(org):
    api = ApiClient(org.vendedor_norte)
    hidden_contact = api.post("/activities", {"subject": "X", "contacts": [org.north_contact.pk, org.south_contact.pk]})
    hidden_account = api.post("/activities", {"subject": "X", "account": org.south_account.pk})
    assert (error_fields(hidden_contact), error_fields(hidden_account)) == ({"contacts"}, {"account"})
    assert str(org.south_contact.pk) in hidden_contact.json()["detail"][0]["message"]
    assert not Activity.all_objects.exists()


def test_contacts_the_editor_cannot_see_are_hidden_and_kept_on_a_change(org):
    other = ContactFactory(account=org.north_account)
    activity = make_activity(org.north_account, contacts=[org.north_contact, org.south_contact])
    api = ApiClient(org.vendedor_norte)
    assert api.get(f"/activities/{activity.pk}").json()["contacts"] == [org.north_contact.pk]
    changed = api.patch(f"/activities/{activity.pk}", {"contacts": [other.pk], "participants": [], "version": 1})
    assert changed.status_code == 200
    assert changed.json()["contacts"] == [other.pk]
    assert set(activity.contacts.values_list("pk", flat=True)) == {other.pk, org.south_contact.pk}


def test_activity_on_an_account_the_viewer_cannot_see_does_not_name_it(org):
    # vendedor.norte owns the activity, so sees it, but not vendedor.sur's account.
    activity = make_activity(org.south_account, owner=org.vendedor_norte)
    data = ApiClient(org.vendedor_norte).get(f"/activities/{activity.pk}").json()
    assert data["account"] is None


def test_list_filters_search_and_order(org):
    old_call = make_activity(org.north_account, at=NOW - timedelta(days=40), subject="Llamada inicial")
    visit = make_activity(org.north_account, at=NOW - timedelta(days=2), kind="visit", subject="Visita a planta",
                          contacts=[org.north_contact])
    api = ApiClient(org.vendedor_norte)

    def ids(**params):
        response = api.get("/activities", **params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [visit.pk, old_call.pk]
    assert ids(ordering="occurred_at") == [old_call.pk, visit.pk]
    assert ids(kind="visit") == ids(contact=org.north_contact.pk) == ids(q="planta") == [visit.pk]
    assert ids(occurred_from="2025-06-01") == [visit.pk]
    assert ids(occurred_to="2025-06-01", account=org.north_account.pk) == [old_call.pk]
    assert error_fields(api.get("/activities", kind="telegram")) == {"kind"}


@pytest.mark.parametrize("rows", [10, 200])
def test_list_runs_a_bounded_number_of_queries(org, rows, django_assert_max_num_queries):
    for i in range(rows):
        make_activity(org.north_account, at=NOW - timedelta(hours=i), contacts=[org.north_contact],
                      participants=[org.vendedor_norte2])
    api = ApiClient(org.gerente_norte)
    # 7, plus the user's permissions (two queries, once), which the plan link's visibility asks (approve plans).
    with django_assert_max_num_queries(9):
        response = api.get("/activities", limit=200)
    assert response.json()["count"] == rows
    assert response.json()["items"][0]["participants"] == [org.vendedor_norte2.pk]


# The account timeline

def test_timeline_merges_account_contact_and_note_entries_newest_first_and_pages(org):
    elsewhere = AccountFactory(owner=org.vendedor_norte)
    direct = make_activity(org.north_account, at=NOW - timedelta(days=1), subject="Directa")
    via_contact = make_activity(elsewhere, at=NOW - timedelta(days=3), subject="Vía contacto", kind="email",
                                contacts=[org.north_contact])
    note = Note.objects.create(account=org.north_account, title="Nota", body="Cliente contento",
                               created_by=org.vendedor_norte)
    Note.objects.filter(pk=note.pk).update(created_at=NOW - timedelta(days=2))
    make_activity(AccountFactory(owner=org.vendedor_norte), at=NOW, subject="De otra cuenta")
    api = ApiClient(org.vendedor_norte)
    path = f"/accounts/{org.north_account.pk}/timeline"

    everything = api.get(path).json()
    assert everything["count"] == 3
    assert [(item["type"], item["id"]) for item in everything["items"]] == [
        ("activity", direct.pk), ("note", note.pk), ("activity", via_contact.pk)]
    assert everything["items"][1] | {"at": None} == {
        "type": "note", "id": note.pk, "kind": "note", "at": None, "subject": "Nota", "text": "Cliente contento",
        "author": {"id": org.vendedor_norte.pk, "name": str(org.vendedor_norte)}, "status": None, "outcome": None,
        "duration_minutes": None}

    second_page = api.get(path, limit=2, offset=2).json()
    assert (second_page["count"], [item["id"] for item in second_page["items"]]) == (3, [via_contact.pk])
    assert [item["id"] for item in api.get(path, limit=2).json()["items"]] == [direct.pk, note.pk]
    only_emails = api.get(path, kind="email").json()
    assert (only_emails["count"], only_emails["items"][0]["id"]) == (1, via_contact.pk)
    calls_and_notes = api.get(path, kind=["call", "note"]).json()
    assert [item["id"] for item in calls_and_notes["items"]] == [direct.pk, note.pk]
    assert error_fields(api.get(path, kind="telegram")) == {"kind"}


def test_timeline_leaves_out_activities_the_viewer_may_not_see(org):
    mine = make_activity(org.north_account, at=NOW - timedelta(days=1))
    # vendedor.sur's call with the north contact, filed on vendedor.sur's account.
    make_activity(org.south_account, contacts=[org.north_contact])
    assert [item["id"] for item in ApiClient(org.vendedor_norte).get(
        f"/accounts/{org.north_account.pk}/timeline").json()["items"]] == [mine.pk]
    assert ApiClient(org.admin).get(f"/accounts/{org.north_account.pk}/timeline").json()["count"] == 2


@pytest.mark.parametrize(("who", "status"), [("vendedor_sur", 404), ("vendedor_norte2", 404),
                                             ("gerente_norte", 200), ("vendedor_norte", 200)])
def test_timeline_of_an_account_follows_its_visibility(org, who, status):
    make_activity(org.north_account)
    response = ApiClient(getattr(org, who)).get(f"/accounts/{org.north_account.pk}/timeline")
    assert response.status_code == status
    if status == 200:
        assert response.json()["count"] == 1
    else:
        assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("rows", [10, 200])
def test_timeline_runs_a_bounded_number_of_queries(org, rows, django_assert_max_num_queries):
    Activity.objects.bulk_create(
        Activity(account=org.north_account, owner=org.vendedor_norte, subject=f"Llamada {i}",
                 occurred_at=NOW - timedelta(hours=i)) for i in range(rows))
    Note.objects.bulk_create(Note(account=org.north_account, body=f"Nota {i}") for i in range(rows))
    api = ApiClient(org.gerente_norte)
    with django_assert_max_num_queries(9):
        response = api.get(f"/accounts/{org.north_account.pk}/timeline", limit=200)
    assert response.json()["count"] == 2 * rows
