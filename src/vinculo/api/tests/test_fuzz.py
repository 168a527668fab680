"""Schemathesis over the whole OpenAPI document, as a rep (vendedor.norte) and as an admin of the small demo,
in-process against the WSGI application (`make fuzz`; not part of `make test`, see the `fuzz` marker).

Every operation gets schemathesis' coverage cases (boundaries, missing and wrong-typed values) plus
FUZZ_EXAMPLES generated requests (default 10), valid and invalid, drawn deterministically so a red run is
reproducible and CI stays stable. A request fails the run when it answers a 5xx, a status code the
document does not list for the operation, a content type it does not list, a body that does not match the
documented schema, or a success to data the document says is invalid. The demo is loaded once per module
(per xdist worker) in a transaction that is rolled back at the end, and each operation's requests run in a
savepoint of it, so DELETEs and other writes never reach another test. About 2 minutes on 2 cores.

Run one operation as one user (its name ends "[GET /api/v1/accounts][admin]"):
    pytest -m fuzz src/vinculo/api/tests/test_fuzz.py -k "GET and /api/v1/accounts][admin"
"""

import json
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from vinculo.api.models import ApiToken
from vinculo.api.urls import api
from vinculo.demo.builders import SIZES, load_demo
from vinculo.org.models import User

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]

config = schemathesis.Config.from_dict({
    "seed": 20261206,
    "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
})


def _document() -> dict:
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1"), default=str))


schema = schemathesis.openapi.from_dict(_document(), config=config)
schema.app = WSGIHandler()


@pytest.fixture(scope="module")
def _small_demo(django_db_setup, django_db_blocker, tmp_path_factory):
    # The real WSGI handler closes the database connection after each request (as Django's test client
    # does not): that would end the test's transaction, on PostgreSQL at once.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
            with transaction.atomic():
                load_demo(SIZES["small"])
                yield
                transaction.set_rollback(True)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(params=["vendedor.norte", "admin"])
def bearer(request, _small_demo, db):
    _token, key = ApiToken.issue(User.objects.get(username=request.param))
    return {"Authorization": f"Bearer {key}"}


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, bearer):
    case.call_and_validate(headers=bearer, checks=CHECKS)
