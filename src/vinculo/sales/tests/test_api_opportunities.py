"""/api/v1/opportunities (with move, close, reopen), /stages and /competitors."""

import datetime
from decimal import Decimal

import pytest

from vinculo.accounts.models import AccountTeamMember
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core.models import ChangeLog
from vinculo.core.tests.api_client import ApiClient, error_fields
from vinculo.org.models import Territory
from vinculo.sales.models import Competitor, Opportunity, OpportunityContact, PipelineStage

from .factories import (
    CompetitorFactory,
    OpportunityFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db


def stages():
    return list(PipelineStage.objects.filter(is_active=True).order_by("order"))


@pytest.fixture
def deal(org):
    return OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, name="Flota de camiones")


MATRIX = {"vendedor_norte": True, "gerente_norte": True, "director": True, "admin": True,
          "vendedor_norte2": False, "vendedor_sur": False, "gerente_sur": False}


@pytest.mark.parametrize("who", MATRIX)
def test_list_and_detail_follow_the_permission_matrix(org, deal, who):
    api = ApiClient(getattr(org, who))
    ids = [item["id"] for item in api.get("/opportunities").json()["items"]]
    assert (deal.pk in ids) is MATRIX[who]
    assert api.get(f"/opportunities/{deal.pk}").status_code == (200 if MATRIX[who] else 404)
    assert api.post(f"/opportunities/{deal.pk}/move", {"stage": stages()[1].pk, "version": 1}).status_code == (
        200 if MATRIX[who] else 404)


def test_detail_nests_visible_contacts_lines_and_competitors(org, deal):
    OpportunityContact.objects.create(opportunity=deal, contact=org.north_contact, role="champion", is_primary=True)
    OpportunityContact.objects.create(opportunity=deal, contact=ContactFactory(account=org.south_account))
    deal.competitor_entries.create(competitor=CompetitorFactory(name="Sandvik"), result="pending")
    deal.lines.create(description="Servicio", quantity=2, unit_price=Decimal("10"))
    body = ApiClient(org.vendedor_norte).get(f"/opportunities/{deal.pk}").json()
    assert body["contacts"] == [{"contact": {"id": org.north_contact.pk, "name": str(org.north_contact)},
                                 "role": "champion", "is_primary": True}]
    assert body["lines"][0]["net_amount"] == "20.00"
    assert body["competitors"][0]["competitor"]["name"] == "Sandvik"
    assert body["stage"] == {"id": deal.stage_id, "name": deal.stage.name, "probability": deal.stage.probability}
    assert body["account"]["id"] == org.north_account.pk


def test_create_with_lines_contacts_and_competitors(org):
    product = ProductFactory()
    PriceListItemFactory(product=product, price_list=PriceListFactory(currency="USD"), unit_price=Decimal("250"))
    rival = CompetitorFactory()
    api = ApiClient(org.vendedor_norte)
    response = api.post("/opportunities", {
        "name": "Licencias 2027", "account": org.north_account.pk, "currency": "USD", "stage": stages()[2].pk,
        "lines": [{"product": product.pk, "quantity": "3", "discount_percent": "10"}],
        "contacts": [{"contact": org.north_contact.pk, "role": "decision_maker"}],
        "competitors": [{"competitor": rival.pk, "strengths": "Precio"}],
    })
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["amount"] == "675.00" and body["probability"] == stages()[2].probability
    assert body["owner"]["id"] == org.vendedor_norte.pk
    assert [c["role"] for c in body["contacts"]] == ["decision_maker"]
    assert body["competitors"][0]["strengths"] == "Precio"


