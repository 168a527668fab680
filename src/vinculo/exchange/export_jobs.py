"""Exports in the background: an export past `VINCULO_EXPORT_INLINE_MAX_ROWS` rows (and every export asked
through the API) is a recorded job (`ExportJob`), run by a task of the worker, with its progress (rows
written of the total) saved as it goes. The file is written to a temporary file and stored whole once
written: a job that fails keeps no file, so a half file is never offered. It runs as the user who asked,
in their language: the access policy decides its rows and fields exactly as it would inline.

Lists (accounts, contacts, leads, deals) are written here; a module above registers other sources in its
AppConfig.ready() (`register_source("report", …)`: reports), so this module never imports it."""

import logging
import tempfile
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import exporting
from .models import ExportJob

logger = logging.getLogger(__name__)

# kind → (count(job) -> rows, write(job, binary file, progress(rows written)))
SOURCES: dict[str, tuple[Callable, Callable]] = {}
EXTENSIONS = {"xlsx": "xlsx", "csv": "csv", "vcard": "vcf", "outlook": "csv", "pdf": "pdf", "ics": "ics"}
LIST_FORMATS = {"xlsx", "csv", "vcard", "outlook"}
# The lookups a list's filters may use: {"status": "open"}, {"stage": [1, 2]}, {"amount__gte": 1000}.
LOOKUPS = {"exact": "", "in": "__in", "gte": "__gte", "lte": "__lte", "contains": "__icontains"}


def register_source(kind: str, count: Callable, write: Callable) -> None:
    SOURCES[kind] = (count, write)


def inline_max_rows() -> int:
    return settings.VINCULO_EXPORT_INLINE_MAX_ROWS


# ---------- Lists ----------

def list_queryset(kind: str, user, filters: dict | None, query: str = ""):
    """The list's records `user` may see, narrowed by `filters` ({field or field__lookup: value}) on the
    fields the user may read (ValidationError naming `filters` on anything else), and by the list page's
    own filter form given its query string (`query`)."""
    spec = exporting.LISTS[kind]
    readable = {column.name for column in exporting.columns(kind, user)} | {"owner"}
    conditions = {}
    for key, value in (filters or {}).items():
        name, _sep, lookup = str(key).partition("__")
        if name not in readable or (lookup or "exact") not in LOOKUPS:
            raise ValidationError({"filters": _("Unknown filter “%(filter)s”.") % {"filter": str(key)[:60]}})
        if isinstance(value, list) and lookup not in ("", "in"):
            raise ValidationError({"filters": _("The filter “%(filter)s” takes one value.") % {"filter": key}})
        if isinstance(value, dict):
            raise ValidationError({"filters": _("The filter “%(filter)s” takes one value.") % {"filter": key}})
        field = spec.model._meta.get_field(name)
        target = field.attname if field.is_relation else name
        suffix = "__in" if isinstance(value, list) else LOOKUPS[lookup or "exact"]
        conditions[f"{target}{suffix}"] = value
    try:
        base = spec.model.objects.filter(**conditions)
        if query:
            base = exporting.page_filtered(kind, user, QueryDict(query), base)
        queryset = exporting.records(kind, user, base)
        queryset.exists()  # a value of the wrong type (a date that is not one) fails here, not in the worker
    except (ValueError, TypeError, ValidationError) as exc:
        raise ValidationError({"filters": _("A filter's value is not valid.")}) from exc
    return queryset


def clean_columns(kind: str, columns: list | None) -> list[str]:
    known = exporting.LISTS[kind].fields
    unknown = [str(name) for name in columns or [] if name not in known]
    if unknown:
        raise ValidationError({"columns": _("Unknown columns: %(names)s.") % {"names": ", ".join(unknown[:10])}})
    return list(columns or [])


def _list_count(job: ExportJob) -> int:
    return list_queryset(job.kind, job.user, job.filters, job.query).count()


