"""Background tasks of imports (django-tasks), run by `vinculo worker`."""

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
