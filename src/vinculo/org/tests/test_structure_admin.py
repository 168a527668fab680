"""Roles (the hierarchy as a tree), business units and offices in the app: administrators only, no role
under itself, every change in history."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from vinculo.core.models import ChangeLog
from vinculo.org.models import BusinessUnit, Office, Role
from vinculo.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(db):
    user = UserFactory(username="boss")
    user.user_permissions.add(Permission.objects.get(codename="administer_organisation"))
    return user


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("who, status", [("admin", 200), ("director", 403), ("rep", 403), ("outsider", 302)])
def test_permission_matrix(org, boss, who, status):
    client = client_for({"admin": boss, "director": org.director, "rep": org.vendedor_norte, "outsider": None}[who])
    assert client.get(reverse("org:structure")).status_code == status
    response = client.post(reverse("org:structure_add", args=["business_unit"]), {"business_unit-name": "Minería"})
    assert response.status_code == (302 if who in ("admin", "outsider") else 403)
    assert BusinessUnit.objects.filter(name="Minería").exists() == (who == "admin")


def test_the_roles_show_as_a_tree(org, boss):
    roles = client_for(boss).get(reverse("org:structure")).context["roles"]
    assert [(role.name, role.depth, role.user_count) for role in roles] == [
        ("Sales director", 0, 3), ("Zone manager North", 1, 1), ("Rep North", 2, 2), ("Zone manager South", 1, 1),
        ("Rep South", 2, 1)]


def test_a_role_moves_with_its_subtree_and_the_change_is_in_history(org, boss):
    north, south = org.gerente_norte.role, org.gerente_sur.role
    response = client_for(boss).post(reverse("org:structure_edit", args=["role", north.pk]),
                                     {"role-name": "Zona Norte", "role-parent": south.pk})
    assert response.status_code == 302
    rep_north = Role.objects.get(name="Rep North")
    assert rep_north.path == f"{org.director.role.pk}/{south.pk}/{north.pk}/{rep_north.pk}/"
    entry = ChangeLog.objects.get(content_type__model="role", object_id=north.pk)
    assert [(c["field"], c["old"], c["new"]) for c in entry.changes] == [
        ("name", "Zone manager North", "Zona Norte"), ("parent", "Sales director", "Zone manager South")]


def test_a_role_cannot_go_under_itself_or_below_it(org, boss):
    director = org.director.role
    response = client_for(boss).post(reverse("org:structure_edit", args=["role", director.pk]),
                                     {"role-name": "x", "role-parent": org.vendedor_norte.role.pk})
    assert response.status_code == 422 and "parent" in response.context["forms"]["role"].errors


def test_offices_check_their_country_and_an_unknown_kind_is_404(org, boss):
    client = client_for(boss)
    bad = client.post(reverse("org:structure_add", args=["office"]), {"office-name": "Lima", "office-country": "PER"})
    assert bad.status_code == 422 and "country" in bad.context["forms"]["office"].errors
    good = client.post(reverse("org:structure_add", args=["office"]), {"office-name": "Lima", "office-country": "pe"})
    assert good.status_code == 302 and Office.objects.get(name="Lima").country == "PE"
    assert ChangeLog.objects.filter(content_type__model="office", action="create", user=boss).exists()
    assert client.get("/org/structure/territory/new/").status_code == 404
