import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from vinculo.api.models import ApiToken
from vinculo.reports.models import SavedReport
from vinculo.sales.tests.factories import OpportunityFactory, default_pipeline

pytestmark = pytest.mark.django_db


def auth(user):
    _token, key = ApiToken.issue(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def deals(org):
    first, second = default_pipeline()[:2]
    OpportunityFactory(owner=org.vendedor_norte, account=org.north_account, stage=first, amount=Decimal("100"))
    OpportunityFactory(owner=org.vendedor_norte, account=org.north_account, stage=second, amount=Decimal("40"))
    OpportunityFactory(owner=org.vendedor_sur, account=org.south_account, stage=first, amount=Decimal("1000"))
    return first, second


def test_list_holds_the_predefined_reports_and_only_my_saved_ones(client, org):
    SavedReport.objects.create(owner=org.vendedor_sur, name="Privado del sur", record_type="lead")
    answer = client.get("/api/v1/reports", **auth(org.vendedor_norte))
    assert answer.status_code == 200
    ids = [report["id"] for report in answer.json()]
    assert "pipeline-by-stage" in ids and len(ids) == 10


def test_run_a_predefined_report_as_two_users(client, org, deals):
    first, second = deals
    north = client.post("/api/v1/reports/pipeline-by-stage/run", **auth(org.vendedor_norte)).json()
    assert [(g["label"], g["count"], g["sum"]["amount"]) for g in north["groups"]] == [
        (first.name, 1, {"CLP": "100.00"}), (second.name, 1, {"CLP": "40.00"})]
    assert (north["total"]["count"], north["total"]["sum"]["amount"]) == (2, {"CLP": "140.00"})
    director = client.post("/api/v1/reports/pipeline-by-stage/run", **auth(org.director)).json()
    assert (director["total"]["count"], director["total"]["sum"]["amount"]) == (3, {"CLP": "1140.00"})


def test_create_run_and_delete_a_report(client, org, deals):
    body = {"name": "Por etapa", "record_type": "opportunity", "columns": ["name", "account.territory", "amount"],
            "filters": [{"field": "status", "op": "eq", "value": "open"}], "group_by": ["stage"],
            "aggregates": [{"field": "amount", "fn": "sum"}]}
    created = client.post("/api/v1/reports", body, content_type="application/json", **auth(org.vendedor_norte))
    assert created.status_code == 201
    report_id = created.json()["id"]
    ran = client.post(f"/api/v1/reports/{report_id}/run", **auth(org.vendedor_norte)).json()
    assert ran["total"]["count"] == 2 and len(ran["rows"]) == 2
    assert client.post(f"/api/v1/reports/{report_id}/run", **auth(org.vendedor_sur)).status_code == 404
    assert client.delete(f"/api/v1/reports/{report_id}", **auth(org.vendedor_sur)).status_code == 404
    assert client.delete("/api/v1/reports/pipeline-by-stage", **auth(org.vendedor_norte)).status_code == 403
    assert client.delete(f"/api/v1/reports/{report_id}", **auth(org.vendedor_norte)).status_code == 204


@pytest.mark.parametrize("change, field", [
    ({"record_type": "nothing"}, "record_type"),
    ({"columns": ["password"]}, "columns"),
    ({"filters": [{"field": "amount", "op": "gt", "value": "lots"}]}, "filters"),
    ({"group_by": ["name:month"]}, "group_by"),
])
def test_a_definition_that_does_not_run_is_refused_with_422(client, org, change, field):
    body = {"name": "Malo", "record_type": "opportunity", **change}
    answer = client.post("/api/v1/reports", body, content_type="application/json", **auth(org.vendedor_norte))
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["field"] == field
    assert not SavedReport.objects.exists()


def test_export_xlsx_and_csv_through_the_api(client, org, deals):
    xlsx = client.get("/api/v1/reports/pipeline-by-stage/export?format=xlsx", **auth(org.vendedor_norte))
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert sheet.max_row == 3
    csv = client.get("/api/v1/reports/pipeline-by-stage/export?format=csv", **auth(org.vendedor_norte))
    assert csv.content.decode().count("\n") == 3


def test_unknown_report_is_404(client, org):
    assert client.post("/api/v1/reports/99999/run", **auth(org.vendedor_norte)).status_code == 404
    assert client.get("/api/v1/reports/nope", **auth(org.vendedor_norte)).status_code == 404