@pytest.mark.parametrize("payload, field", [
    ({"account": "south"}, "account"),
    ({"stage": 9999}, "stage"),
    ({"contacts": [{"contact": "south"}]}, "contacts"),
    ({"lines": [{"description": "Sin precio"}]}, "lines"),
    ({"amount": "-5"}, "amount"),
    ({"probability": 101}, "probability"),
    ({"currency": "ARS"}, "currency"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(org, payload, field):
    base = {"name": "Nuevo", "account": org.north_account.pk}
    payload = {key: value for key, value in payload.items()}
    if payload.get("account") == "south":
        payload["account"] = org.south_account.pk
    if payload.get("contacts"):
        payload["contacts"] = [{"contact": org.south_contact.pk}]
    response = ApiClient(org.vendedor_norte).post("/opportunities", {**base, **payload})
    assert response.status_code == 422
    assert field in error_fields(response)
    assert not Opportunity.objects.filter(name="Nuevo").exists()


def test_patch_with_a_stale_version_is_409_and_a_read_only_user_gets_403(org, deal):
    api = ApiClient(org.vendedor_norte)
    assert api.patch(f"/opportunities/{deal.pk}", {"name": "Uno", "version": 1}).status_code == 200
    response = api.patch(f"/opportunities/{deal.pk}", {"name": "Dos", "version": 1})
    assert response.status_code == 409
    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_norte2,
                                     access=AccountTeamMember.Access.READ)
    reader = ApiClient(org.vendedor_norte2)
    assert reader.get(f"/opportunities/{deal.pk}").status_code == 200
    assert reader.patch(f"/opportunities/{deal.pk}", {"name": "Tres", "version": 2}).status_code == 403
    assert reader.delete(f"/opportunities/{deal.pk}").status_code == 403
    deal.refresh_from_db()
    assert deal.name == "Uno"


def test_patch_stage_takes_its_probability_and_lines_set_the_amount(org, deal):
    api = ApiClient(org.vendedor_norte)
    body = api.patch(f"/opportunities/{deal.pk}", {"stage": stages()[3].pk, "version": 1}).json()
    assert body["probability"] == stages()[3].probability
    body = api.patch(f"/opportunities/{deal.pk}", {
        "lines": [{"description": "Mantención", "quantity": "12", "unit_price": "100000"}], "amount": "1",
        "version": body["version"]}).json()
    assert body["amount"] == "1200000.00" and len(body["lines"]) == 1


def test_move_endpoint_409_on_stale_403_read_only_and_records_history(org, deal):
    api = ApiClient(org.vendedor_norte)
    response = api.post(f"/opportunities/{deal.pk}/move", {"stage": stages()[2].pk, "version": 1})
    assert response.status_code == 200
    assert response.json()["probability"] == stages()[2].probability and response["ETag"] == '"2"'
    assert api.post(f"/opportunities/{deal.pk}/move", {"stage": stages()[3].pk, "version": 1}).status_code == 409
    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_norte2,
                                     access=AccountTeamMember.Access.READ)
    response = ApiClient(org.vendedor_norte2).post(f"/opportunities/{deal.pk}/move",
                                                   {"stage": stages()[3].pk, "version": 2})
    assert response.status_code == 403
    deal.refresh_from_db()
    assert deal.stage == stages()[2]
    assert ChangeLog.objects.filter(object_id=deal.pk, action="update").count() == 1
    assert api.post(f"/opportunities/{deal.pk}/move", {"stage": 9999, "version": 2}).status_code == 422


def test_close_and_reopen(org, deal):
    api = ApiClient(org.vendedor_norte)
    response = api.post(f"/opportunities/{deal.pk}/close", {"status": "lost", "reason": "competitor",
                                                             "note": "Eligieron a Komatsu", "version": 1})
    assert response.status_code == 200
    assert response.json()["status"] == "lost" and response.json()["probability"] == 0
    assert api.post(f"/opportunities/{deal.pk}/move", {"stage": stages()[1].pk, "version": 2}).status_code == 422
    response = api.post(f"/opportunities/{deal.pk}/reopen", {"version": 2})
    assert response.json()["status"] == "open" and response.json()["close_reason"] == ""


def test_list_filters_quick_search_and_ordering(org):
    north = Territory.objects.create(name="Norte")
    zone = Territory.objects.create(name="Antofagasta", parent=north)
    org.north_account.territory = zone
    org.north_account.save()
    a = OpportunityFactory(account=org.north_account, name="Alfa", amount=Decimal("10"),
                           expected_close_date=datetime.date(2026, 2, 1))
    b = OpportunityFactory(account=org.south_account, name="Beta", amount=Decimal("5"), stage=stages()[1])
    api = ApiClient(org.director)

    def names(**params):
        return [item["name"] for item in api.get("/opportunities", **params).json()["items"]]

    assert names(territory=north.pk) == ["Alfa"]
    assert names(stage=stages()[1].pk) == ["Beta"]
    assert names(close_to="2026-03-01") == ["Alfa"]
    assert names(q="pesquera") == ["Beta"]
    assert names(ordering="amount") == ["Beta", "Alfa"]
    assert names(ordering="-stage") == ["Beta", "Alfa"]
    assert api.get("/opportunities", ordering="secret").status_code == 422
    assert {item["id"] for item in api.get("/opportunities").json()["items"]} == {a.pk, b.pk}


def test_list_runs_a_bounded_number_of_queries(org, django_assert_max_num_queries):
    for _n in range(30):
        deal = OpportunityFactory(account=org.north_account)
        deal.lines.create(description="x", unit_price=1)
        OpportunityContact.objects.create(opportunity=deal, contact=org.north_contact)
    api = ApiClient(org.vendedor_norte)
    with django_assert_max_num_queries(15):
        assert api.get("/opportunities", limit=50).json()["count"] == 30


# ---------- Stages ----------

def test_stages_are_listed_for_everyone_and_changed_by_administrators_only(org):
    body = ApiClient(org.vendedor_norte).get("/stages").json()
    assert [stage["name"] for stage in body] == [stage.name for stage in PipelineStage.objects.order_by("order")]
    assert ApiClient(org.director).post("/stages", {"name": "Cierre", "probability": 90}).status_code == 403
    admin = ApiClient(org.admin)
    created = admin.post("/stages", {"name": "Cierre", "order": 6, "probability": 90})
    assert created.status_code == 201
    stage_id = created.json()["id"]
    assert admin.patch(f"/stages/{stage_id}", {"is_active": False}).json()["is_active"] is False
    assert admin.patch(f"/stages/{stage_id}", {"probability": 120}).status_code == 422
    assert "Cierre" not in [s["name"] for s in ApiClient(org.vendedor_norte).get("/stages", active=True).json()]


# ---------- Competitors ----------

def test_competitors_read_by_all_written_by_catalogue_managers(org):
    rival = CompetitorFactory(name="Epiroc")
    rep = ApiClient(org.vendedor_norte)
    assert rep.get(f"/competitors/{rival.pk}").json()["name"] == "Epiroc"
    assert rep.post("/competitors", {"name": "Nuevo"}).status_code == 403
    assert rep.patch(f"/competitors/{rival.pk}", {"name": "X", "version": 1}).status_code == 403
    assert rep.delete(f"/competitors/{rival.pk}").status_code == 403
    manager = ApiClient(org.catalogue_manager)
    response = manager.post("/competitors", {"name": "Sandvik", "phone": "22 345 6789",
                                             "contacts": [{"name": "Ana", "email": "ana@sandvik.cl"}]})
    assert response.status_code == 201
    assert response.json()["phone"] == "+56223456789" and response.json()["contacts"][0]["name"] == "Ana"
    assert manager.post("/competitors", {"name": "Malo", "contacts": [{"name": "B", "email": "no"}]}).status_code == 422
    assert not Competitor.objects.filter(name="Malo").exists()
    assert manager.delete(f"/competitors/{rival.pk}").status_code == 204


def test_competitor_deals_count_only_visible_deals(org):
    rival = CompetitorFactory()
    won = OpportunityFactory(account=org.north_account, status="won", closed_on=datetime.date(2026, 1, 1))
    lost = OpportunityFactory(account=org.south_account, status="lost", closed_on=datetime.date(2026, 1, 1),
                              close_reason="price")
    for deal in (won, lost):
        deal.competitor_entries.create(competitor=rival)
    body = ApiClient(org.vendedor_norte).get(f"/competitors/{rival.pk}/deals").json()
    assert (body["won"], body["lost"], body["win_rate"]) == (1, 0, 100)
    assert [ref["id"] for ref in body["latest"]] == [won.pk]
