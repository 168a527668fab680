"""A report as a background export (vinculo.exchange.export_jobs): counted, run as the user who asked and
written in the format asked, with its progress. Registered in ReportsConfig.ready()."""

from vinculo.exchange.models import ExportJob

from . import output
from .engine import Definition, count, run

# As many rows as an inline export reads (views._export).
EXPORT_ROWS = 100_000


def definition_of(job: ExportJob) -> Definition:
    return Definition.from_dict(job.definition, system=bool(job.definition.get("system")))


def job_definition(definition: Definition) -> dict:
    return definition.to_dict() | {"system": definition.system}


def count_rows(job: ExportJob) -> int:
    return min(count(definition_of(job), job.user), EXPORT_ROWS)


def write(job: ExportJob, out, progress) -> None:
    result = run(definition_of(job), job.user, limit=EXPORT_ROWS)
    title = job.title or "report"
    if job.format == "xlsx":
        output.to_xlsx(result, title, out, progress)
        return
    if job.format == "csv":
        out.write(output.to_csv(result).encode("utf-8"))
    elif job.format == "pdf":
        out.write(output.to_pdf(result, title))
    elif job.format == "ics":
        out.write(output.to_ics(result, title))
    else:
        raise ValueError(f"unknown format {job.format}")
    progress(len(result.rows))
