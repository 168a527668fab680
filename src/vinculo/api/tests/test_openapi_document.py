"""The OpenAPI document describes the API truly: it is a valid OpenAPI 3.1 document, no two schemas share a
component name (the second would silently replace the first, so the document would describe one type's
answers with another's fields), and real answers match it."""

import json

import jsonschema
import pytest
from ninja.openapi.schema import OpenAPISchema
from openapi_spec_validator import validate

from vinculo.api.urls import api
from vinculo.core.tests.api_client import ApiClient
from vinculo.sales.tests.factories import OpportunityFactory, ProductFactory, QuoteFactory


class CollisionRecorder(OpenAPISchema):
    """Ninja's document builder, noting every component name given two different schemas."""

    def __init__(self, *args, **kwargs):
        self.collisions = {}
        super().__init__(*args, **kwargs)

    def add_schema_definitions(self, definitions: dict) -> None:
        for name, schema in definitions.items():
            if name in self.schemas and self.schemas[name] != schema:
                self.collisions[name] = (self.schemas[name], schema)
        super().add_schema_definitions(definitions)


def _document() -> dict:
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1"), default=str))


def test_no_two_schemas_share_a_component_name():
    recorder = CollisionRecorder(api, "/api/v1")
    assert sorted(recorder.collisions) == []


def test_the_recorder_sees_a_collision():
    recorder = CollisionRecorder(api, "/api/v1")
    recorder.add_schema_definitions({"Ref": {"properties": {"other": {}}}, "NewName": {}})
    assert "Ref" in recorder.collisions and "NewName" not in recorder.collisions


def test_the_document_is_a_valid_openapi_document():
    validate(_document())


def _answer_schema(document: dict, method: str, path: str, status: int) -> dict:
    content = document["paths"][path][method]["responses"][str(status)]["content"]
    return {**content["application/json"]["schema"], "components": document["components"]}


@pytest.mark.django_db
def test_a_deal_and_a_quote_with_lines_match_their_documented_schemas(org):
    deal = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte)
    deal.lines.create(product=ProductFactory(), quantity=2, unit_price=1000)
    quote = QuoteFactory(opportunity=deal)
    client = ApiClient(org.vendedor_norte)
    document = _document()

    answer = client.get(f"/opportunities/{deal.pk}")
    assert answer.status_code == 200 and answer.json()["lines"]
    jsonschema.validate(answer.json(), _answer_schema(document, "get", "/api/v1/opportunities/{opportunity_id}", 200))

    answer = client.get(f"/quotes/{quote.pk}")
    assert answer.status_code == 200
    jsonschema.validate(answer.json(), _answer_schema(document, "get", "/api/v1/quotes/{quote_id}", 200))
