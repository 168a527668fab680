"""The API answers at most 200 items a page, whatever `limit` asks for: checked with real rows, at 199,
200, 201 and far above, on the shared paging code and on each way a list endpoint pages (a queryset
through `page()`, a list ordered in Python, the merged timeline). The default page is 25 items."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat

from vinculo.accounts.models import Account
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.core.api import PageParams, capped_limit, page
from vinculo.core.tests.api_client import ApiClient
from vinculo.customer360.models import Note
from vinculo.org.models import ExchangeRate, Territory

pytestmark = pytest.mark.django_db

CAP = 200
ASKED = [(1, 1), (25, 25), (199, 199), (200, 200), (201, 200), (5_000, 200), (10**9, 200)]


@pytest.fixture
def accounts_201(org):
    """201 accounts the admin sees: the org's two and 199 more."""
    Account.objects.bulk_create([AccountFactory.build(owner=org.vendedor_norte) for _ in range(199)])
    assert Account.objects.count() == 201
    return Account.objects.all()


@pytest.mark.parametrize("limit, expected", [(199, 199), (200, 200), (201, 200), (5_000, 200), (10**9, 200)])
def test_capped_limit_never_exceeds_200(limit, expected):
    assert capped_limit(PageParams(limit=limit, offset=0)) == expected


def test_page_returns_at_most_200_rows_and_counts_them_all(accounts_201):
    for limit, expected in ASKED:
        result = page(accounts_201.order_by("pk"), PageParams(limit=limit, offset=0))
        assert (len(result["items"]), result["count"]) == (expected, 201), limit
    rest = page(accounts_201.order_by("pk"), PageParams(limit=201, offset=200))
    assert (len(rest["items"]), rest["count"]) == (1, 201)


@pytest.mark.parametrize("limit, expected", ASKED)
def test_accounts_api_answers_at_most_200_items(org, accounts_201, limit, expected):
    body = ApiClient(org.admin).get("/accounts", limit=limit).json()
    assert (len(body["items"]), body["count"]) == (expected, 201)


def test_accounts_api_pages_without_overlap_at_the_cap(org, accounts_201):
    api = ApiClient(org.admin)
    first = [item["id"] for item in api.get("/accounts", limit=5_000).json()["items"]]
    second = [item["id"] for item in api.get("/accounts", limit=5_000, offset=200).json()["items"]]
    assert (len(first), len(second)) == (200, 1)
    assert set(first) | set(second) == set(accounts_201.values_list("pk", flat=True))


def test_accounts_api_default_page_is_25_items(org, accounts_201):
    assert len(ApiClient(org.admin).get("/accounts").json()["items"]) == 25


@pytest.mark.parametrize("limit", [0, -1])
def test_a_limit_below_1_is_refused(org, limit):
    assert ApiClient(org.admin).get("/accounts", limit=limit).status_code == 422


def test_exchange_rates_list_answers_at_most_200_items(org):
    start = datetime.date(2025, 1, 1)
    ExchangeRate.objects.bulk_create([
        ExchangeRate(currency="USD", date=start + datetime.timedelta(days=n), rate=Decimal("950")) for n in range(201)
    ])
    api = ApiClient(org.admin)
    assert len(api.get("/exchange-rates", limit=200).json()["items"]) == 200
    body = api.get("/exchange-rates", limit=201).json()
    assert (len(body["items"]), body["count"]) == (200, 201)


def test_territory_list_paged_in_python_answers_at_most_200_items(org):
    Territory.objects.bulk_create([Territory(name=f"Zona {n:03d}") for n in range(201)])
    Territory.objects.update(path=Concat(Cast("pk", CharField()), Value("/")))
    api = ApiClient(org.admin)
    assert len(api.get("/territories", limit=199).json()["items"]) == 199
    body = api.get("/territories", limit=5_000).json()
    assert (len(body["items"]), body["count"]) == (200, 201)


def test_account_timeline_answers_at_most_200_entries(org):
    Note.objects.bulk_create([Note(account=org.north_account, body=f"Nota {n}") for n in range(201)])
    api = ApiClient(org.vendedor_norte)
    path = f"/accounts/{org.north_account.pk}/timeline"
    assert len(api.get(path, limit=200).json()["items"]) == 200
    body = api.get(path, limit=201).json()
    assert (len(body["items"]), body["count"]) == (200, 201)


def test_every_paged_endpoint_documents_the_cap_of_200(client):
    schema = client.get("/api/v1/openapi.json").json()
    limits = {
        (path, method): parameter
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "limit"
    }
    paged = {
        (path, method)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if {"items", "count"} <= set(schema_of(schema, operation))
    }
    assert set(limits) == paged  # a page answer without `limit` would page by its own rule
    assert len(limits) >= 20  # every record type, plus territories, teams, rates, file versions, the timeline
    for where, parameter in limits.items():
        assert parameter["description"] == "Page size, at most 200.", where
        assert parameter["schema"]["default"] == 25, where


def schema_of(schema, operation) -> dict:
    """The properties of an operation's 200 answer."""
    content = operation.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
    ref = content.get("schema", {}).get("$ref", "")
    return schema["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {}).get("properties", {}) if ref else {}
