"""Starting an import: the job is saved, then its task is queued once the transaction commits."""

from django.db import transaction

from .models import ImportJob


def start_import(job: ImportJob) -> ImportJob:
    """Queue `job` (a new one, or a failed one to resume after its last committed batch)."""
    from .tasks import run_import

    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
    job.status = ImportJob.Status.QUEUED
    transaction.on_commit(lambda: run_import.enqueue(job.pk), robust=True)
    return job
