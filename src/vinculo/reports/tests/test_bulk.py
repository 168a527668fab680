from decimal import Decimal

import pytest

from vinculo.api.models import ApiToken
from vinculo.core.access import AccessLevel
from vinculo.core.models import ChangeLog
from vinculo.org.models import OrgDefault
from vinculo.sales.models import Opportunity
from vinculo.sales.tests.factories import default_pipeline

pytestmark = pytest.mark.django_db


def auth(user):
    _token, key = ApiToken.issue(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def _deals(count, owner, account):
    stage = default_pipeline()[0]
    return Opportunity.objects.bulk_create(
        Opportunity(name=f"Negocio {owner.username} {index}", account=account, owner=owner, stage=stage,
                    amount=Decimal(1)) for index in range(count))


def test_bulk_change_of_owner_over_500_deals_where_300_may_be_changed_then_one_undo(client, org):
    # Every deal is readable by everyone; the northern manager may change only his line's (300 deals).
    OrgDefault.objects.update_or_create(record_type="sales.opportunity", defaults={"access": AccessLevel.PUBLIC_READ})
    mine = _deals(200, org.vendedor_norte, org.north_account) + _deals(100, org.vendedor_norte2, org.north_account)
    others = _deals(200, org.vendedor_sur, org.south_account)
    ids = [deal.pk for deal in mine + others]
    before = ChangeLog.objects.count()

    answer = client.post("/api/v1/bulk", {"record_type": "opportunity", "ids": ids, "action": "set_owner",
                                          "value": org.gerente_norte.pk}, content_type="application/json",
                         **auth(org.gerente_norte))
    assert answer.status_code == 200
    body = answer.json()
    assert body["done"] == 300
    assert len(body["refused"]) == 200
    assert {item["id"] for item in body["refused"]} == {deal.pk for deal in others}
    assert {item["reason"] for item in body["refused"]} == {"You may read this record but not change it."}
    assert Opportunity.objects.filter(owner=org.gerente_norte).count() == 300
    assert Opportunity.objects.filter(owner=org.vendedor_sur).count() == 200
    assert ChangeLog.objects.count() - before == 300  # one history entry per record changed

    undone = client.post(f"/api/v1/bulk/{body['undo_token']}/undo", **auth(org.gerente_norte))
    assert undone.json() == {"done": 300}
    assert Opportunity.objects.filter(owner=org.vendedor_norte).count() == 200
    assert Opportunity.objects.filter(owner=org.vendedor_norte2).count() == 100
    assert not Opportunity.objects.filter(owner=org.gerente_norte).exists()
    # Once only.
    again = client.post(f"/api/v1/bulk/{body['undo_token']}/undo", **auth(org.gerente_norte))
    assert again.status_code == 422


def test_records_the_user_may_not_see_are_refused_as_not_found_and_nothing_else_leaks(client, org):
    hidden = _deals(2, org.vendedor_sur, org.south_account)
    answer = client.post("/api/v1/bulk", {"record_type": "opportunity", "ids": [d.pk for d in hidden],
                                          "action": "set_owner", "value": org.vendedor_norte.pk},
                         content_type="application/json", **auth(org.vendedor_norte)).json()
    assert answer == {"done": 0, "refused": [{"id": hidden[0].pk, "reason": "Not found."},
                                             {"id": hidden[1].pk, "reason": "Not found."}], "undo_token": None}


def test_another_users_undo_token_does_nothing(client, org):
    deals = _deals(3, org.vendedor_norte, org.north_account)
    token = client.post("/api/v1/bulk", {"record_type": "opportunity", "ids": [d.pk for d in deals],
                                         "action": "set_owner", "value": org.vendedor_norte2.pk},
                        content_type="application/json", **auth(org.vendedor_norte)).json()["undo_token"]
    assert client.post(f"/api/v1/bulk/{token}/undo", **auth(org.vendedor_sur)).status_code == 422
    assert Opportunity.objects.filter(owner=org.vendedor_norte2).count() == 3


@pytest.mark.parametrize("body, field", [
    ({"record_type": "invoice"}, "record_type"),
    ({"value": 999999}, "value"),
])
def test_bad_bulk_requests_are_422(client, org, body, field):
    deals = _deals(1, org.vendedor_norte, org.north_account)
    payload = {"record_type": "opportunity", "ids": [deals[0].pk], "action": "set_owner",
               "value": org.vendedor_norte2.pk} | body
    answer = client.post("/api/v1/bulk", payload, content_type="application/json", **auth(org.vendedor_norte))
    assert answer.status_code == 422 and answer.json()["detail"][0]["field"] == field
    assert Opportunity.objects.get().owner == org.vendedor_norte
