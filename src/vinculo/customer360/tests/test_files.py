"""Files and their versions: upload through the pages, download only through the permission check,
refused files leave nothing behind."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vinculo.accounts.models import AccountTeamMember
from vinculo.core.services import soft_delete
from vinculo.customer360.models import Document, DocumentVersion

from .. import services
from .factories import DocumentFactory

pytestmark = pytest.mark.django_db

PDF_V1 = b"%PDF-1.4\n% version one\n%%EOF\n"
PDF_V2 = b"%PDF-1.7\n% version two, longer\n%%EOF\n"


def url(name, *args):
    return reverse(f"accounts:{name}", args=args)


def pdf(content=PDF_V1, name="propuesta.pdf"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root):
    return [path for path in root.rglob("*") if path.is_file()]


def downloaded(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.fixture
def document(org):
    document = DocumentFactory(account=org.north_account, title="Propuesta técnica")
    services.add_document_version(document, pdf(), by=org.vendedor_norte, comment="Primera")
    return document


def test_new_file_is_created_with_its_first_version(client, org, media):
    client.force_login(org.vendedor_norte)
    response = client.post(url("document_create", org.north_account.pk),
                           {"title": "Contrato firmado", "description": "Escaneado", "file": pdf(), "comment": "v1"})
    document = Document.objects.get()
    assert response.status_code == 302 and response["Location"] == document.get_absolute_url()
    version = document.versions.get()
    assert (version.number, version.original_name, version.comment, version.uploaded_by) == (
        1, "propuesta.pdf", "v1", org.vendedor_norte)
    assert len(stored_files(media)) == 1
    assert downloaded(client.get(url("document_download", version.pk))) == PDF_V1


def test_uploading_a_new_version_keeps_the_old_one_downloadable(client, org, document, media):
    client.force_login(org.vendedor_norte)
    response = client.post(url("document_upload", document.pk), {"file": pdf(PDF_V2, "propuesta-v2.pdf"),
                                                                  "comment": "Precios nuevos"})
    assert response.status_code == 302
    v1, v2 = document.versions.order_by("number")
    assert v2.number == 2 and v2.comment == "Precios nuevos"
    assert downloaded(client.get(url("document_download", v1.pk))) == PDF_V1
    second = client.get(url("document_download", v2.pk))
    assert downloaded(second) == PDF_V2
    assert second["Content-Disposition"].startswith("attachment") and "propuesta-v2.pdf" in second["Content-Disposition"]
    page = client.get(document.get_absolute_url())
    html = page.content.decode()
    for text in ("propuesta.pdf", "propuesta-v2.pdf", "Precios nuevos", "Primera", str(org.vendedor_norte),
                 url("document_download", v1.pk), url("document_download", v2.pk)):
        assert text in html
    assert [v.number for v in page.context["versions"]] == [2, 1]


def test_a_file_over_the_size_limit_is_refused_and_nothing_is_stored(client, org, document, media, settings):
    settings.VINCULO = {**settings.VINCULO, "MAX_UPLOAD_MB": 1}
    before = stored_files(media)
    big = pdf(b"%PDF-1.4\n" + b"0" * (1024 * 1024), "enorme.pdf")
    client.force_login(org.vendedor_norte)
    response = client.post(url("document_upload", document.pk), {"file": big})
    assert response.status_code == 200
    errors = response.context["version_form"].errors
    assert list(errors) == ["file"] and "the limit is 1 MB" in errors["file"][0]
    assert document.versions.count() == 1
    assert stored_files(media) == before
    big.seek(0)
    response = client.post(url("document_create", org.north_account.pk), {"title": "Otro", "file": big})
    assert list(response.context["form"].errors) == ["file"]
    assert Document.objects.count() == 1 and DocumentVersion.objects.count() == 1
    assert stored_files(media) == before


@pytest.mark.parametrize("upload", [
    SimpleUploadedFile("instalador.exe", b"MZ\x90\x00" + b"\x00" * 64, content_type="application/octet-stream"),
    SimpleUploadedFile("notas.txt", b"<!DOCTYPE html><html><script>alert(1)</script></html>", content_type="text/plain"),
    SimpleUploadedFile("falso.pdf", b"GIF89a not really a pdf", content_type="application/pdf"),
], ids=["exe", "html-renamed-txt", "gif-renamed-pdf"])
def test_a_refused_type_gets_a_clear_error_and_nothing_is_stored(client, org, media, upload):
    client.force_login(org.vendedor_norte)
    response = client.post(url("document_create", org.north_account.pk), {"title": "Sospechoso", "file": upload})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["file"] and "not accepted" in errors["file"][0]
    assert 'href="#id_file"' in response.content.decode()
    assert not Document.all_objects.exists() and not DocumentVersion.objects.exists()
    assert stored_files(media) == []


def test_upload_without_a_file_names_the_file_field(client, org, document):
    client.force_login(org.vendedor_norte)
    response = client.post(url("document_upload", document.pk), {"comment": "sin archivo"})
    assert list(response.context["version_form"].errors) == ["file"]
    assert document.versions.count() == 1


def test_outsider_cannot_download_upload_or_see_the_file(client, org, document):
    version = document.versions.get()
    client.force_login(org.vendedor_sur)
    assert client.get(url("document_download", version.pk)).status_code == 404
    assert client.post(url("document_upload", document.pk), {"file": pdf(PDF_V2)}).status_code == 404
    assert document.versions.count() == 1


def test_read_only_member_downloads_but_cannot_upload(client, org, document):
    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_sur)
    client.force_login(org.vendedor_sur)
    version = document.versions.get()
    assert downloaded(client.get(url("document_download", version.pk))) == PDF_V1
    html = client.get(document.get_absolute_url()).content.decode()
    assert url("document_upload", document.pk) not in html
    assert client.post(url("document_upload", document.pk), {"file": pdf(PDF_V2)}).status_code == 403
    assert document.versions.count() == 1


def test_a_deleted_files_versions_cannot_be_downloaded(client, org, document):
    version = document.versions.get()
    soft_delete(document, by=org.vendedor_norte)
    client.force_login(org.vendedor_norte)
    assert client.get(url("document_download", version.pk)).status_code == 404


def test_stored_files_have_no_public_url(client, org, document):
    version = document.versions.get()
    client.force_login(org.admin)
    assert client.get(f"/media/{version.file.name}").status_code == 404
    assert client.get(f"/{version.file.name}").status_code == 404
    html = client.get(document.get_absolute_url()).content.decode()
    assert version.file.name not in html


def test_downloads_need_login(client, document):
    response = client.get(url("document_download", document.versions.get().pk))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _page_queries(client, document) -> int:
    cache.clear()
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(document.get_absolute_url()).status_code == 200
    return len(captured)


def test_file_page_runs_the_same_queries_with_one_or_many_versions(client, org, document):
    client.force_login(org.vendedor_norte)
    one = _page_queries(client, document)  # the fixture's first version
    uploaders = [org.gerente_norte, org.director, org.admin, org.vendedor_norte]
    for n in range(12):
        services.add_document_version(document, pdf(PDF_V2, f"v{n}.pdf"), by=uploaders[n % len(uploaders)])
    assert document.versions.count() == 13
    assert _page_queries(client, document) == one
    assert one <= 9  # the count today, from cold caches (1 of them the permissions the menu reads)
