"""/api/v1/tasks, /task-types, /projects, /time-entries (and /summary), /users, /me and the calendar feed."""

import datetime

import pytest

from vinculo.core.tests.api_client import ApiClient, error_fields
from vinculo.org.models import Territory
from vinculo.work.models import Priority, Task, TaskType, TimeEntry

from .conftest import TODAY
from .factories import log, make_project, make_task


def test_a_task_created_through_the_api_has_the_caller_as_creator_whatever_the_payload_says(org):
    api = ApiClient(org.vendedor_norte)
    response = api.post("/tasks", {
        "subject_type": "accounts.account", "subject_id": org.north_account.pk, "title": "Llamar a Araya",
        "creator": org.director.pk, "priority": "high", "next_action_at": "2026-04-20T10:30",
        "controller": org.gerente_norte.pk,
    })
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["creator"]["id"], body["responsible"]["id"], body["controller"]["id"]) == (
        org.vendedor_norte.pk, org.vendedor_norte.pk, org.gerente_norte.pk)
    assert (body["priority"], body["next_action_at"], body["status"], body["overdue"]) == (
        "high", "2026-04-20T10:30", "pending", False)
    assert (body["subject_type"], body["subject_id"]) == ("accounts.account", org.north_account.pk)
    assert Task.objects.get().creator == org.vendedor_norte


def test_a_task_type_in_the_payload_applies_its_rule_per_territory(org):
    north, south = Territory.objects.create(name="Norte"), Territory.objects.create(name="Sur")
    org.vendedor_norte.territories.add(north)
    org.vendedor_sur.territories.add(south)
    for account, zone in ((org.north_account, north), (org.south_account, south)):
        account.territory = zone
        account.save()
    rule = TaskType.objects.create(name="Presentación zona norte", responsible_rule=TaskType.Responsible.TERRITORY_REP,
                                   priority=Priority.HIGH, next_action_days=2)
    api = ApiClient(org.director)
    found = {}
    for account in (org.north_account, org.south_account):
        body = api.post("/tasks", {"subject_type": "accounts.account", "subject_id": account.pk, "title": "Presentar",
                                   "task_type": rule.pk}).json()
        found[account.pk] = (body["responsible"]["id"], body["controller"]["id"], body["priority"], body["next_action_at"])
    assert found == {
        org.north_account.pk: (org.vendedor_norte.pk, org.gerente_norte.pk, "high", "2026-04-17"),
        org.south_account.pk: (org.vendedor_sur.pk, org.gerente_sur.pk, "high", "2026-04-17"),
    }


def test_a_task_about_a_record_the_caller_cannot_see_is_a_422_naming_the_field(org):
    response = ApiClient(org.vendedor_sur).post("/tasks", {
        "subject_type": "accounts.account", "subject_id": org.north_account.pk, "title": "x", "next_action_at": "2026-04-20"})
    assert response.status_code == 422 and error_fields(response) == {"subject_id"}
    response = ApiClient(org.vendedor_norte).post("/tasks", {
        "subject_type": "accounts.account", "subject_id": org.north_account.pk, "title": "x", "next_action_at": "mañana"})
    assert response.status_code == 422 and error_fields(response) == {"next_action_at"}
    assert not Task.objects.exists()


def test_role_and_overdue_filters(org):
    late = make_task(org.gerente_norte, org.north_account, title="late", next_action_date=TODAY - datetime.timedelta(days=1),
                     responsible=org.vendedor_norte, controller=org.vendedor_norte2)
    mine = make_task(org.gerente_norte, org.north_account, title="mine", responsible=org.vendedor_norte2,
                     controller=org.vendedor_norte)
    api = ApiClient(org.vendedor_norte)

    def ids(**params):
        response = api.get("/tasks", **params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids(role="responsible") == [late.pk]
    assert ids(role="controller") == [mine.pk]
    assert ids(overdue="true") == [late.pk]
    assert ApiClient(org.gerente_norte).get("/tasks", role="creator").json()["count"] == 2
    assert api.get("/tasks", role="boss").status_code == 422


def test_a_reader_may_not_change_a_task_and_an_outsider_gets_404(org):
    task = make_task(org.vendedor_norte, org.north_account)
    from vinculo.accounts.models import AccountTeamMember

    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_sur, access=AccountTeamMember.Access.READ)
    reader = ApiClient(org.vendedor_sur)
    assert reader.get(f"/tasks/{task.pk}").status_code == 200
    assert reader.patch(f"/tasks/{task.pk}", {"status": "done", "version": 1}).status_code == 403
    assert ApiClient(org.gerente_sur).get(f"/tasks/{task.pk}").status_code == 404
    done = ApiClient(org.gerente_norte).patch(f"/tasks/{task.pk}", {"status": "done", "version": 1})
    assert done.status_code == 200 and done.json()["done_by"]["id"] == org.gerente_norte.pk


