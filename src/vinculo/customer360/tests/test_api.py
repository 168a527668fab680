"""The API of an account's related records: /assets, /contracts, /invoices, /payments, /notes, /files,
/content-deliveries, and /accounts/{id}/sales."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from vinculo.accounts import services
from vinculo.accounts.models import AccountTeamMember, Invoice, Payment
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core.models import ChangeLog
from vinculo.core.tests.api_client import BASE, ApiClient, error_fields
from vinculo.customer360 import services as customer360_services
from vinculo.customer360.models import (
    ContentDelivery,
    Contract,
    CustomerAsset,
    Document,
    DocumentVersion,
    Note,
)

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 15)
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("vinculo.core.clock.now", lambda: timezone.make_aware(datetime(2025, 6, 15, 12, 0)))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


def restrict_invoice_amounts(settings, **more):
    settings.VINCULO = {**settings.VINCULO, "INVOICE_AMOUNTS_RESTRICTED": True, **more}


def make_asset(account):
    return CustomerAsset.objects.create(account=account, product_name="Compresor GA-30", serial_number="SN-001")


def make_contract(account, **fields):
    fields = {"number": f"C-{account.pk}", "start_date": date(2024, 1, 1), "end_date": date(2025, 12, 31), **fields}
    return Contract.objects.create(account=account, **fields)


def make_invoice(account, number=None, amount="1000.00", issue_date=date(2025, 5, 2), due_date=None, **fields):
    invoice = Invoice(account=account, number=number or f"F-{Invoice.all_objects.count() + 1}", amount=Decimal(amount),
                      issue_date=issue_date, due_date=due_date or issue_date + timedelta(days=30), **fields)
    return services.create_invoice(invoice, by=None)


def make_payment(account):
    invoice = make_invoice(account)
    return services.register_payment(Payment(invoice=invoice, paid_on=TODAY, amount=Decimal("100")), by=None)


def make_note(account):
    return Note.objects.create(account=account, title="Visita", body="Pidió cotizar repuestos")


def make_delivery(account):
    return ContentDelivery.objects.create(account=account, title="Catálogo 2025", delivered_on=TODAY)


def upload(name="propuesta.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def make_file(account):
    return customer360_services.add_document_version(Document(account=account, title="Propuesta"), upload(), by=None).document


# path → (make a record under an account, a valid creation payload under the north account, a change)
RESOURCES = {
    "/assets": (make_asset, lambda org: {"account": org.north_account.pk, "product_name": "Bomba"},
                {"serial_number": "SN-9"}),
    "/contracts": (make_contract, lambda org: {"account": org.north_account.pk, "number": "C-9",
                                               "start_date": "2025-01-01"}, {"description": "Renovado"}),
    "/invoices": (make_invoice, lambda org: {"account": org.north_account.pk, "number": "F-9", "amount": "500",
                                             "issue_date": "2025-06-01", "due_date": "2025-07-01"},
                  {"external_ref": "ERP-1"}),
    "/payments": (make_payment, lambda org: {"invoice": make_invoice(org.north_account, number="F-P").pk,
                                             "amount": "10"}, {"reference": "TRX-1"}),
    "/notes": (make_note, lambda org: {"account": org.north_account.pk, "body": "Llamar en julio"},
               {"title": "Seguimiento"}),
    "/files": (make_file, None, {"title": "Propuesta final"}),
    "/content-deliveries": (make_delivery, lambda org: {"account": org.north_account.pk, "title": "Ficha técnica"},
                            {"notes": "Enviada por correo"}),
}
MODELS = {"/assets": CustomerAsset, "/contracts": Contract, "/invoices": Invoice, "/payments": Payment,
          "/notes": Note, "/files": Document, "/content-deliveries": ContentDelivery}
# who → (sees vendedor.norte's records, sees vendedor.sur's records)
MATRIX = {
    "admin": (True, True),
    "gerente_norte": (True, False),
    "vendedor_norte": (True, False),
    "vendedor_norte2": (False, False),
    "vendedor_sur": (False, True),
}


def create(api, path, org, account=None):
    """POST a valid new record under `account` (the north account by default)."""
    account = account or org.north_account
    if path == "/files":
        return api.client.post(f"{BASE}/files", {"account": account.pk, "file": upload()})
    payload = RESOURCES[path][1](org)
    if "account" in payload:
        payload["account"] = account.pk
    return api.post(path, payload)


@pytest.mark.parametrize("path", RESOURCES)
@pytest.mark.parametrize("who", MATRIX)
def test_list_shows_exactly_the_records_of_accounts_the_user_may_see(org, path, who):
    make = RESOURCES[path][0]
    north, south = make(org.north_account), make(org.south_account)
    response = ApiClient(getattr(org, who)).get(path)
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["items"]}
    assert (north.pk in ids, south.pk in ids) == MATRIX[who]
    assert response.json()["count"] == len(ids)


@pytest.mark.parametrize("path", RESOURCES)
def test_outsider_gets_404_like_a_missing_record_on_read_change_and_delete(org, path):
    record = RESOURCES[path][0](org.north_account)
    api = ApiClient(org.vendedor_sur)
    missing = api.get(f"{path}/999999")
    assert missing.status_code == 404
    assert api.get(f"{path}/{record.pk}").content == missing.content
    assert api.patch(f"{path}/{record.pk}", {**RESOURCES[path][2], "version": 1}).status_code == 404
    assert api.delete(f"{path}/{record.pk}").status_code == 404
    record.refresh_from_db()
    assert (record.version, record.deleted_at) == (1, None)


@pytest.mark.parametrize("path", RESOURCES)
def test_manager_above_the_owner_reads_changes_and_deletes(org, path):
    record = RESOURCES[path][0](org.north_account)
    api = ApiClient(org.gerente_norte)
    read = api.get(f"{path}/{record.pk}")
    assert (read.status_code, read["ETag"], read.json()["account"]["id"]) == (200, f'"{record.version}"',
                                                                            org.north_account.pk)
    changed = api.patch(f"{path}/{record.pk}", {**RESOURCES[path][2], "version": record.version})
    assert changed.status_code == 200
    field, value = next(iter(RESOURCES[path][2].items()))
    assert (changed.json()[field], changed.json()["version"]) == (value, record.version + 1)
    assert api.delete(f"{path}/{record.pk}").status_code == 204
    assert api.get(f"{path}/{record.pk}").status_code == 404
    assert MODELS[path].all_objects.get(pk=record.pk).deleted_by == org.gerente_norte


@pytest.mark.parametrize("path", RESOURCES)
def test_read_only_team_member_reads_but_gets_403_on_every_write(org, path):
    record = RESOURCES[path][0](org.north_account)
    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_sur)
    api = ApiClient(org.vendedor_sur)
    before = MODELS[path].all_objects.count()
    assert api.get(f"{path}/{record.pk}").status_code == 200
    assert api.patch(f"{path}/{record.pk}", {**RESOURCES[path][2], "version": 1}).status_code == 403
    assert api.delete(f"{path}/{record.pk}").status_code == 403
    refused = create(api, path, org)
    assert refused.status_code == 403
    assert "detail" in refused.json()
    record.refresh_from_db()
    assert (record.version, record.deleted_at) == (1, None)
    assert MODELS[path].all_objects.count() == before


@pytest.mark.parametrize("path", RESOURCES)
def test_creating_under_an_account_the_user_may_not_see_is_refused_like_a_missing_one(org, path, media):
    api = ApiClient(org.vendedor_sur)
    before = MODELS[path].all_objects.count()
    hidden = create(api, path, org)
    assert hidden.status_code == 422
    assert error_fields(hidden) == {"invoice" if path == "/payments" else "account"}
    assert "There is no" in hidden.json()["detail"][0]["message"]
    assert MODELS[path].all_objects.count() == before
    assert len(stored_files(media)) == 0


@pytest.mark.parametrize("path", RESOURCES)
def test_owner_creates_a_record_that_answers_201_and_has_history(org, path):
    response = create(ApiClient(org.vendedor_norte), path, org)
    assert response.status_code == 201
    data = response.json()
    assert (data["account"], data["version"]) == ({"id": org.north_account.pk, "name": str(org.north_account)}, 1)
    record = MODELS[path].objects.get(pk=data["id"])
    assert record.created_by == org.vendedor_norte
    assert record.history().filter(action=ChangeLog.Action.CREATE).exists()


@pytest.mark.parametrize("path", RESOURCES)
def test_stale_version_is_refused_with_409_and_the_first_change_survives(org, path):
    record = RESOURCES[path][0](org.north_account)
    field, value = next(iter(RESOURCES[path][2].items()))
    first = ApiClient(org.vendedor_norte).patch(f"{path}/{record.pk}", {field: value, "version": 1})
    second = ApiClient(org.gerente_norte).patch(f"{path}/{record.pk}", {field: "Otra cosa", "version": 1})
    assert (first.status_code, second.status_code) == (200, 409)
    record.refresh_from_db()
    assert getattr(record, field) == value


@pytest.mark.parametrize("path", ["/assets", "/notes", "/content-deliveries"])
def test_patch_cannot_move_a_record_to_another_account(org, path):
    record = RESOURCES[path][0](org.north_account)
    other = AccountFactory(owner=org.vendedor_norte)
    response = ApiClient(org.vendedor_norte).patch(f"{path}/{record.pk}", {"account": other.pk, "version": 1})
    assert response.status_code == 422
    assert error_fields(response) == {"account"}
    record.refresh_from_db()
    assert record.account == org.north_account


def test_contact_the_user_may_not_see_is_refused_like_a_missing_one(org):
    api = ApiClient(org.vendedor_norte)
    payload = {"account": org.north_account.pk, "product_name": "Bomba"}
    hidden = api.post("/assets", {**payload, "contact": org.south_contact.pk})
    assert hidden.status_code == 422
    assert error_fields(hidden) == {"contact"}
    assert api.post("/assets", {**payload, "contact": org.north_contact.pk}).json()["contact"] == {
        "id": org.north_contact.pk, "name": str(org.north_contact)
    }
    assert CustomerAsset.objects.count() == 1


def test_a_linked_contact_is_named_only_to_those_who_may_see_it(org):
    asset = CustomerAsset.objects.create(account=org.north_account, product_name="Bomba", contact=org.south_contact)
    assert ApiClient(org.vendedor_norte).get(f"/assets/{asset.pk}").json()["contact"] is None
    assert ApiClient(org.admin).get(f"/assets/{asset.pk}").json()["contact"]["id"] == org.south_contact.pk
    # Changing another field keeps the link the editor cannot see.
    changed = ApiClient(org.vendedor_norte).patch(f"/assets/{asset.pk}", {"status": "retired", "version": 1})
    assert changed.status_code == 200
    asset.refresh_from_db()
    assert asset.contact == org.south_contact


@pytest.mark.parametrize(("payload", "field"), [
    ({"number": "C-1"}, "start_date"),
    ({"number": "C-1", "start_date": "2025-01-01", "end_date": "2024-12-31"}, "end_date"),
    ({"number": "C-1", "start_date": "2025-01-01", "status": "signed"}, "status"),
    ({"number": "C-1", "start_date": "2025-01-01", "id": 4}, "id"),
])
def test_bad_contract_input_names_the_field_and_stores_nothing(org, payload, field):
    response = ApiClient(org.vendedor_norte).post("/contracts", {"account": org.north_account.pk, **payload})
    assert response.status_code == 422
    assert field in error_fields(response)
    assert not Contract.all_objects.exists()


def test_lists_filter_search_and_order(org):
    make_contract(org.north_account, number="C-SOON", end_date=TODAY + timedelta(days=20))
    make_contract(org.north_account, number="C-LATER", end_date=TODAY + timedelta(days=200))
    make_contract(org.north_account, number="C-GONE", end_date=TODAY + timedelta(days=10),
                  status=Contract.Status.TERMINATED)
    make_contract(org.south_account, number="C-SUR", end_date=TODAY + timedelta(days=5))
    api = ApiClient(org.vendedor_norte)

    def numbers(path, **params):
        response = api.get(path, **params)
        assert response.status_code == 200, response.content
        return [item["number"] for item in response.json()["items"]]

    assert numbers("/contracts", expiring_within=60) == ["C-SOON"]
    assert numbers("/contracts", status="terminated") == ["C-GONE"]
    assert numbers("/contracts", q="later") == ["C-LATER"]
    assert numbers("/contracts", ordering="-end_date") == ["C-LATER", "C-SOON", "C-GONE"]
    assert numbers("/contracts", end_date_from="2025-07-01", end_date_to="2025-07-31") == ["C-SOON"]
    assert numbers("/contracts", account=org.south_account.pk) == []
    refused = api.get("/contracts", ordering="secret")
    assert (refused.status_code, error_fields(refused)) == (422, {"ordering"})
    assert error_fields(api.get("/contracts", status="signed")) == {"status"}


def test_invoice_filters_flag_overdue_ones(org):
    late = make_invoice(org.north_account, number="F-LATE", issue_date=date(2025, 3, 1))
    make_invoice(org.north_account, number="F-OPEN", issue_date=date(2025, 6, 1))
    paid = make_invoice(org.north_account, number="F-PAID", issue_date=date(2025, 3, 1))
    services.register_payment(Payment(invoice=paid, paid_on=TODAY, amount=paid.amount), by=None)
    api = ApiClient(org.vendedor_norte)

    def numbers(**params):
        return sorted(item["number"] for item in api.get("/invoices", **params).json()["items"])

    assert numbers(overdue="true") == ["F-LATE"]
    assert numbers(overdue="false") == ["F-OPEN", "F-PAID"]
    assert numbers(issue_date_from="2025-05-01") == ["F-OPEN"]
    assert numbers(status="paid") == ["F-PAID"]
    assert api.get(f"/invoices/{late.pk}").json()["is_overdue"] is True


def test_invoice_balance_starts_at_the_amount_and_cannot_be_written(org):
    api = ApiClient(org.vendedor_norte)
    created = api.post("/invoices", RESOURCES["/invoices"][1](org))
    assert created.status_code == 201
    assert (created.json()["amount"], created.json()["balance"], created.json()["status"]) == ("500.00", "500.00",
                                                                                              "issued")
    path = f"/invoices/{created.json()['id']}"
    refused = api.patch(path, {"balance": "0", "version": 1})
    assert (refused.status_code, error_fields(refused)) == (422, {"balance"})
    assert error_fields(api.patch(path, {"status": "paid", "version": 1})) == {"status"}
    lowered = api.patch(path, {"amount": "300", "version": 1}).json()
    assert (lowered["amount"], lowered["balance"]) == ("300.00", "300.00")


def test_payments_reduce_the_balance_and_over_payment_is_refused(org):
    invoice = make_invoice(org.north_account, amount="1000")
    api = ApiClient(org.vendedor_norte)
    first = api.post("/payments", {"invoice": invoice.pk, "amount": "400", "paid_on": "2025-06-10"})
    assert first.status_code == 201
    assert (first.json()["invoice"]["id"], first.json()["account"]["id"]) == (invoice.pk, org.north_account.pk)
    state = api.get(f"/invoices/{invoice.pk}").json()
    assert (state["balance"], state["status"]) == ("600.00", "partially_paid")

    too_much = api.post("/payments", {"invoice": invoice.pk, "amount": "600.01"})
    assert too_much.status_code == 422
    assert error_fields(too_much) == {"amount"}
    assert Payment.all_objects.count() == 1

    rest = api.post("/payments", {"invoice": invoice.pk, "amount": "600"})
    assert rest.json()["paid_on"] == TODAY.isoformat()
    state = api.get(f"/invoices/{invoice.pk}").json()
    assert (state["balance"], state["status"]) == ("0.00", "paid")

    assert api.delete(f"/payments/{first.json()['id']}").status_code == 204
    state = api.get(f"/invoices/{invoice.pk}").json()
    assert (state["balance"], state["status"]) == ("400.00", "partially_paid")
    assert api.get("/payments", invoice=invoice.pk).json()["count"] == 1


def test_payment_amount_cannot_change_and_drafts_take_no_payments(org):
    payment = make_payment(org.north_account)
    api = ApiClient(org.vendedor_norte)
    refused = api.patch(f"/payments/{payment.pk}", {"amount": "1", "version": 1})
    assert (refused.status_code, error_fields(refused)) == (422, {"amount"})
    draft = make_invoice(org.north_account, status=Invoice.Status.DRAFT)
    on_draft = api.post("/payments", {"invoice": draft.pk, "amount": "1"})
    assert (on_draft.status_code, error_fields(on_draft)) == (422, {"invoice"})


def test_amounts_are_present_when_the_org_does_not_restrict_them(org):
    payment = make_payment(org.north_account)
    api = ApiClient(org.vendedor_norte)
    assert {"amount", "balance"} <= set(api.get(f"/invoices/{payment.invoice_id}").json())
    assert api.get(f"/payments/{payment.pk}").json()["amount"] == "100.00"
    assert api.get(f"/accounts/{org.north_account.pk}/sales").status_code == 200


@pytest.mark.parametrize("who", ["vendedor_norte", "gerente_norte"])
def test_restricted_amounts_are_absent_and_unwritable_without_the_permission(org, settings, who):
    restrict_invoice_amounts(settings)
    payment = make_payment(org.north_account)
    api = ApiClient(getattr(org, who))
    for data in (api.get(f"/invoices/{payment.invoice_id}").json(), api.get("/invoices").json()["items"][0]):
        assert not {"amount", "balance"} & set(data)
        assert data["number"] == payment.invoice.number
    for data in (api.get(f"/payments/{payment.pk}").json(), api.get("/payments").json()["items"][0]):
        assert "amount" not in data
        assert data["reference"] == ""
    assert error_fields(api.get("/invoices", ordering="balance")) == {"ordering"}
    refused = api.patch(f"/invoices/{payment.invoice_id}", {"amount": "1", "version": payment.invoice.version})
    assert (refused.status_code, error_fields(refused)) == (422, {"amount"})
    created = api.post("/invoices", RESOURCES["/invoices"][1](org))
    assert (created.status_code, error_fields(created)) == (422, {"amount"})
    sales = api.get(f"/accounts/{org.north_account.pk}/sales")
    assert sales.status_code == 403
    assert "view financial data" in sales.json()["detail"]


@pytest.mark.parametrize("who", ["finance", "admin"])
def test_restricted_amounts_are_present_with_the_permission(org, settings, who):
    restrict_invoice_amounts(settings)
    payment = make_payment(org.north_account)
    api = ApiClient(getattr(org, who))
    invoice = api.get(f"/invoices/{payment.invoice_id}").json()
    assert (invoice["amount"], invoice["balance"]) == ("1000.00", "900.00")
    assert api.get("/payments").json()["items"][0]["amount"] == "100.00"
    assert api.get(f"/accounts/{org.north_account.pk}/sales").json()["outstanding"] == "900.00"


# Files

def test_file_versions_upload_list_and_download_with_their_own_bytes(org, media):
    api = ApiClient(org.vendedor_norte)
    first = api.client.post(f"{BASE}/files", {"account": org.north_account.pk, "file": upload(content=PDF + b"v1"),
                                              "comment": "Borrador"})
    assert first.status_code == 201, first.content
    document = first.json()
    assert (document["title"], document["version_count"]) == ("propuesta.pdf", 1)
    assert document["current_version"]["number"] == 1
    assert document["current_version"]["uploaded_by"]["id"] == org.vendedor_norte.pk

    path = f"{BASE}/files/{document['id']}/versions"
    second = api.client.post(path, {"file": upload("propuesta-v2.pdf", PDF + b"v2"), "comment": "Final"})
    assert second.status_code == 201, second.content
    assert (second.json()["number"], second.json()["file_name"], second.json()["comment"]) == (
        2, "propuesta-v2.pdf", "Final")

    versions = api.get(f"/files/{document['id']}/versions").json()
    assert versions["count"] == 2
    assert [version["number"] for version in versions["items"]] == [2, 1]
    for version, content in zip(versions["items"], [PDF + b"v2", PDF + b"v1"], strict=True):
        download = api.client.get(version["download_url"])
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == content
        assert download["Content-Type"] == "application/pdf"
        assert download["Content-Disposition"].startswith("attachment;")
    assert api.get(f"/files/{document['id']}").json()["current_version"]["number"] == 2
    assert len(stored_files(media)) == 2


def test_downloads_check_permission_first(org):
    document = make_file(org.north_account)
    url = f"/files/{document.pk}/versions/1/download"
    assert ApiClient(org.vendedor_norte).get(url).status_code == 200
    outsider = ApiClient(org.vendedor_sur)
    assert outsider.get(url).status_code == 404
    assert outsider.get(f"/files/{document.pk}/versions").status_code == 404
    assert ApiClient(org.vendedor_norte).get(f"/files/{document.pk}/versions/7/download").status_code == 404
    assert ApiClient(org.admin).get(url).status_code == 200
    assert document.versions.get().file.name not in ApiClient(org.vendedor_norte).get(f"/files/{document.pk}").content.decode()


def test_read_only_member_downloads_but_cannot_add_a_version(org, media):
    document = make_file(org.north_account)
    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_sur)
    api = ApiClient(org.vendedor_sur)
    assert api.get(f"/files/{document.pk}/versions/1/download").status_code == 200
    refused = api.client.post(f"{BASE}/files/{document.pk}/versions", {"file": upload()})
    assert refused.status_code == 403
    assert document.versions.count() == 1
    assert len(stored_files(media)) == 1


@pytest.mark.parametrize(("name", "content"), [
    ("pagina.html", b"<html><script>alert(1)</script></html>"),
    ("programa.exe", b"MZ\x90\x00"),
    ("falso.pdf", b"no es un pdf"),
])
def test_refused_file_types_answer_422_naming_file_and_store_nothing(org, media, name, content):
    api = ApiClient(org.vendedor_norte)
    response = api.client.post(f"{BASE}/files", {"account": org.north_account.pk, "file": upload(name, content)})
    assert response.status_code == 422
    assert error_fields(response) == {"file"}
    assert (Document.all_objects.count(), DocumentVersion.objects.count(), stored_files(media)) == (0, 0, [])


def test_files_over_the_size_limit_are_refused_and_nothing_is_stored(org, settings, media):
    settings.VINCULO = {**settings.VINCULO, "MAX_UPLOAD_MB": 1}
    document = make_file(org.north_account)
    big = upload("grande.pdf", PDF + b"0" * (1024 * 1024))
    api = ApiClient(org.vendedor_norte)
    first = api.client.post(f"{BASE}/files", {"account": org.north_account.pk, "file": big})
    big.seek(0)
    new_version = api.client.post(f"{BASE}/files/{document.pk}/versions", {"file": big})
    for response in (first, new_version):
        assert response.status_code == 422
        assert error_fields(response) == {"file"}
        assert "limit is 1 MB" in response.json()["detail"][0]["message"]
    assert (Document.all_objects.count(), DocumentVersion.objects.count()) == (1, 1)
    assert len(stored_files(media)) == 1


def test_upload_without_a_file_names_the_file_field(org):
    response = ApiClient(org.vendedor_norte).client.post(f"{BASE}/files", {"account": org.north_account.pk})
    assert response.status_code == 422
    assert error_fields(response) == {"file"}


# Sales

def test_sales_figures_equal_sums_of_the_invoices(org):
    account = org.north_account
    rows = [  # (issue date, amount, paid, status)
        (date(2025, 6, 3), "100", "0", Invoice.Status.ISSUED),
        (date(2025, 6, 14), "250", "250", Invoice.Status.ISSUED),
        (date(2025, 4, 20), "400", "100", Invoice.Status.ISSUED),
        (date(2025, 2, 1), "800", "0", Invoice.Status.ISSUED),
        (date(2024, 12, 31), "1600", "0", Invoice.Status.ISSUED),
        (date(2024, 6, 10), "3200", "3200", Invoice.Status.ISSUED),
        (date(2024, 6, 20), "6400", "6400", Invoice.Status.ISSUED),  # after today's day last year
        (date(2024, 3, 5), "12800", "12800", Invoice.Status.ISSUED),
        (date(2025, 6, 1), "99999", "0", Invoice.Status.DRAFT),
        (date(2025, 5, 1), "99999", "0", Invoice.Status.CANCELLED),
    ]
    invoices = []
    for issued, amount, paid, status in rows:
        invoice = make_invoice(account, amount=amount, issue_date=issued, status=status)
        if Decimal(paid):
            services.register_payment(Payment(invoice=invoice, paid_on=issued, amount=Decimal(paid)), by=None)
        invoices.append(invoice)
    make_invoice(org.south_account, amount="5000", issue_date=date(2025, 6, 2))

    billed = [(issued, Decimal(amount), Decimal(amount) - Decimal(paid), issued + timedelta(days=30))
              for issued, amount, paid, status in rows if status == Invoice.Status.ISSUED]

    def total(start, end):
        return sum((amount for issued, amount, _, _ in billed if start <= issued <= end), Decimal(0))

    this_year = total(date(2025, 1, 1), TODAY)
    last_year_to_date = total(date(2024, 1, 1), date(2024, 6, 15))
    data = ApiClient(org.vendedor_norte).get(f"/accounts/{account.pk}/sales").json()
    assert Decimal(data["month"]) == total(date(2025, 6, 1), TODAY) == Decimal(350)
    assert Decimal(data["quarter"]) == total(date(2025, 4, 1), TODAY)
    assert Decimal(data["year"]) == this_year
    assert Decimal(data["previous_year"]) == total(date(2024, 1, 1), date(2024, 12, 31))
    assert Decimal(data["previous_year_to_date"]) == last_year_to_date
    assert Decimal(data["year_over_year"]) == ((this_year - last_year_to_date) / last_year_to_date * 100).quantize(
        Decimal("0.1"))
    expected_months = []
    for back in range(11, -1, -1):
        index = 2025 * 12 + 5 - back
        start = date(index // 12, index % 12 + 1, 1)
        end = (date(start.year + start.month // 12, start.month % 12 + 1, 1) - timedelta(days=1))
        expected_months.append({"month": start.isoformat(), "total": total(start, min(end, TODAY))})
    assert [{"month": m["month"], "total": Decimal(m["total"])} for m in data["last_12_months"]] == expected_months
    unpaid = [(balance, due) for _, _, balance, due in billed if balance > 0]
    assert Decimal(data["outstanding"]) == sum(balance for balance, _ in unpaid)
    assert Decimal(data["overdue"]) == sum(balance for balance, due in unpaid if due < TODAY)
    assert data["overdue_count"] == len([1 for _, due in unpaid if due < TODAY])
    assert data["accounts"] == [account.pk]


def test_sales_rollup_adds_only_the_children_the_user_may_see(org):
    visible_child = AccountFactory(owner=org.vendedor_norte, parent=org.north_account)
    hidden_child = AccountFactory(owner=org.vendedor_sur, parent=org.north_account)
    for account, amount in ((org.north_account, "100"), (visible_child, "20"), (hidden_child, "3")):
        make_invoice(account, amount=amount, issue_date=date(2025, 6, 2))
    api = ApiClient(org.vendedor_norte)
    path = f"/accounts/{org.north_account.pk}/sales"
    assert api.get(path).json()["month"] == "100.00"
    rolled_up = api.get(path, rollup="true").json()
    assert (rolled_up["month"], set(rolled_up["accounts"])) == ("120.00", {org.north_account.pk, visible_child.pk})
    assert ApiClient(org.admin).get(path, rollup="true").json()["month"] == "123.00"


@pytest.mark.parametrize(("who", "status"), [("vendedor_sur", 404), ("vendedor_norte2", 404),
                                             ("gerente_norte", 200), ("vendedor_norte", 200)])
def test_sales_of_an_account_follow_its_visibility(org, who, status):
    response = ApiClient(getattr(org, who)).get(f"/accounts/{org.north_account.pk}/sales")
    assert response.status_code == status
    if status == 404:
        assert response.json() == {"detail": "Not found."}


# Bounded queries

def bulk_invoices(account, n):
    return Invoice.objects.bulk_create(
        Invoice(account=account, number=f"F-{i}", issue_date=TODAY, due_date=TODAY, amount=10, balance=10)
        for i in range(n))


def bulk_files(account, n):
    documents = Document.objects.bulk_create(Document(account=account, title=f"Archivo {i}") for i in range(n))
    DocumentVersion.objects.bulk_create(
        DocumentVersion(document=document, number=number, file=f"documents/{document.pk}-{number}.pdf",
                        original_name="a.pdf", size=1, content_type="application/pdf", uploaded_at=timezone.now())
        for document in documents for number in (1, 2))


BULK = {
    "/assets": lambda account, contact, n: CustomerAsset.objects.bulk_create(
        CustomerAsset(account=account, product_name=f"Equipo {i}", contact=contact) for i in range(n)),
    "/contracts": lambda account, contact, n: Contract.objects.bulk_create(
        Contract(account=account, number=f"C-{i}", start_date=TODAY, contact=contact) for i in range(n)),
    "/invoices": lambda account, contact, n: bulk_invoices(account, n),
    "/payments": lambda account, contact, n: Payment.objects.bulk_create(
        Payment(account=account, invoice=invoice, paid_on=TODAY, amount=1) for invoice in bulk_invoices(account, n)),
    "/notes": lambda account, contact, n: Note.objects.bulk_create(
        Note(account=account, body=f"Nota {i}", contact=contact) for i in range(n)),
    "/files": lambda account, contact, n: bulk_files(account, n),
    "/content-deliveries": lambda account, contact, n: ContentDelivery.objects.bulk_create(
        ContentDelivery(account=account, title=f"Material {i}", delivered_on=TODAY, contact=contact)
        for i in range(n)),
}


@pytest.mark.parametrize("path", RESOURCES)
@pytest.mark.parametrize("rows", [10, 200])
def test_lists_run_a_bounded_number_of_queries(org, settings, path, rows, django_assert_max_num_queries):
    restrict_invoice_amounts(settings)  # the permission check is part of the count
    contact = ContactFactory(account=org.north_account)
    BULK[path](org.north_account, contact, rows)
    api = ApiClient(org.gerente_norte)
    with django_assert_max_num_queries(7):
        response = api.get(path, limit=200)
    assert response.status_code == 200
    assert len(response.json()["items"]) == min(response.json()["count"], 200) > 0


def test_openapi_document_lists_the_record_endpoints(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = set(response.json()["paths"])
    assert {f"/api/v1{path}" for path in RESOURCES} <= paths
    assert {"/api/v1/files/{record_id}/versions", "/api/v1/files/{record_id}/versions/{number}/download",
            "/api/v1/accounts/{account_id}/sales"} <= paths
