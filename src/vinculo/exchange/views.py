"""Import and export pages: upload → column mapping with a preview → progress → result (rejected rows to
download, revert); export downloads of the lists."""

import csv
import itertools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import export_jobs, exporting, importing, readers
from .forms import KIND_LABELS, MappingForm, UploadForm
from .models import ExportJob, ImportJob, ImportRow, MappingTemplate
from .rules import neutralise
from .services import start_import

PREVIEW_ROWS = 10


def _job_for(user, pk) -> ImportJob:
    """The user's own import (404 for anyone else's)."""
    return get_object_or_404(ImportJob.objects.select_related("user"), pk=pk, user=user)


@login_required
def index(request):
    jobs = ImportJob.objects.filter(user=request.user)[:20]
    return render(request, "exchange/index.html", {
        "jobs": jobs, "exports": ExportJob.objects.filter(user=request.user)[:10], "export_kinds": [(kind, exporting.LISTS[kind].model._meta.verbose_name_plural)
                                       for kind in exporting.KINDS],
    })


@login_required
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = form.save(commit=False)
        job.user = request.user
        job.filename = request.FILES["file"].name[:255]
        job.save()
        return redirect("exchange:mapping", job.pk)
    return render(request, "exchange/upload.html", {"form": form})


def _preview(job: ImportJob, table: readers.Table, mapping: dict) -> list[dict]:
    """The first rows as the import would treat them: rejected with the reason, a match, warnings."""
    rows = list(itertools.islice(table.rows, PREVIEW_ROWS))
    spec = importing.SPECS[job.kind](job.user)
    shown, ready = [], []
    for row in rows:
        entry = {"number": row.number, "cells": [row.values.get(header, "") for header in mapping],
                 "error": row.error, "flags": [], "match": False}
        if not row.error:
            try:
                prepared = spec.prepare({name: row.values.get(header, "") for header, name in mapping.items()})
                entry["flags"], entry["prepared"] = prepared.flags, prepared
                ready.append(prepared)
            except importing.Rejected as exc:
                entry["error"] = str(exc)
        shown.append(entry)
    matches = spec.existing(ready) if ready else {}
    for entry in shown:
        prepared = entry.pop("prepared", None)
        entry["match"] = prepared is not None and prepared.key in matches
    return shown


@login_required
def mapping(request, pk):
    job = _job_for(request.user, pk)
    if job.status != ImportJob.Status.DRAFT:
        return redirect("exchange:detail", job.pk)
    try:
        with importing.open_table(job) as table:
            return _mapping_page(request, job, table)
    except readers.UnreadableFile as exc:
        messages.error(request, str(exc))
        return redirect("exchange:upload")


def _mapping_page(request, job: ImportJob, table: readers.Table):
    templates = MappingTemplate.objects.filter(user=request.user, kind=job.kind)
    chosen = templates.filter(pk=request.GET.get("template")).first() if request.GET.get("template", "").isdigit() \
        else None
    initial = importing.mapping_for(job, table.headers) if chosen is None else \
        {header: name for header, name in chosen.mapping.items() if header in table.headers}
    form = MappingForm(request.POST or None, headers=table.headers, kind=job.kind, initial_mapping=initial,
                       initial={"on_duplicate": job.on_duplicate})
    if request.method == "POST" and form.is_valid():
        job.mapping = form.mapping()
        job.on_duplicate = form.cleaned_data["on_duplicate"]
        job.save(update_fields=["mapping", "on_duplicate"])
        if form.cleaned_data["template_name"]:
            MappingTemplate.objects.update_or_create(user=request.user, kind=job.kind,
                                                     name=form.cleaned_data["template_name"],
                                                     defaults={"mapping": job.mapping})
        start_import(job)
        return redirect("exchange:detail", job.pk)
    shown_mapping = form.mapping() if form.is_bound and form.is_valid() else initial
    # The preview reads the file's first rows only; the page is rendered once they are read.
    return render(request, "exchange/mapping.html", {
        "job": job, "form": form, "table": table, "templates": templates, "kind_label": KIND_LABELS[job.kind],
        "preview_headers": list(shown_mapping), "preview": _preview(job, table, shown_mapping),
    })