def test_projects_answer_their_task_counts(org):
    project = make_project(org.north_account, org.vendedor_norte)
    for status in ("pending", "pending", "in_progress", "done", "cancelled"):
        make_task(org.vendedor_norte, project=project, status=status)
    body = ApiClient(org.vendedor_norte).get(f"/projects/{project.pk}").json()
    assert body["task_counts"] == {"pending": 2, "in_progress": 1, "done": 1}
    assert (body["kind"], body["year"], body["account"]["id"]) == ("commercial", 2026, org.north_account.pk)
    response = ApiClient(org.vendedor_sur).post("/projects", {"account": org.north_account.pk, "name": "x", "year": 2026})
    assert response.status_code == 422 and error_fields(response) == {"account"}


@pytest.mark.parametrize(("entry", "field"), [
    ({"minutes": -5}, "minutes"), ({"minutes": 0}, "minutes"), ({"minutes": 1441}, "minutes"),
    ({"date": "2026-04-16"}, "date"),
])
def test_time_entries_refuse_bad_input_with_a_field_error(org, entry, field):
    task = make_task(org.vendedor_norte, org.north_account)
    response = ApiClient(org.vendedor_norte).post("/time-entries", {"task": task.pk, "date": "2026-04-15", "minutes": 30,
                                                                    **entry})
    assert response.status_code == 422 and field in error_fields(response)
    assert not TimeEntry.objects.exists()


def test_time_on_an_invisible_task_or_over_a_day_is_refused(org):
    task = make_task(org.vendedor_norte, org.north_account)
    response = ApiClient(org.vendedor_sur).post("/time-entries", {"task": task.pk, "date": "2026-04-15", "minutes": 30})
    assert response.status_code == 422 and error_fields(response) == {"task"}
    log(task, org.vendedor_norte, minutes=1400, date=TODAY)
    response = ApiClient(org.vendedor_norte).post("/time-entries", {"task": task.pk, "date": "2026-04-15", "minutes": 41})
    assert response.status_code == 422 and error_fields(response) == {"minutes"}
    assert TimeEntry.objects.count() == 1
    ok = ApiClient(org.vendedor_norte).post("/time-entries", {"task": task.pk, "date": "2026-04-15", "minutes": 40})
    assert ok.status_code == 201 and ok.json()["user"]["id"] == org.vendedor_norte.pk


def test_the_time_summary(org):
    project = make_project(org.north_account, org.vendedor_norte, name="Norte 2026")
    task = make_task(org.vendedor_norte, project=project)
    log(task, org.vendedor_norte, minutes=50, date=TODAY)
    log(task, org.gerente_norte, minutes=25, date=TODAY - datetime.timedelta(days=3))
    api = ApiClient(org.director)
    body = api.get("/time-entries/summary", by="user", date_from="2026-04-12", date_to="2026-04-15").json()
    assert body == {"items": [{"id": org.vendedor_norte.pk, "label": str(org.vendedor_norte), "minutes": 50},
                              {"id": org.gerente_norte.pk, "label": str(org.gerente_norte), "minutes": 25}],
                    "count": 2, "total_minutes": 75}
    body = api.get("/time-entries/summary", by="project", date_from="2026-04-14").json()
    assert body == {"items": [{"id": project.pk, "label": "Norte 2026", "minutes": 50}], "count": 1,
                    "total_minutes": 50}
    assert ApiClient(org.vendedor_sur).get("/time-entries/summary", by="account").json()["total_minutes"] == 0
    assert api.get("/time-entries/summary", by="planet").status_code == 422


def test_users_me_and_the_calendar_feed(client, org):
    api = ApiClient(org.vendedor_norte)
    users = api.get("/users", q="norte").json()
    assert {item["username"] for item in users["items"]} == {"gerente.norte", "vendedor.norte", "vendedor.norte2"}
    assert {item["username"]: (item["manager"] or {}).get("id") for item in users["items"]}["vendedor.norte"] == (
        org.gerente_norte.pk)
    me = api.get("/me").json()
    assert (me["id"], me["username"]) == (org.vendedor_norte.pk, "vendedor.norte")
    url = api.get("/me/calendar-feed").json()["url"]
    rotated = api.post("/me/calendar-feed/rotate", {}).json()["url"]
    assert rotated != url
    assert client.get(url).status_code == 404 and client.get(rotated).status_code == 200


def test_task_types_are_listed(org):
    TaskType.objects.create(name="Presentación zona norte", priority=Priority.HIGH, next_action_days=2)
    body = ApiClient(org.vendedor_norte).get("/task-types").json()
    assert [(item["name"], item["priority"], item["next_action_days"]) for item in body["items"]] == [
        ("Presentación zona norte", "high", 2)]
