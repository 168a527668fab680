"""/api/v1/imports: upload a file to import (in the background), follow it, download its rejected rows,
revert it; /api/v1/exports: export a list in the background, follow it, download its file;
/api/v1/contacts/{id}/vcard. An import or export is its creator's own: anyone else gets 404."""

import csv
import io
import json
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from vinculo.contacts.models import Contact
from vinculo.core.access import get_for_user, may_see
from vinculo.core.api import ERRORS, Message

from . import export_jobs, exporting, importing, readers
from .forms import MAX_UPLOAD
from .mapping import SYNONYMS, clean_mapping
from .models import ExportJob, ImportJob
from .services import start_import

router = Router(tags=["imports"])
exports_router = Router(tags=["exports"])
contacts_router = Router(tags=["contacts"])


class ImportJobIn(Schema):
    kind: Literal["accounts", "contacts", "leads"]
    format: Literal["auto", "csv", "xlsx", "outlook", "google", "vcard"] = "auto"
    on_duplicate: Literal["skip", "fill_empty", "overwrite", "create"] = "skip"
    mapping: str = Field("", max_length=20_000, description=(
        'A JSON object {"column header": "field"}; without it the mapping is suggested from the headers '
        "(Outlook, Google, vCard and Spanish or English headers import with none)."))
    encoding: str = Field("", max_length=40, description="Detected when empty.")
    delimiter: Literal["", ",", ";", "\t", "|"] = ""


class ImportJobCreated(Schema):
    id: int
    status: str


class ImportJobOut(Schema):
    id: int
    kind: str
    status: Literal["draft", "queued", "running", "done", "failed", "reverted"]
    error: str
    total: int
    processed: int
    created: int
    updated: int
    skipped: int
    rejected: int
    flagged: int


def _own(request, job_id: int) -> ImportJob:
    return get_object_or_404(ImportJob, pk=job_id, user=request.auth)


@router.post("", response={201: ImportJobCreated, **ERRORS}, summary="Import a file in the background",
             operation_id="import_create", url_name="import_create")
def create_import(request, data: Form[ImportJobIn], file: File[UploadedFile]):
    if file.size > MAX_UPLOAD:
        raise ValidationError({"file": f"The file is larger than {MAX_UPLOAD // 2**20} MB."})
    # The upload is read as a stream for its headers, then stored a chunk at a time: never read whole.
    try:
        table = readers.read(file, file.name or "", data.format, data.encoding, data.delimiter)
    except readers.UnreadableFile as exc:
        raise ValidationError({"file": str(exc)}) from exc
    mapping = {}
    if data.mapping:
        try:
            mapping = json.loads(data.mapping)
        except ValueError:
            mapping = None
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            raise ValidationError({"mapping": 'Give a JSON object {"column header": "field"}.'})
        unknown = sorted(set(mapping.values()) - set(SYNONYMS[data.kind]))
        if unknown:
            raise ValidationError({"mapping": f"Unknown fields for {data.kind}: {', '.join(unknown)}."})
        mapping = clean_mapping(mapping, table.headers, data.kind)
    job = ImportJob(user=request.auth, kind=data.kind, format=data.format, on_duplicate=data.on_duplicate,
                    mapping=mapping, encoding=data.encoding, delimiter=data.delimiter,
                    filename=(file.name or "upload")[:255])
    file.seek(0)
    job.file.save(job.filename, file, save=False)
    job.save()
    start_import(job)
    return Status(201, {"id": job.pk, "status": job.status})


@router.get("/{int:job_id}", response={200: ImportJobOut, **ERRORS}, summary="An import's status and counts",
            operation_id="import_read", url_name="import_read")
def read_import(request, job_id: int):
    return _own(request, job_id)


@router.get("/{int:job_id}/rejected", response={200: None, 401: Message, 404: Message},
            summary="An import's rejected rows (CSV: row, reason)", operation_id="import_rejected",
            url_name="import_rejected", openapi_extra={"responses": {200: {
                "description": "CSV with the row number and the reason of each rejected row.",
                "content": {"text/csv": {"schema": {"type": "string"}}}}}})
def rejected_rows(request, job_id: int):
    job = _own(request, job_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["row", "reason"])
    for number, message in job.rows.filter(outcome="rejected").order_by("number").values_list("number", "message"):
        writer.writerow([number, message])
    return HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")


