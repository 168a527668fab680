"""/api/v1/imports and /api/v1/contacts/{id}/vcard."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from vinculo.contacts.models import Contact
from vinculo.core.tests.api_client import BASE, ApiClient
from vinculo.exchange.models import ImportJob

from .helpers import fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def post_file(api, name, data, **fields):
    return api.client.post(f"{BASE}/imports", {"file": SimpleUploadedFile(name, data), **fields})


def test_a_known_file_imports_with_no_mapping_then_reports_reverts(org, django_capture_on_commit_callbacks):
    api = ApiClient(org.vendedor_norte)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(api, "contactos.csv", fixture("outlook_es.csv"), kind="contacts")
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    status = api.get(f"/imports/{job_id}").json()
    assert {key: status[key] for key in ("status", "total", "processed", "created", "updated", "skipped",
                                         "rejected", "flagged")} == {
        "status": "done", "total": 4, "processed": 4, "created": 3, "updated": 0, "skipped": 0, "rejected": 1,
        "flagged": 1}
    rejected = api.get(f"/imports/{job_id}/rejected")
    assert rejected.content.decode().splitlines() == [
        "row,reason", "4,“ignacio@@pena” is not a valid e-mail and the row has no phone."]
    reverted = api.client.post(f"{BASE}/imports/{job_id}/revert")
    assert reverted.json()["status"] == "reverted"
    assert not Contact.objects.filter(email="camila.nunez@biobio.cl").exists()


def test_an_explicit_mapping_and_duplicate_choice(org, django_capture_on_commit_callbacks):
    api = ApiClient(org.vendedor_norte)
    data = b"Apellido del contacto;Mail\nAraya;araya@norte.cl\nNuevo;nuevo@x.cl\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(api, "x.csv", data, kind="contacts", on_duplicate="overwrite",
                             mapping='{"Apellido del contacto": "last_name", "Mail": "email"}')
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert (job.created, job.skipped) == (1, 1)


@pytest.mark.parametrize(("fields", "field"), [
    ({"kind": "contacts", "mapping": "not json"}, "mapping"),
    ({"kind": "contacts", "mapping": '{"A": "no_such_field"}'}, "mapping"),
    ({"kind": "planets"}, None),
])
def test_bad_input_is_a_clear_4xx(org, fields, field):
    response = post_file(ApiClient(org.vendedor_norte), "x.csv", b"a,b\n1,2\n", **fields)
    assert response.status_code in (400, 422)
    if field:
        assert field in {error["field"] for error in response.json()["detail"]}


def test_an_unreadable_file_is_a_422_naming_the_file(org):
    response = post_file(ApiClient(org.vendedor_norte), "x.xlsx", b"PK\x03\x04junk", kind="accounts")
    assert response.status_code == 422
    assert response.json()["detail"] == [{"field": "file", "message": "This is not a readable XLSX workbook."}]


def test_someone_elses_import_is_not_found(org, run_import):
    job = run_import(org.vendedor_norte, "c.csv", fixture("outlook_en.csv"))
    api = ApiClient(org.vendedor_sur)
    assert api.get(f"/imports/{job.pk}").status_code == 404
    assert api.get(f"/imports/{job.pk}/rejected").status_code == 404
    assert api.client.post(f"{BASE}/imports/{job.pk}/revert").status_code == 404


def test_contact_vcard_only_for_a_visible_contact(org):
    response = ApiClient(org.vendedor_norte).get(f"/contacts/{org.north_contact.pk}/vcard")
    assert response.status_code == 200 and b"VERSION:4.0" in response.content
    assert b"Minera Norte Grande SpA" in response.content
    assert ApiClient(org.vendedor_sur).get(f"/contacts/{org.north_contact.pk}/vcard").status_code == 404
