"""Background tasks of imports and exports (django-tasks), run by `vinculo worker`."""

from django_tasks import task

from vinculo.core import events


@task(queue_name=events.queue_name())
def run_import(job_id: int) -> str:
    from . import importing
    from .models import ImportJob

    job = ImportJob.objects.filter(pk=job_id).select_related("user").first()
    if job is None or job.status not in {ImportJob.Status.QUEUED, ImportJob.Status.FAILED}:
        return "gone"
    return importing.run(job).status


@task(queue_name=events.queue_name())
def run_export(job_id: int) -> str:
    from . import export_jobs
    from .models import ExportJob

    job = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).select_related("user").first()
    if job is None:
        return "gone"
    return export_jobs.run(job).status