@router.post("/{int:job_id}/revert", response={200: ImportJobOut, **ERRORS}, summary="Revert an import",
             description="What it created goes to the recycle bin; what it updated gets its prior values back.",
             operation_id="import_revert", url_name="import_revert")
def revert_import(request, job_id: int):
    job = _own(request, job_id)
    if job.status not in (ImportJob.Status.DONE, ImportJob.Status.FAILED, ImportJob.Status.REVERTED):
        raise ValidationError({"status": "Only a finished import can be reverted."})
    return importing.revert(job, by=request.auth)


@contacts_router.get("/{int:contact_id}/vcard", response={200: None, 401: Message, 404: Message},
                     summary="A contact as a vCard 4.0", operation_id="contact_vcard", url_name="contact_vcard",
                     openapi_extra={"responses": {200: {"description": "The vCard.",
                                                        "content": {"text/vcard": {"schema": {"type": "string"}}}}}})
def contact_vcard(request, contact_id: int):
    contact = get_for_user(Contact.objects.select_related("account"), request.auth, contact_id)
    company = contact.account.legal_name if may_see(request.auth, contact.account) else ""
    response = HttpResponse(exporting.vcard(contact, company), content_type="text/vcard; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}.vcf"'
    return response


# ---------- Exports ----------

class ExportJobIn(Schema):
    kind: Literal["accounts", "contacts", "leads", "deals", "quotes", "activities", "tasks", "projects", "plans",
                  "campaigns", "competitors", "products", "price_lists", "invoices", "contracts", "assets",
                  "deliveries", "notes", "documents"]
    format: Literal["xlsx", "csv", "vcard", "outlook"] = "xlsx"
    filters: dict[str, Any] = Field(default_factory=dict, description=(
        'Field conditions on the list\'s columns and "owner": {"status": "open"}, {"stage": [1, 2]} (any of), '
        '{"amount__gte": 1000}; lookups: gte, lte, in, contains.'))
    columns: list[str] = Field(default_factory=list, max_length=60, description=(
        "The list's columns to write, in this order (all it has, by default); those you may not read are "
        "left out."))
    language: Literal["", "es", "en"] = Field("", description="Headers and labels (an Outlook CSV's headers "
                                                              "too); the request's language by default.")


class ExportJobOut(Schema):
    id: int
    kind: str
    format: str
    status: Literal["queued", "running", "done", "failed"]
    error: str
    total: int
    processed: int
    download_url: str | None = Field(None, description="Set once the file is written (status “done”).")

    @staticmethod
    def resolve_download_url(job) -> str | None:
        if job.status != ExportJob.Status.DONE or not job.file:
            return None
        return reverse("api:export_download", args=[job.pk])


def _own_export(request, job_id: int) -> ExportJob:
    return get_object_or_404(ExportJob, pk=job_id, user=request.auth)


@exports_router.post("", response={201: ExportJobOut, **ERRORS}, summary="Export a list in the background",
                     description="The rows and fields the access policy lets you see; follow the job with "
                                 "GET /exports/{id} and download its file from its download_url when done.",
                     operation_id="export_create", url_name="export_create")
def create_export(request, data: ExportJobIn):
    if len(data.filters) > 30:
        raise ValidationError({"filters": "At most 30 filters."})
    job = export_jobs.create(request.auth, data.kind, data.format, filters=data.filters, columns=data.columns,
                             title=str(exporting.LISTS[data.kind].model._meta.verbose_name_plural),
                             language=data.language or None)
    return Status(201, job)


@exports_router.get("/{int:job_id}", response={200: ExportJobOut, **ERRORS}, summary="An export's status",
                    operation_id="export_read", url_name="export_read")
def read_export(request, job_id: int):
    return _own_export(request, job_id)


@exports_router.get("/{int:job_id}/download", response={200: None, 401: Message, 404: Message},
                    summary="An export's file, once written", operation_id="export_download",
                    url_name="export_download", openapi_extra={"responses": {200: {
                        "description": "The file (XLSX, CSV, vCard).",
                        "content": {"application/octet-stream": {"schema": {"type": "string",
                                                                            "format": "binary"}}}}}})
def download_export(request, job_id: int):
    job = _own_export(request, job_id)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=export_jobs.filename(job))