def _write_list(job: ExportJob, out, progress) -> None:
    user, queryset = job.user, list_queryset(job.kind, job.user, job.filters, job.query)
    chosen = job.columns or None
    # Asked from a list page: the columns it showed (its query string's `cols`), unless the job names fields.
    shown = exporting.shown_columns(job.kind, user, QueryDict(job.query)) if chosen is None else None
    if job.format == "xlsx":
        exporting.write_xlsx(exporting.rows(job.kind, user, queryset, typed=True, chosen=chosen, shown=shown),
                             job.title or job.kind, out, progress)
        return
    if job.format == "vcard":
        lines, header = exporting.stream_vcards(user, queryset), 0
    elif job.format == "outlook":
        lines, header = exporting.stream_csv(exporting.outlook_rows(user, "es" if job.language.startswith("es") else "en",
                                                                queryset)), 2
    else:
        lines, header = exporting.stream_csv(exporting.rows(job.kind, user, queryset, chosen=chosen, shown=shown)), 2
    written = 0
    for number, line in enumerate(lines, 1):
        out.write(line.encode("utf-8"))
        if number > header:
            written = number - header
            if written % exporting.CHUNK == 0:
                progress(written)
    progress(written)


for _kind in exporting.KINDS:
    register_source(_kind, _list_count, _write_list)


# ---------- Jobs ----------

def create(user, kind: str, fmt: str, *, filters: dict | None = None, columns: list | None = None,
           definition: dict | None = None, title: str = "", language: str | None = None,
           query: str = "") -> ExportJob:
    """A new job, counted (its total), queued once the transaction commits; written in `language` (the
    current one by default; an Outlook CSV's headers follow it)."""
    if kind not in SOURCES:
        raise ValidationError({"kind": _("Unknown kind of export.")})
    if kind in exporting.LISTS and (fmt not in LIST_FORMATS or (fmt in ("vcard", "outlook") and kind != "contacts")):
        raise ValidationError({"format": _("This export has no such format.")})
    job = ExportJob(user=user, kind=kind, format=fmt, filters=filters or {}, definition=definition or {}, query=query,
                    columns=clean_columns(kind, columns) if kind in exporting.LISTS else list(columns or []),
                    title=str(title)[:200],
                    language=language or translation.get_language() or settings.LANGUAGE_CODE)
    job.total = SOURCES[kind][0](job)
    job.save()
    return start(job)


def start(job: ExportJob) -> ExportJob:
    from .tasks import run_export

    transaction.on_commit(lambda: run_export.enqueue(job.pk), robust=True)
    return job


def _progress(job: ExportJob) -> Callable[[int], None]:
    def saved(written: int) -> None:
        job.processed = written
        ExportJob.objects.filter(pk=job.pk).update(processed=written)
    return saved


def filename(job: ExportJob) -> str:
    stem = slugify(job.title or job.kind) or "export"
    return f"{stem}-{timezone.localdate().isoformat()}.{EXTENSIONS[job.format]}"


def run(job: ExportJob) -> ExportJob:
    """Write the job's file and store it; on any failure the job is failed with the reason and no file."""
    now = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, started_at=now, processed=0, error="")
    job.status, job.started_at, job.processed = ExportJob.Status.RUNNING, now, 0
    try:
        with translation.override(job.language or settings.LANGUAGE_CODE), tempfile.TemporaryFile() as out:
            SOURCES[job.kind][1](job, out, _progress(job))
            out.seek(0)
            job.file.save(filename(job), File(out), save=False)
        job.status, job.error = ExportJob.Status.DONE, ""
        job.total = max(job.total, job.processed)
    except Exception as exc:  # the job records any failure; the worker goes on
        logger.exception("export %s failed", job.pk)
        if job.file:
            job.file.delete(save=False)
        job.file = ""
        job.status, job.error = ExportJob.Status.FAILED, str(exc)[:2000] or exc.__class__.__name__
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "file", "total", "processed", "finished_at"])
    return job
