"""Bad input answers a clear error naming the field, never a 500 and never a silently different value: the
cases schemathesis found (issue 9), each pinned at its boundary. Domain cases live beside their app
(sales/tests/test_api_bad_input.py, org/tests/test_exchange_rate_limits.py)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from vinculo.accounts.models import Account, Invoice
from vinculo.contacts.models import Contact
from vinculo.core.api import MAX_INT, MAX_OFFSET, TEXT_MAX_LENGTH
from vinculo.core.tests.api_client import BASE, ApiClient, error_fields
from vinculo.customer360.models import Contract, Note
from vinculo.customer360.tests.factories import ContractFactory

pytestmark = pytest.mark.django_db


def fields_and_status(response):
    return response.status_code, error_fields(response)


# ---------- numbers beyond 64 bits, offsets, days ----------

def test_an_offset_at_its_bound_pages_and_past_it_is_refused(org):
    api = ApiClient(org.vendedor_norte)
    assert api.get("/accounts", offset=MAX_OFFSET).json()["items"] == []
    assert fields_and_status(api.get("/accounts", offset=MAX_OFFSET + 1)) == (422, {"offset"})
    assert fields_and_status(api.get("/accounts", offset=2**63)) == (422, {"offset"})
    assert fields_and_status(api.get("/exchange-rates", offset=2**64)) == (422, {"offset"})


def test_ids_in_filters_beyond_64_bits_are_refused_naming_the_filter(org):
    api = ApiClient(org.vendedor_norte)
    assert api.get("/contacts", account=MAX_INT).json()["count"] == 0
    assert fields_and_status(api.get("/contacts", account=MAX_INT + 1)) == (422, {"account"})
    assert fields_and_status(api.get("/contacts", account=-(2**80))) == (422, {"account"})
    assert fields_and_status(api.get("/payments", account=2**124)) == (422, {"account"})


def test_ids_in_payloads_beyond_64_bits_are_refused_naming_the_field(org):
    api = ApiClient(org.vendedor_norte)
    response = api.post("/notes", {"account": 2**72, "title": "Visita", "body": "x"})
    assert fields_and_status(response) == (422, {"account"})
    response = api.post("/contacts", {"last_name": "Rojas", "account": -(2**70)})
    assert fields_and_status(response) == (422, {"account"})


def test_a_record_id_in_the_path_beyond_64_bits_is_not_found(org):
    api = ApiClient(org.vendedor_norte)
    assert api.get(f"/accounts/{MAX_INT}").status_code == 404
    assert api.get(f"/accounts/{2**64}").status_code in (404, 422)
    assert api.get(f"/quotes/{2**64}").status_code in (404, 422)
    assert api.delete(f"/exchange-rates/{2**64}").status_code in (404, 422)


def test_expiring_within_is_bounded(org):
    ContractFactory(account=org.north_account, status=Contract.Status.ACTIVE,
                    end_date=datetime.date.today() + datetime.timedelta(days=400))
    api = ApiClient(org.vendedor_norte)
    assert api.get("/contracts", expiring_within=36500).json()["count"] == 1
    assert fields_and_status(api.get("/contracts", expiring_within=36501)) == (422, {"expiring_within"})
    assert fields_and_status(api.get("/contracts", expiring_within=10**12)) == (422, {"expiring_within"})


# ---------- text ----------

def test_a_lone_surrogate_in_a_text_field_is_refused(org):
    api = ApiClient(org.vendedor_norte)
    # Written as JSON escapes: a lone surrogate is not Unicode text and cannot be encoded as UTF-8.
    body = f'{{"account": {org.north_account.pk}, "title": "Visita \\ud800", "body": "x"}}'
    response = api.client.post(f"{BASE}/notes", body, content_type="application/json")
    assert fields_and_status(response) == (422, {"title"})
    assert not Note.objects.exists()


@pytest.mark.parametrize("path, payload, field", [
    ("/accounts", {"legal_name": "   "}, "legal_name"),
    ("/contacts", {"last_name": " \t "}, "last_name"),
    ("/competitors", {"name": "  "}, "name"),
    ("/campaigns", {"name": "   "}, "name"),
])
def test_a_name_of_only_spaces_is_refused(org, path, payload, field):
    response = ApiClient(org.admin).post(path, payload)
    assert fields_and_status(response) == (422, {field})


def test_names_are_stored_without_surrounding_spaces(org):
    api = ApiClient(org.vendedor_norte)
    response = api.post("/accounts", {"legal_name": "  Minera Sur Ltda.  "})
    assert response.status_code == 201
    assert Account.objects.get(pk=response.json()["id"]).legal_name == "Minera Sur Ltda."
    account = Account.objects.get(pk=response.json()["id"])
    response = api.patch(f"/accounts/{account.pk}", {"legal_name": "   ", "version": account.version})
    assert fields_and_status(response) == (422, {"legal_name"})


def test_text_fields_have_a_documented_maximum_length(org):
    api = ApiClient(org.vendedor_norte)
    note = {"account": org.north_account.pk, "title": "Acta"}
    assert api.post("/notes", {**note, "body": "x" * TEXT_MAX_LENGTH}).status_code == 201
    assert fields_and_status(api.post("/notes", {**note, "body": "x" * (TEXT_MAX_LENGTH + 1)})) == (422, {"body"})
    assert fields_and_status(api.post("/notes", {**note, "body": "x" * 10_000_000})) == (422, {"body"})
    document = Client().get(f"{BASE}/openapi.json").json()
    assert document["components"]["schemas"]["NoteCreate"]["properties"]["body"]["maxLength"] == TEXT_MAX_LENGTH


# ---------- strict types ----------

def test_true_is_not_read_as_the_id_1(org):
    api = ApiClient(org.admin)
    response = api.post("/notes", {"account": True, "title": "Visita", "body": "x"})
    assert fields_and_status(response) == (422, {"account"})
    response = api.post("/contacts", {"last_name": "Rojas", "account": True})
    assert fields_and_status(response) == (422, {"account"})
    assert not Contact.objects.filter(last_name="Rojas").exists()
    response = api.post("/activities", {"kind": "call", "subject": "x", "account": org.north_account.pk,
                                        "contacts": [True]})
    assert response.status_code == 422 and "contacts" in error_fields(response)


def test_a_boolean_field_still_takes_true(org):
    response = ApiClient(org.admin).post("/campaigns", {"name": "Feria", "is_active": True})
    assert response.status_code in (201, 422)
    if response.status_code == 422:  # no such field: the point is only that booleans are not refused as such
        assert "is_active" in error_fields(response)


# ---------- currencies ----------

@pytest.mark.parametrize("currency", ["XXX", "€", "usd", "", "USDX"])
def test_invoices_contracts_and_accounts_take_only_configured_currencies(org, currency):
    api = ApiClient(org.admin)
    invoice = {"account": org.north_account.pk, "number": "F-1", "issue_date": "2026-11-01",
               "due_date": "2026-12-01", "amount": "1000", "currency": currency}
    assert fields_and_status(api.post("/invoices", invoice)) == (422, {"currency"})
    contract = {"account": org.north_account.pk, "number": "C-1", "start_date": "2026-01-01",
                "currency": currency}
    assert fields_and_status(api.post("/contracts", contract)) == (422, {"currency"})
    assert fields_and_status(api.post("/accounts", {"legal_name": "Nueva SpA", "currency": currency})) == (
        422, {"currency"})
    assert not Invoice.objects.exists() and not Contract.objects.exists()


@pytest.mark.parametrize("currency", ["CLP", "CLF", "USD", "EUR"])
def test_every_configured_currency_is_taken(org, currency):
    api = ApiClient(org.admin)
    invoice = {"account": org.north_account.pk, "number": f"F-{currency}", "issue_date": "2026-11-01",
               "due_date": "2026-12-01", "amount": "1000", "currency": currency}
    response = api.post("/invoices", invoice)
    assert response.status_code == 201 and response.json()["currency"] == currency


def test_the_document_lists_the_configured_currencies(org):
    document = Client().get(f"{BASE}/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert schemas["Currency"]["enum"] == ["CLP", "CLF", "USD", "EUR"]
    for name in ("InvoiceCreate", "ContractCreate", "AccountCreate"):
        assert "Currency" in str(schemas[name]["properties"]["currency"]), name


# ---------- requests the API cannot read ----------

def test_an_upload_without_a_multipart_boundary_is_a_400(org):
    api = ApiClient(org.admin)
    for path in ("/files", "/exchange-rates/import", f"/files/{2**40}/versions"):
        response = api.client.post(f"{BASE}{path}", b"--x\r\n", content_type="multipart/form-data")
        assert response.status_code in (400, 404), path
        assert response["Content-Type"].startswith("application/json")
    response = api.client.post(f"{BASE}/files", b"--x\r\n", content_type="multipart/form-data")
    assert response.status_code == 400 and "boundary" in response.json()["detail"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_any_method_on_an_unknown_api_path_answers_a_json_404(org, method):
    # With a session (as the browser's pages call the API), the CSRF check used to answer first, in HTML.
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.vendedor_norte)
    response = getattr(client, method)(f"{BASE}/no-such-thing/1", "{}", content_type="application/json")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
    response = getattr(client, method)(f"{BASE}/accounts/null,null", "{}", content_type="application/json")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    response = getattr(client, method)(f"{BASE}/competitors/%C2%AF%0Ax/deals", "{}", content_type="application/json")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")


def test_a_known_path_still_checks_csrf_for_a_session(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.vendedor_norte)
    response = client.post(f"{BASE}/accounts", {"legal_name": "Nueva SpA"}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert not Account.objects.filter(legal_name="Nueva SpA").exists()


def test_every_operation_documents_the_errors_any_request_may_meet():
    document = Client().get(f"{BASE}/openapi.json").json()
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            assert {"400", "401", "404", "422"} <= set(operation["responses"]), f"{method.upper()} {path}"


def test_a_file_upload_is_unaffected(org):
    api = ApiClient(org.vendedor_norte)
    upload = SimpleUploadedFile("acta.txt", b"hola", content_type="text/plain")
    response = api.client.post(f"{BASE}/files", {"account": org.north_account.pk, "file": upload})
    assert response.status_code == 201


def test_a_number_is_not_read_as_a_date_or_as_false(org):
    api = ApiClient(org.admin)
    # Lax parsing read 0 as 1 January 1970 and as false.
    assert fields_and_status(api.get("/contracts", start_date_to=0)) == (422, {"start_date_to"})
    assert fields_and_status(api.get("/invoices", issue_date_to="1700000000")) == (422, {"issue_date_to"})
    assert api.get("/contracts", start_date_to="2026-11-23").status_code == 200
    response = api.post("/territories/apply-rules", {"only_unassigned": 0, "target": "both"})
    assert fields_and_status(response) == (422, {"only_unassigned"})
    note = {"account": org.north_account.pk, "title": "Visita", "body": "x"}
    contract = {"account": org.north_account.pk, "number": "C-9", "start_date": 0}
    assert fields_and_status(api.post("/contracts", contract)) == (422, {"start_date"})
    assert api.post("/notes", note).status_code == 201
