"""API of people and the organisation's structure: /me, /users, /roles, /business-units, /offices,
/org-defaults, with the permission matrix (admin, director, rep, outsider) over every write."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.api.models import ApiToken
from vinculo.core.models import ChangeLog
from vinculo.org.models import BusinessUnit, Office, OrgDefault, Role, User
from vinculo.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(db):
    user = UserFactory(username="boss")
    user.user_permissions.add(Permission.objects.get(codename="administer_organisation"))
    return user


class Api:
    def __init__(self, user):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {ApiToken.issue(user)[1]}"} if user else {}

    def __getattr__(self, method):
        def call(path, body=None, **params):
            kwargs = {"content_type": "application/json", "data": body} if body is not None else {"data": params}
            return getattr(self.client, method)("/api/v1" + path, headers=self.headers, **kwargs)
        return call


def test_me_reads_and_changes_the_callers_profile(org):
    api = Api(org.vendedor_norte)
    me = api.get("/me").json()
    assert (me["username"], me["role"]["name"], me["manager"]["id"], me["two_factor"]) == (
        "vendedor.norte", "Rep North", org.gerente_norte.pk, False)
    changed = api.patch("/me", {"language": "es", "time_zone": "Europe/Madrid", "notifications": ["assigned"]})
    assert changed.status_code == 200
    assert (changed.json()["language"], changed.json()["time_zone"]) == ("es", "Europe/Madrid")
    user = User.objects.get(pk=org.vendedor_norte.pk)
    assert (user.first_name, user.email, user.notifications) == (
        org.vendedor_norte.first_name, org.vendedor_norte.email, ["assigned"])


@pytest.mark.parametrize("body, field", [({"time_zone": "Mars/Base"}, "time_zone"), ({"language": "fr"}, "language"),
                                         ({"email": "vendedor.sur@example.com"}, "email"),
                                         ({"notifications": ["spam"]}, "notifications")])
def test_bad_profile_input_is_a_field_error(org, body, field):
    response = Api(org.vendedor_norte).patch("/me", body)
    assert response.status_code == 422 and field in str(response.json())


def test_users_are_listed_and_searched(org):
    response = Api(org.vendedor_sur).get("/users", q="norte")
    items = response.json()["items"]
    assert [item["username"] for item in items] == ["gerente.norte", "vendedor.norte", "vendedor.norte2"]
    assert items[1]["manager"] == {"id": org.gerente_norte.pk, "name": str(org.gerente_norte)}
    assert {"id", "username", "name", "manager"} <= set(items[0])


def test_the_user_list_runs_bounded_queries(org, django_assert_max_num_queries):
    for number in range(10):
        UserFactory(username=f"extra{number}", manager=org.director, role=org.director.role)
    api = Api(org.vendedor_sur)
    with django_assert_max_num_queries(6):
        assert api.get("/users").status_code == 200


def writes(org):
    rep = org.vendedor_norte
    return [("post", "/users", {"username": "nueva", "email": "nueva@example.com", "language": "es"}),
            ("patch", f"/users/{rep.pk}", {"manager": org.gerente_sur.pk}),
            ("post", "/roles", {"name": "Preventa", "parent": org.director.role.pk}),
            ("patch", f"/roles/{rep.role.pk}", {"name": "Ejecutivo"}),
            ("post", "/business-units", {"name": "Minería"}),
            ("post", "/offices", {"name": "Antofagasta", "city": "Antofagasta"})]


@pytest.mark.parametrize("who, status", [("admin", None), ("director", 403), ("rep", 403), ("outsider", 401)])
def test_permission_matrix_over_the_writes(org, boss, who, status):
    api = Api({"admin": boss, "director": org.director, "rep": org.vendedor_norte, "outsider": None}[who])
    for method, path, body in writes(org):
        response = getattr(api, method)(path, body)
        if status is None:
            assert response.status_code in (200, 201), (path, response.json())
        else:
            assert response.status_code == status, path
    if status is not None:
        assert not User.objects.filter(username="nueva").exists()
        assert not Role.objects.filter(name__in=["Preventa", "Ejecutivo"]).exists()
        assert not BusinessUnit.objects.exists() and not Office.objects.exists()
        assert User.objects.get(pk=org.vendedor_norte.pk).manager == org.gerente_norte


@pytest.mark.parametrize("who", ["director", "rep"])
def test_every_signed_in_user_reads_the_structure(org, who):
    api = Api({"director": org.director, "rep": org.vendedor_norte}[who])
    for path in ("/users", f"/users/{org.director.pk}", "/roles", "/business-units", "/offices", "/org-defaults"):
        assert api.get(path).status_code == 200, path
    assert Api(None).get("/roles").status_code == 401


def test_inviting_through_the_api_sends_the_set_password_email(org, boss, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = Api(boss).post("/users", {"username": "nueva", "email": "nueva@example.com", "language": "en",
                                             "role": org.vendedor_norte.role.pk, "manager": org.gerente_norte.pk})
    assert response.status_code == 201 and response.json()["manager"]["id"] == org.gerente_norte.pk
    assert mail.outbox[0].to == ["nueva@example.com"] and "/password-reset/" in mail.outbox[0].body


def test_deactivating_through_the_api_keeps_records_and_writes_history(org, boss):
    rep = org.vendedor_norte
    response = Api(boss).patch(f"/users/{rep.pk}", {"is_active": False})
    assert response.status_code == 200 and response.json()["is_active"] is False
    entry = ChangeLog.objects.get(object_id=rep.pk, action="update")
    assert [change["field"] for change in entry.changes] == ["is_active"]
    assert org.north_account.__class__.objects.filter(owner=rep).count() == 1
    assert Api(boss).patch(f"/users/{boss.pk}", {"is_active": False}).status_code == 422


def test_the_role_tree_and_its_loops(org, boss):
    roles = Api(org.vendedor_norte).get("/roles").json()
    assert [(role["name"], role["depth"]) for role in roles] == [
        ("Sales director", 0), ("Zone manager North", 1), ("Rep North", 2), ("Zone manager South", 1),
        ("Rep South", 2)]
    director_role = org.director.role
    response = Api(boss).patch(f"/roles/{director_role.pk}", {"parent": org.vendedor_norte.role.pk})
    assert response.status_code == 422 and "parent" in str(response.json())


def test_org_defaults_are_listed(org):
    defaults = Api(org.vendedor_norte).get("/org-defaults").json()
    assert {"record_type": "accounts.account", "access": "private"} in defaults


@pytest.mark.parametrize("who, status", [("admin", 200), ("director", 403), ("rep", 403), ("outsider", 401)])
def test_permission_matrix_over_the_org_default_change(org, boss, who, status):
    api = Api({"admin": boss, "director": org.director, "rep": org.vendedor_norte, "outsider": None}[who])
    assert api.get("/org-defaults/accounts.account/preview", access="public_read").status_code == status
    response = api.patch("/org-defaults/accounts.account", {"access": "public_read", "records_affected": 2})
    assert response.status_code == status
    expected = "public_read" if who == "admin" else "private"
    assert OrgDefault.objects.get(record_type="accounts.account").access == expected


def test_an_org_default_change_is_previewed_then_applied_with_the_count_and_recorded(org, boss):
    api = Api(boss)
    # The org fixture has two accounts: both change visibility for everyone.
    preview = api.get("/org-defaults/accounts.account/preview", access="public_read")
    assert preview.json() == {"record_type": "accounts.account", "current": "private", "access": "public_read",
                              "records_affected": 2}
    assert api.get("/org-defaults/accounts.account/preview", access="private").json()["records_affected"] == 0
    # A count that no longer holds (a third account since the preview) changes nothing.
    AccountFactory(owner=org.vendedor_sur)
    stale = api.patch("/org-defaults/accounts.account", {"access": "public_read", "records_affected": 2})
    assert stale.status_code == 409 and "3" in stale.json()["detail"]
    assert OrgDefault.objects.get(record_type="accounts.account").access == "private"
    applied = api.patch("/org-defaults/accounts.account", {"access": "public_read", "records_affected": 3})
    assert applied.status_code == 200 and applied.json() == {"record_type": "accounts.account",
                                                              "access": "public_read"}
    assert OrgDefault.objects.get(record_type="accounts.account").access == "public_read"
    entry = ChangeLog.objects.get(content_type__model="orgdefault", user=boss)
    assert [(c["old"], c["new"]) for c in entry.changes] == [("Private", "Public read only")]


def test_an_org_default_change_refuses_unknown_types_and_levels(org, boss):
    api = Api(boss)
    assert api.patch("/org-defaults/org.user", {"access": "public_read", "records_affected": 0}).status_code == 404
    assert api.get("/org-defaults/nothing/preview", access="public_read").status_code == 404
    assert api.patch("/org-defaults/accounts.account", {"access": "everyone", "records_affected": 0}
                     ).status_code == 422
    assert api.patch("/org-defaults/accounts.account", {"access": "public_read", "records_affected": -1}
                     ).status_code == 422
    assert not ChangeLog.objects.filter(content_type__model="orgdefault").exists()


def test_structure_changes_through_the_api_are_in_history(org, boss):
    api = Api(boss)
    role = api.post("/roles", {"name": "Preventa", "parent": org.director.role.pk}).json()
    assert api.patch(f"/roles/{role['id']}", {"name": "Preventa y soporte"}).status_code == 200
    unit = api.post("/business-units", {"name": "Minería"}).json()
    assert api.patch(f"/business-units/{unit['id']}", {"code": "MIN"}).json()["code"] == "MIN"
    office = api.post("/offices", {"name": "Antofagasta", "city": "Antofagasta", "business_unit": unit["id"]})
    assert office.status_code == 201 and office.json()["business_unit"]["id"] == unit["id"]
    office_id = office.json()["id"]
    assert api.patch(f"/offices/{office_id}", {"country": "pe"}).json()["country"] == "PE"
    assert api.patch(f"/offices/{office_id}", {"country": "P1"}).status_code == 422

    def changes(model, pk):
        return [(entry.action, [(c["old"], c["new"]) for c in entry.changes], entry.user_id)
                for entry in ChangeLog.objects.filter(content_type__model=model, object_id=pk).order_by("pk")]

    assert changes("role", role["id"]) == [("create", [], boss.pk),
                                           ("update", [("Preventa", "Preventa y soporte")], boss.pk)]
    assert changes("businessunit", unit["id"]) == [("create", [], boss.pk), ("update", [("", "MIN")], boss.pk)]
    assert changes("office", office_id) == [("create", [], boss.pk), ("update", [("CL", "PE")], boss.pk)]
    assert Role.objects.get(pk=role["id"]).parent == org.director.role
