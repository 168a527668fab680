"""The pipeline stages page in the app (not /admin/) and the stage API's writes: administrators of the organisation
only; every change in the stage's history; a stage that deals are in cannot be deleted."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from vinculo.core.models import ChangeLog
from vinculo.core.tests.api_client import ApiClient
from vinculo.org.tests.factories import UserFactory
from vinculo.sales.models import Opportunity, PipelineStage
from vinculo.sales.tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db
URL = reverse("sales:stage_settings")


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


def history(stage_pk):
    return [(entry.action, [(c["old"], c["new"]) for c in entry.changes])
            for entry in ChangeLog.objects.filter(content_type__model="pipelinestage", object_id=stage_pk)
            .order_by("pk")]


@pytest.mark.parametrize("who, status", [("admin", 200), ("director", 403), ("rep", 403), ("outsider", 302)])
def test_permission_matrix_over_the_page(org, boss, who, status):
    stage = PipelineStage.objects.create(name="Sin uso", order=9, probability=5)
    client = client_for({"admin": boss, "director": org.director, "rep": org.vendedor_norte, "outsider": None}[who])
    assert client.get(URL).status_code == status
    assert client.get(reverse("sales:stage_settings_edit", args=[stage.pk])).status_code == status
    added = client.post(URL, {"name": "Cierre", "order": 6, "probability": 90, "is_active": "on"})
    assert added.status_code == (302 if who in ("admin", "outsider") else 403)
    deleted = client.post(reverse("sales:stage_settings_delete", args=[stage.pk]))
    assert deleted.status_code == (302 if who in ("admin", "outsider") else 403)
    assert PipelineStage.objects.filter(name="Cierre").exists() == (who == "admin")
    assert PipelineStage.objects.filter(pk=stage.pk).exists() == (who != "admin")
    menu = client.get(reverse("home")).content.decode() if who != "outsider" else ""
    assert (URL in menu) == (who == "admin")


@pytest.mark.parametrize("who, status", [("admin", None), ("director", 403), ("rep", 403), ("outsider", 401)])
def test_permission_matrix_over_the_api_writes(org, boss, who, status):
    stage = PipelineStage.objects.create(name="Sin uso", order=9, probability=5)
    user = {"admin": boss, "director": org.director, "rep": org.vendedor_norte, "outsider": None}[who]
    api = ApiClient(user) if user else ApiClient.__new__(ApiClient)
    if user is None:
        api.client = Client()
    responses = [api.post("/stages", {"name": "Cierre", "order": 6, "probability": 90}),
                 api.patch(f"/stages/{stage.pk}", {"probability": 15}),
                 api.delete(f"/stages/{stage.pk}")]
    if status is None:
        assert [r.status_code for r in responses] == [201, 200, 204]
    else:
        assert [r.status_code for r in responses] == [status] * 3
        assert not PipelineStage.objects.filter(name="Cierre").exists()
        assert PipelineStage.objects.get(pk=stage.pk).probability == 5


def test_the_page_adds_and_changes_a_stage_and_keeps_its_history(org, boss):
    client = client_for(boss)
    assert client.post(URL, {"name": "Cierre", "order": 6, "probability": 90, "is_active": "on"}).status_code == 302
    stage = PipelineStage.objects.get(name="Cierre")
    edit = reverse("sales:stage_settings_edit", args=[stage.pk])
    assert client.post(edit, {"name": "Cierre", "order": 6, "probability": 95}).status_code == 302
    stage.refresh_from_db()
    assert (stage.probability, stage.is_active) == (95, False)
    assert history(stage.pk) == [("create", []), ("update", [("90", "95"), ("Yes", "No")])]
    page = client.get(edit)
    assert "Cierre" in page.content.decode() and len(page.context["history"]) == 2
    bad = client.post(edit, {"name": "", "order": 6, "probability": 101})
    assert bad.status_code == 422 and {"name", "probability"} <= set(bad.context["form"].errors)
    assert PipelineStage.objects.get(pk=stage.pk).probability == 95


def test_a_stage_deals_are_in_cannot_be_deleted_on_the_page_or_in_the_api(org, boss):
    deal = OpportunityFactory(account=org.north_account)
    binned = OpportunityFactory(account=org.north_account, stage=PipelineStage.objects.create(name="Vieja", order=8))
    binned.deleted_at = binned.created_at
    binned.save()
    client = client_for(boss)
    refused = client.post(reverse("sales:stage_settings_delete", args=[deal.stage.pk]))
    assert refused.status_code == 409
    assert f"“{deal.stage.name}” is the stage of 1 deal" in refused.context["refused"]
    # A deal in the recycle bin may come back: its stage stays too.
    assert client.post(reverse("sales:stage_settings_delete", args=[binned.stage.pk])).status_code == 409
    api = ApiClient(boss)
    response = api.delete(f"/stages/{deal.stage.pk}")
    assert response.status_code == 409 and "is the stage of 1 deal" in response.json()["detail"]
    assert PipelineStage.objects.filter(pk__in=[deal.stage.pk, binned.stage.pk]).count() == 2
    assert Opportunity.all_objects.count() == 2
    assert not ChangeLog.objects.filter(content_type__model="pipelinestage", action="delete").exists()


def test_an_unused_stage_is_deleted_with_a_history_line(org, boss):
    stage = PipelineStage.objects.create(name="Sin uso", order=9, probability=5)
    assert client_for(boss).post(reverse("sales:stage_settings_delete", args=[stage.pk])).status_code == 302
    assert not PipelineStage.objects.filter(pk=stage.pk).exists()
    entry = ChangeLog.objects.get(content_type__model="pipelinestage", object_id=stage.pk, action="delete")
    assert (entry.user, entry.record_label) == (boss, "Sin uso")
    assert client_for(boss).get(reverse("sales:stage_settings_delete", args=[stage.pk])).status_code == 405


def test_stage_changes_through_the_api_are_in_history(org, boss):
    api = ApiClient(boss)
    created = api.post("/stages", {"name": "Cierre", "order": 6, "probability": 90}).json()
    assert api.patch(f"/stages/{created['id']}", {"probability": 80, "name": "Cierre final"}).status_code == 200
    assert history(created["id"]) == [("create", []), ("update", [("Cierre", "Cierre final"), ("90", "80")])]
    assert api.patch(f"/stages/{created['id']}", {"name": None}).status_code == 422


def test_the_page_runs_bounded_queries(org, boss, django_assert_max_num_queries):
    for number in range(20):
        PipelineStage.objects.create(name=f"Etapa {number}", order=number)
    client = client_for(boss)
    with django_assert_max_num_queries(12):
        assert client.get(URL).status_code == 200
