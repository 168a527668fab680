"""The public API only grows: every path, method, parameter, status and payload field of the recorded
contract (`openapi_contract.json`, read off /api/v1/openapi.json) is still there, and no request asks
for something it did not require before. New endpoints and fields are welcome; record them with

    python -m vinculo.api.tests.test_openapi_contract  (writes the file afresh; review the diff)

The contract is read off the document with every $ref resolved, so it does not depend on component names:
renaming a schema is no loss. One correction was recorded as a loss-looking change: until issue 9, the
quote and deal line schemas were both named LineOut (and LineIn), one replaced the other in the document,
and the recorded deal answers listed quote line fields (position, unit, tax_rate, tax_amount,
total_amount) that the deal API never sent. The contract was re-recorded with the deal lines' true fields;
api/tests/test_openapi_document.py now fails on any two schemas sharing a name, so the contract cannot
record one type's fields for another again.
"""

import json
from pathlib import Path

CONTRACT = Path(__file__).with_name("openapi_contract.json")
DEPTH = 4


def _resolve(schema: dict, document: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def _fields(schema: dict, document: dict, prefix: str = "", depth: int = 0) -> set[str]:
    """Dotted names of the properties a schema describes, nested objects and list items included."""
    schema = _resolve(schema, document)
    found = set()
    if depth > DEPTH:
        return found
    for part in schema.get("anyOf", []) + schema.get("allOf", []) + schema.get("oneOf", []):
        found |= _fields(part, document, prefix, depth + 1)
    if "items" in schema:
        found |= _fields(schema["items"], document, prefix + "[]", depth + 1)
    for name, sub in schema.get("properties", {}).items():
        found.add(prefix + name)
        found |= _fields(sub, document, prefix + name + ".", depth + 1)
    return found


def _required(schema: dict, document: dict) -> set[str]:
    return set(_resolve(schema, document).get("required", []))


def contract(document: dict) -> dict:
    operations = {}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {})
            body_schema = next(iter(body.values()), {}).get("schema", {}) if body else {}
            operations[f"{method.upper()} {path}"] = {
                "parameters": sorted(f"{p['in']}:{p['name']}" for p in operation.get("parameters", [])),
                "required_parameters": sorted(f"{p['in']}:{p['name']}" for p in operation.get("parameters", [])
                                              if p.get("required")),
                "request_fields": sorted(_fields(body_schema, document)) if body_schema else [],
                "request_required": sorted(_required(body_schema, document)) if body_schema else [],
                "responses": {
                    status: sorted(_fields(next(iter(response.get("content", {}).values()), {}).get("schema", {}),
                                           document))
                    for status, response in operation.get("responses", {}).items()
                },
            }
    return operations


def current() -> dict:
    from vinculo.api.urls import api

    return contract(json.loads(json.dumps(api.get_openapi_schema(), default=str)))


def losses(old: dict, new: dict) -> list[str]:
    problems = []
    for key, was in old.items():
        now = new.get(key)
        if now is None:
            problems.append(f"{key}: gone")
            continue
        for name in sorted(set(was["parameters"]) - set(now["parameters"])):
            problems.append(f"{key}: parameter {name} gone")
        for name in sorted(set(now["required_parameters"]) - set(was["required_parameters"])):
            problems.append(f"{key}: parameter {name} is now required")
        for name in sorted(set(was["request_fields"]) - set(now["request_fields"])):
            problems.append(f"{key}: request field {name} gone")
        for name in sorted(set(now["request_required"]) - set(was["request_required"])):
            problems.append(f"{key}: request field {name} is now required")
        for status, fields in was["responses"].items():
            if status not in now["responses"]:
                problems.append(f"{key}: response {status} gone")
                continue
            for name in sorted(set(fields) - set(now["responses"][status])):
                problems.append(f"{key}: response {status} field {name} gone")
    return problems


def test_the_api_keeps_every_path_parameter_and_field_of_the_recorded_contract():
    old = json.loads(CONTRACT.read_text())
    assert len(old) > 100  # the contract was recorded from the whole API
    assert losses(old, current()) == []


def test_the_comparison_catches_each_kind_of_loss():
    old = {"GET /x": {"parameters": ["query:q"], "required_parameters": [], "request_fields": ["name"],
                      "request_required": [], "responses": {"200": ["id", "items[].name"]}}}
    assert losses(old, old) == []
    worse = {"GET /x": {"parameters": ["query:q"], "required_parameters": ["query:q"], "request_fields": [],
                        "request_required": ["code"], "responses": {"200": ["id"], "201": []}}}
    assert losses(old, worse) == [
        "GET /x: parameter query:q is now required",
        "GET /x: request field name gone",
        "GET /x: request field code is now required",
        "GET /x: response 200 field items[].name gone",
    ]
    assert losses(old, {}) == ["GET /x: gone"]


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vinculo.settings")
    django.setup()
    CONTRACT.write_text(json.dumps(current(), indent=1, sort_keys=True) + "\n")
