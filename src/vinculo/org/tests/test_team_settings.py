"""Sales teams created, renamed and deleted in the app and the API, each change in the team's history; deleting
a team keeps its deals, without a team. An administrator of the organisation may, without the model permission."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from vinculo.core.models import ChangeLog
from vinculo.core.tests.api_client import ApiClient
from vinculo.org.models import SalesTeam
from vinculo.org.tests.factories import BusinessUnitFactory, UserFactory
from vinculo.sales.models import Opportunity
from vinculo.sales.tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(db):
    user = UserFactory(username="boss")
    user.user_permissions.add(Permission.objects.get(codename="administer_organisation"))
    return user


def history(team_pk):
    return [(entry.action, [(c["old"], c["new"]) for c in entry.changes])
            for entry in ChangeLog.objects.filter(content_type__model="salesteam", object_id=team_pk).order_by("pk")]


def test_a_team_is_created_renamed_and_deleted_on_the_page(org, boss):
    client = Client()
    client.force_login(boss)
    unit = BusinessUnitFactory(name="Minería")
    assert reverse("org:sales_team_settings") in client.get(reverse("org:sales_team_list")).content.decode()
    assert client.post(reverse("org:sales_team_settings"), {"name": "Norte"}).status_code == 302
    team = SalesTeam.objects.get(name="Norte")
    edit = reverse("org:sales_team_settings_edit", args=[team.pk])
    assert client.post(edit, {"name": "Norte Grande", "business_unit": unit.pk}).status_code == 302
    duplicate = client.post(reverse("org:sales_team_settings"), {"name": "Norte Grande"})
    assert duplicate.status_code == 422 and "name" in duplicate.context["form"].errors
    deal = OpportunityFactory(account=org.north_account, sales_team=team)
    assert client.post(reverse("org:sales_team_settings_delete", args=[team.pk])).status_code == 302
    assert not SalesTeam.objects.filter(pk=team.pk).exists()
    assert Opportunity.objects.get(pk=deal.pk).sales_team is None
    assert history(team.pk) == [("create", []), ("update", [("Norte", "Norte Grande"), ("", "Minería")]),
                                ("delete", [("Norte Grande", "")])]


def test_a_rep_sees_no_manage_link_and_is_refused(org):
    client = Client()
    client.force_login(org.vendedor_norte)
    assert reverse("org:sales_team_settings") not in client.get(reverse("org:sales_team_list")).content.decode()
    assert client.post(reverse("org:sales_team_settings"), {"name": "Norte"}).status_code == 403
    assert not SalesTeam.objects.exists()


def test_team_changes_through_the_api_are_in_history(org, boss):
    api = ApiClient(boss)
    team = api.post("/sales-teams", {"name": "Norte"}).json()
    assert api.patch(f"/sales-teams/{team['id']}", {"name": "Norte Grande"}).status_code == 200
    assert api.patch(f"/sales-teams/{team['id']}", {"members": []}).status_code == 200  # no change of its own
    assert api.delete(f"/sales-teams/{team['id']}").status_code == 204
    assert history(team["id"]) == [("create", []), ("update", [("Norte", "Norte Grande")]),
                                   ("delete", [("Norte Grande", "")])]
