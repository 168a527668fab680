"""Deleting roles, business units and offices from the structure page (and the API): refused with what still
names them while in use — users, roles below, offices, teams, records — else deleted with the deletion in
history."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from vinculo.core.models import ChangeLog
from vinculo.core.tests.api_client import ApiClient
from vinculo.org.models import BusinessUnit, Office, Role, SalesTeam
from vinculo.org.tests.factories import BusinessUnitFactory, OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(db):
    user = UserFactory(username="boss", language="en")
    user.user_permissions.add(Permission.objects.get(codename="administer_organisation"))
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def delete(boss, kind, pk):
    return client_for(boss).post(reverse("org:structure_delete", args=[kind, pk]))


def test_a_role_with_users_or_roles_below_it_is_not_deleted(org, boss):
    north = org.gerente_norte.role  # Zone manager North: 1 user, 1 role below (Rep North)
    response = delete(boss, "role", north.pk)
    assert response.status_code == 409
    assert response.context["refused"] == (
        "“Zone manager North” is in use (1 role below it, 1 user): move them elsewhere first, then delete it.")
    assert "Zone manager North” is in use" in response.content.decode()
    assert Role.objects.filter(pk=north.pk).exists()
    assert not ChangeLog.objects.filter(content_type__model="role", action=ChangeLog.Action.DELETE).exists()


def test_a_role_with_users_only_is_refused_with_their_count(org, boss):
    rep_north = org.vendedor_norte.role  # two reps, no role below
    response = delete(boss, "role", rep_north.pk)
    assert response.status_code == 409
    assert "(2 users)" in response.context["refused"]


def test_an_unused_role_is_deleted_with_history(org, boss):
    spare = Role.objects.create(name="Preventa", parent=org.director.role)
    response = delete(boss, "role", spare.pk)
    assert response.status_code == 302 and response["Location"] == reverse("org:structure")
    assert not Role.objects.filter(pk=spare.pk).exists()
    entry = ChangeLog.objects.get(content_type__model="role", object_id=spare.pk)
    assert (entry.action, entry.user, entry.record_label) == (ChangeLog.Action.DELETE, boss, "Preventa")


def test_a_business_unit_is_refused_while_users_offices_or_teams_are_in_it(org, boss):
    unit = BusinessUnitFactory(name="Minería")
    office = OfficeFactory(name="Antofagasta", business_unit=unit)
    team = SalesTeam.objects.create(name="Cobre", business_unit=unit)
    org.vendedor_norte.business_unit = unit
    org.vendedor_norte.save()
    refused = delete(boss, "business_unit", unit.pk)
    assert refused.status_code == 409
    assert all(part in refused.context["refused"] for part in ("1 office", "1 user", "1 sales team"))
    org.vendedor_norte.business_unit = None
    org.vendedor_norte.save()
    office.delete()
    team.delete()
    assert delete(boss, "business_unit", unit.pk).status_code == 302
    assert not BusinessUnit.objects.filter(pk=unit.pk).exists()
    assert ChangeLog.objects.filter(content_type__model="businessunit", object_id=unit.pk,
                                    action=ChangeLog.Action.DELETE).count() == 1


def test_an_office_is_refused_while_users_work_in_it_then_deleted(org, boss):
    office = OfficeFactory(name="Concepción")
    UserFactory(username="ana", office=office)
    refused = delete(boss, "office", office.pk)
    assert refused.status_code == 409 and "(1 user)" in refused.context["refused"]
    office.user_set.update(office=None)
    assert delete(boss, "office", office.pk).status_code == 302
    assert not Office.objects.filter(pk=office.pk).exists()


@pytest.mark.parametrize("who", ["director", "rep"])
def test_only_administrators_delete(org, who):
    unit = BusinessUnitFactory(name="Sin uso")
    user = {"director": org.director, "rep": org.vendedor_norte}[who]
    assert client_for(user).post(reverse("org:structure_delete", args=["business_unit", unit.pk])).status_code == 403
    assert BusinessUnit.objects.filter(pk=unit.pk).exists()


def test_deleting_needs_a_post_and_a_known_kind(org, boss):
    unit = BusinessUnitFactory(name="Sin uso")
    assert client_for(boss).get(reverse("org:structure_delete", args=["business_unit", unit.pk])).status_code == 405
    assert delete(boss, "territory", unit.pk).status_code == 404
    assert delete(boss, "office", 999999).status_code == 404


def test_the_edit_form_offers_the_delete_button(org, boss):
    unit = BusinessUnitFactory(name="Sin uso")
    html = client_for(boss).get(reverse("org:structure_edit", args=["business_unit", unit.pk])).content.decode()
    assert reverse("org:structure_delete", args=["business_unit", unit.pk]) in html
    assert "Delete Sin uso" in html


def test_the_api_deletes_as_the_page_does(org, boss):
    api = ApiClient(boss)
    in_use = api.delete(f"/roles/{org.vendedor_norte.role.pk}")
    assert in_use.status_code == 409 and "2 users" in in_use.json()["detail"]
    spare = Role.objects.create(name="Preventa")
    assert api.delete(f"/roles/{spare.pk}").status_code == 204
    unit, office = BusinessUnitFactory(name="Sin uso"), OfficeFactory(name="Vacía")
    assert api.delete(f"/business-units/{unit.pk}").status_code == 204
    assert api.delete(f"/offices/{office.pk}").status_code == 204
    assert api.delete(f"/offices/{office.pk}").status_code == 404
    assert ApiClient(org.director).delete(f"/roles/{org.vendedor_norte.role.pk}").status_code == 403
    assert not Role.objects.filter(pk=spare.pk).exists() and not Office.objects.filter(pk=office.pk).exists()
