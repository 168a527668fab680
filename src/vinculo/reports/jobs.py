"""A report as a background export (vinculo.exchange.export_jobs): counted, run as the user who asked and
written in the format asked, with its progress. Registered in ReportsConfig.ready()."""

from vinculo.exchange.models import ExportJob

from . import output
from .engine import Definition, count

# As many rows as an inline export reads (views._export).
EXPORT_ROWS = 100_000


def definition_of(job: ExportJob) -> Definition:
    return Definition.from_dict(job.definition, system=bool(job.definition.get("system")))


def job_definition(definition: Definition) -> dict:
    return definition.to_dict() | {"system": definition.system}


def count_rows(job: ExportJob) -> int:
    return min(count(definition_of(job), job.user), EXPORT_ROWS)


def write(job: ExportJob, out, progress) -> None:
    """The rows go from the database to `out` a chunk at a time (a PDF's excepted: `output.exported`)."""
    if job.format not in ("xlsx", "csv", "pdf", "ics"):
        raise ValueError(f"unknown format {job.format}")
    result = output.exported(definition_of(job), job.user, job.format, EXPORT_ROWS)
    title = job.title or "report"
    if job.format == "xlsx":
        output.to_xlsx(result, title, out, progress)
    elif job.format == "csv":
        output.write_csv(result, out, progress)
    elif job.format == "ics":
        output.write_ics(result, title, out, progress)
    else:
        out.write(output.to_pdf(result, title))
        progress(len(result.rows))
