"""/api/v1/views (saved list views) and the sharing and folder fields of /api/v1/reports."""

import pytest

from vinculo.api.models import ApiToken
from vinculo.org.tests.factories import SalesTeamFactory
from vinculo.reports.models import SavedReport, SavedView, Visibility

pytestmark = pytest.mark.django_db


def auth(user):
    _token, key = ApiToken.issue(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_create_read_update_and_delete_a_view(client, org):
    me = auth(org.vendedor_norte)
    created = client.post("/api/v1/views", {"name": "Grandes", "record_type": "opportunities",
                                            "filters": {"stage": ["3"], "q": ["minera"]}, "columns": ["name"],
                                            "sort": "-amount"}, content_type="application/json", **me)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["record_type"], body["filters"], body["sort"], body["sharing"]["visibility"]) == (
        "Grandes", "opportunities", {"stage": ["3"], "q": ["minera"]}, "-amount", "private")
    assert body["query"] == "stage=3&q=minera&sort=-amount&cols=name"
    view_id = body["id"]
    assert client.get(f"/api/v1/views/{view_id}", **me).json()["name"] == "Grandes"
    changed = client.patch(f"/api/v1/views/{view_id}", {"name": "Muy grandes", "visibility": "everyone"},
                           content_type="application/json", **me)
    assert changed.status_code == 200 and changed.json()["sharing"]["visibility"] == "everyone"
    assert changed.json()["filters"] == {"stage": ["3"], "q": ["minera"]}  # what was not sent stays
    listed = client.get("/api/v1/views?record_type=opportunities", **me).json()
    assert listed["count"] == 1 and listed["items"][0]["name"] == "Muy grandes"
    assert client.delete(f"/api/v1/views/{view_id}", **me).status_code == 204
    assert not SavedView.objects.exists()


def test_a_shared_view_is_read_by_its_team_but_changed_by_its_owner_only(client, org):
    team = SalesTeamFactory()
    team.memberships.create(user=org.vendedor_sur)
    view = SavedView.objects.create(owner=org.vendedor_norte, name="Equipo", list_key="leads",
                                    visibility=Visibility.TEAM, team=team)
    member, outsider = auth(org.vendedor_sur), auth(org.gerente_sur)
    assert client.get(f"/api/v1/views/{view.pk}", **member).json()["sharing"]["editable"] is False
    assert client.patch(f"/api/v1/views/{view.pk}", {"name": "Mío"}, content_type="application/json",
                        **member).status_code == 403
    assert client.delete(f"/api/v1/views/{view.pk}", **member).status_code == 403
    assert client.get(f"/api/v1/views/{view.pk}", **outsider).status_code == 404
    assert client.delete(f"/api/v1/views/{view.pk}", **outsider).status_code == 404
    assert client.get("/api/v1/views", **outsider).json()["count"] == 0
    assert client.delete(f"/api/v1/views/{view.pk}", **auth(org.admin)).status_code == 404  # not shared with him
    view.visibility = Visibility.EVERYONE
    view.save()
    assert client.delete(f"/api/v1/views/{view.pk}", **auth(org.admin)).status_code == 204


@pytest.mark.parametrize(("data", "field"), [
    ({"record_type": "nothing"}, "list_key"),
    ({"visibility": "team"}, "team"),
    ({"visibility": "role"}, "role"),
    ({"visibility": "team", "team": 999999}, "team"),
    ({"visibility": "users", "users": [999999]}, "users"),
    ({"name": "   "}, "name"),
    ({"filters": {"q": ["x" * 300]}}, "filters"),
])
def test_a_bad_view_is_refused_naming_the_field(client, org, data, field):
    answer = client.post("/api/v1/views", {"name": "Vista", "record_type": "leads", **data},
                         content_type="application/json", **auth(org.vendedor_norte))
    assert answer.status_code == 422, answer.content
    assert field in {error["field"] for error in answer.json()["detail"]} | {
        error["field"].split(".")[-1] for error in answer.json()["detail"] if error["field"]}
    assert not SavedView.objects.exists()


def test_the_lists_and_their_predefined_views(client, org):
    lists = {entry["key"]: entry for entry in client.get("/api/v1/views/lists", **auth(org.vendedor_norte)).json()}
    assert {"opportunities", "leads", "quotes", "invoices", "contracts", "tasks", "accounts"} <= set(lists)
    assert {"slug": "overdue", "label": "Overdue invoices",
            "query": {"balance": "overdue", "preset": "overdue"}} in lists["invoices"]["presets"]


def test_a_report_is_saved_in_a_folder_shared_with_a_role_and_refiled(client, org):
    me = auth(org.vendedor_norte)
    created = client.post("/api/v1/reports", {"name": "Embudo", "record_type": "opportunity", "columns": ["name"],
                                              "folder": "Ventas", "visibility": "role",
                                              "role": org.vendedor_norte.role_id},
                          content_type="application/json", **me)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["folder"], body["shared"], body["sharing"]["visibility"], body["sharing"]["role"]) == (
        "Ventas", True, "role", org.vendedor_norte.role_id)
    same_role, outsider = auth(org.vendedor_norte2), auth(org.vendedor_sur)
    assert client.get(f"/api/v1/reports/{body['id']}", **same_role).status_code == 200
    assert client.get(f"/api/v1/reports/{body['id']}", **outsider).status_code == 404
    assert client.patch(f"/api/v1/reports/{body['id']}", {"folder": "Otra"}, content_type="application/json",
                        **same_role).status_code == 403
    moved = client.patch(f"/api/v1/reports/{body['id']}", {"folder": "Gerencia", "visibility": "users",
                                                             "users": [org.vendedor_sur.pk]},
                         content_type="application/json", **me)
    assert moved.status_code == 200 and moved.json()["sharing"]["users"] == [org.vendedor_sur.pk]
    assert moved.json()["sharing"]["role"] is None
    assert client.get(f"/api/v1/reports/{body['id']}", **outsider).status_code == 200
    assert client.get(f"/api/v1/reports/{body['id']}", **same_role).status_code == 404


def test_the_old_shared_flag_still_shares_a_report_with_everyone(client, org):
    created = client.post("/api/v1/reports", {"name": "Para todos", "record_type": "lead", "shared": True},
                          content_type="application/json", **auth(org.vendedor_norte))
    assert created.json()["sharing"]["visibility"] == "everyone"
    assert SavedReport.objects.get().visibility == Visibility.EVERYONE