def _progress_context(job: ImportJob) -> dict:
    rate = remaining = None
    if job.started_at and job.processed:
        elapsed = ((job.finished_at or timezone.now()) - job.started_at).total_seconds()
        if elapsed > 0:
            rate = job.processed / elapsed
            remaining = int((job.total - job.processed) / rate) if job.total and rate else None
    return {"job": job, "rate": round(rate) if rate else None, "remaining": remaining}


@login_required
def detail(request, pk):
    job = _job_for(request.user, pk)
    template = "exchange/_progress.html" if request.htmx else "exchange/detail.html"
    return render(request, template, _progress_context(job))


@login_required
def rejected(request, pk):
    """The rejected rows as CSV: row number, reason, then the row's own columns."""
    job = _job_for(request.user, pk)
    rows = job.rows.filter(outcome=ImportRow.Outcome.REJECTED).order_by("number")

    def lines():
        writer = csv.writer(exporting.Echo())
        headers = job.headers
        yield "\ufeff"
        yield writer.writerow([_("Row"), _("Reason"), *headers])
        for row in rows.iterator(chunk_size=1000):
            yield writer.writerow([row.number, row.message,
                                   *[neutralise(row.values.get(header, "")) for header in headers]])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rejected-{job.pk}.csv"'
    return response


@login_required
@require_POST
def revert(request, pk):
    job = _job_for(request.user, pk)
    if job.status not in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        messages.error(request, _("Only a finished import can be reverted."))
    else:
        importing.revert(job, by=request.user)
        messages.success(request, _("The import was reverted."))
    return redirect("exchange:detail", job.pk)


@login_required
@require_POST
def resume(request, pk):
    """Queue a failed import again: it goes on after its last committed batch."""
    job = _job_for(request.user, pk)
    if job.status == ImportJob.Status.FAILED:
        start_import(job)
    return redirect("exchange:detail", job.pk)


@login_required
def export(request, kind, fmt):
    """A list the user may see, as a download: csv or xlsx for every list, vcard and outlook for contacts."""
    if kind not in exporting.LISTS or fmt not in exporting.FORMATS or (
            fmt in ("vcard", "outlook") and kind != "contacts"):
        raise Http404
    user, stamp = request.user, timezone.localdate().isoformat()
    language = "es" if request.GET.get("lang") == "es" else "en"
    # The list page's own filters (its query string) narrow the export to what the page lists.
    params = request.GET.copy()
    params.pop("lang", None)
    queryset = exporting.page_filtered(kind, user, params) if params else None
    # A list page's export link names its shown columns (`cols`): the file holds those, as the page shows them.
    shown = exporting.shown_columns(kind, user, params)
    if exporting.records(kind, user, queryset).count() > export_jobs.inline_max_rows():
        job = export_jobs.create(user, kind, fmt, title=str(exporting.LISTS[kind].model._meta.verbose_name_plural),
                                 language=language if fmt == "outlook" else None, query=params.urlencode())
        return redirect("exchange:export_detail", job.pk)
    if fmt == "xlsx":
        title = exporting.LISTS[kind].model._meta.verbose_name_plural
        return FileResponse(exporting.write_xlsx(exporting.rows(kind, user, queryset, typed=True, shown=shown), title),
                            as_attachment=True,
                            filename=f"{kind}-{stamp}.xlsx")
    if fmt == "vcard":
        response = StreamingHttpResponse(exporting.stream_vcards(user, queryset), content_type="text/vcard; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{kind}-{stamp}.vcf"'
        return response
    table = (exporting.outlook_rows(user, language, queryset) if fmt == "outlook"
             else exporting.rows(kind, user, queryset, shown=shown))
    response = StreamingHttpResponse(exporting.stream_csv(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}-{stamp}.csv"'
    return response


def _export_job_for(user, pk) -> ExportJob:
    """The user's own export (404 for anyone else's)."""
    return get_object_or_404(ExportJob, pk=pk, user=user)


@login_required
def export_detail(request, pk):
    """A background export's progress (polled with htmx until it has finished), then its download link."""
    job = _export_job_for(request.user, pk)
    template = "exchange/_export_progress.html" if request.htmx else "exchange/export_detail.html"
    return render(request, template, {"job": job})


@login_required
def export_download(request, pk):
    """The finished export's file, to its owner alone; nothing before it is whole."""
    job = _export_job_for(request.user, pk)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=export_jobs.filename(job))
