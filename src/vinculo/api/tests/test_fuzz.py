"""Schemathesis over the whole OpenAPI document, as a rep (vendedor.norte) and as an admin of the small demo,
in-process against the WSGI application (`make fuzz`; not part of `make test`, see the `fuzz` marker).

Every operation gets a bounded number of generated requests, valid and invalid ones, drawn from a fixed
seed so a red run is reproducible. A request fails the run when it answers a 5xx, a status code the
document does not list for the operation, a content type it does not list, or a body that does not match
the documented schema. The demo is loaded once per module in a transaction that is rolled back at the
end, and each operation's requests run in a savepoint of it, so DELETEs and other writes stay there.
"""

import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.db import transaction
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
    import json

    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1"), default=str))


schema = schemathesis.openapi.from_dict(_document(), config=config)
schema.app = WSGIHandler()


@pytest.fixture(scope="module")
def _small_demo(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        with transaction.atomic():
            load_demo(SIZES["small"])
            yield
            transaction.set_rollback(True)


@pytest.fixture(params=["vendedor.norte", "admin"])
def bearer(request, _small_demo, db):
    _token, key = ApiToken.issue(User.objects.get(username=request.param))
    return {"Authorization": f"Bearer {key}"}


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, bearer):
    case.call_and_validate(headers=bearer, checks=CHECKS)
