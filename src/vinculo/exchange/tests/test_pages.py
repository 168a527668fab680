"""The import pages: upload → mapping (suggested, saved as a template) with a preview → progress → result,
the rejected rows' download, revert; the export downloads; someone else's import is a 404."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from vinculo.contacts.models import Contact
from vinculo.exchange.models import ImportJob, MappingTemplate

from .helpers import fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def upload(client, name, data, **fields):
    return client.post(reverse("exchange:upload"), {
        "kind": "contacts", "format": "auto", "encoding": "", "delimiter": "", "on_duplicate": "skip",
        "file": SimpleUploadedFile(name, data), **fields})


def test_upload_suggests_the_mapping_previews_rows_then_imports(client, org, immediate_tasks,
                                                                django_capture_on_commit_callbacks):
    client.force_login(org.vendedor_norte)
    response = upload(client, "outlook_es.csv", fixture("outlook_es.csv"))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("exchange:mapping", args=[job.pk])
    page = client.get(response.url)
    form = page.context["form"]
    assert {field.label: field.initial for field in form.column_fields()}["Teléfono móvil"] == "mobile"
    preview = page.context["preview"]
    assert [(row["number"], bool(row["error"]), len(row["flags"])) for row in preview] == [
        (2, False, 0), (3, False, 0), (4, True, 0), (6, False, 1)]
    data = {field.html_name: field.initial or "" for field in form.column_fields()}
    data |= {"on_duplicate": "skip", "template_name": "Outlook en español"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("exchange:mapping", args=[job.pk]), data)
    assert response.url == reverse("exchange:detail", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.created, job.rejected, job.flagged) == ("done", 3, 1, 1)
    assert MappingTemplate.objects.get().mapping["Dirección de correo electrónico"] == "email"
    result = client.get(response.url)
    assert b"100 %" in result.content and b"Download the rejected rows" in result.content

    rejected = client.get(reverse("exchange:rejected", args=[job.pk]))
    lines = list(csv.reader(io.StringIO(b"".join(rejected.streaming_content).decode("utf-8-sig"))))
    assert lines[0][:3] == ["Row", "Reason", "Tratamiento"]
    assert lines[1][:2] == ["4", "“ignacio@@pena” is not a valid e-mail and the row has no phone."]

    client.post(reverse("exchange:revert", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "reverted"
    assert not Contact.objects.filter(email="camila.nunez@biobio.cl").exists()


def test_an_unreadable_file_is_a_field_error_not_a_500(client, org):
    client.force_login(org.vendedor_norte)
    response = upload(client, "x.xlsx", b"PK\x03\x04 broken")
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["This is not a readable XLSX workbook."]


def test_a_mapping_that_fills_a_field_twice_is_refused(client, org):
    client.force_login(org.vendedor_norte)
    upload(client, "c.csv", b"Correo,Email\na@x.cl,b@x.cl\n")
    job = ImportJob.objects.get()
    response = client.post(reverse("exchange:mapping", args=[job.pk]),
                           {"column_0": "email", "column_1": "email", "on_duplicate": "skip"})
    assert response.status_code == 200 and "Each field can be filled from one column only." in str(
        response.context["form"].non_field_errors())
    assert ImportJob.objects.get().status == "draft"


def test_someone_elses_import_is_not_found(client, org, run_import):
    job = run_import(org.vendedor_norte, "c.csv", fixture("outlook_en.csv"))
    client.force_login(org.vendedor_sur)
    for name in ("detail", "mapping", "rejected"):
        assert client.get(reverse(f"exchange:{name}", args=[job.pk])).status_code == 404
    assert client.post(reverse("exchange:revert", args=[job.pk])).status_code == 404


def test_progress_fragment_polls_until_done(client, org, run_import):
    client.force_login(org.vendedor_norte)
    job = run_import(org.vendedor_norte, "c.csv", fixture("outlook_en.csv"))
    ImportJob.objects.filter(pk=job.pk).update(status="running", processed=3)
    fragment = client.get(reverse("exchange:detail", args=[job.pk]), headers={"HX-Request": "true"})
    assert b'hx-trigger="every 1s"' in fragment.content and b"50 %" in fragment.content
    ImportJob.objects.filter(pk=job.pk).update(status="done", processed=6)
    fragment = client.get(reverse("exchange:detail", args=[job.pk]), headers={"HX-Request": "true"})
    assert b"hx-trigger" not in fragment.content and b"100 %" in fragment.content


def test_pages_query_counts_stay_bounded(client, org, run_import, django_assert_max_num_queries):
    client.force_login(org.vendedor_norte)
    for _n in range(3):
        job = run_import(org.vendedor_norte, "c.csv", fixture("outlook_en.csv"))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("exchange:index")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("exchange:detail", args=[job.pk])).status_code == 200
    # The mapping page's preview checks its rows against the database in a few queries, not one per row.
    upload(client, "outlook_en.csv", fixture("outlook_en.csv") + b"\r\n".join(
        f'"","Ana","","Soto{n}","","","","","","","","","","","","ana{n}@x.cl","","",""'.encode()
        for n in range(20)))
    draft = ImportJob.objects.get(status="draft")
    with django_assert_max_num_queries(16):
        page = client.get(reverse("exchange:mapping", args=[draft.pk]))
    assert len(page.context["preview"]) == 10


def test_export_downloads_hold_only_what_the_user_may_see(client, org):
    client.force_login(org.vendedor_sur)
    for fmt in ("csv", "outlook", "vcard"):
        content = b"".join(client.get(reverse("exchange:export", args=["contacts", fmt])).streaming_content)
        assert b"bustos@sur.cl" in content and b"araya@norte.cl" not in content
    xlsx = client.get(reverse("exchange:export", args=["accounts", "xlsx"]))
    assert xlsx["Content-Disposition"].startswith("attachment")
    assert client.get(reverse("exchange:export", args=["accounts", "vcard"])).status_code == 404
    assert client.get(reverse("exchange:export", args=["nothing", "csv"])).status_code == 404


def test_a_failed_import_is_resumed_from_its_page(client, org, run_import, immediate_tasks,
                                                  django_capture_on_commit_callbacks):
    client.force_login(org.vendedor_norte)
    job = run_import(org.vendedor_norte, "c.csv", fixture("outlook_en.csv"))
    ImportJob.objects.filter(pk=job.pk).update(status="failed", error="Killed", processed=0, created=0, skipped=0,
                                               rejected=0)
    job.rows.all().delete()
    assert b"Go on from the last saved batch" in client.get(reverse("exchange:detail", args=[job.pk])).content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("exchange:resume", args=[job.pk]))
    job.refresh_from_db()
    # The contacts the first run created are there: matched now, nothing created twice.
    assert (job.status, job.processed, job.created, job.skipped, job.rejected) == ("done", 6, 0, 4, 2)
