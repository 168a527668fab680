"""Import jobs: batches that commit whole, a failure between them, resuming, reverting to the exact prior
state, the background task, and a 10,000-row re-import."""

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from vinculo.contacts.models import Contact
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.exchange import importing
from vinculo.exchange.models import ImportJob, ImportRow
from vinculo.exchange.services import start_import

from .helpers import counts, csv_bytes

pytestmark = pytest.mark.django_db
HEADER = ["First name", "Last name", "Email", "Job title", "City"]


def people(count: int, start: int = 0) -> list[list[str]]:
    return [[f"Nombre{n}", f"Apellido{n}", f"persona{n}@ejemplo.cl", "Analista", "Santiago"]
            for n in range(start, start + count)]


def dump() -> list[dict]:
    """Every live contact as stored, without the bookkeeping columns a revert writes (version, dates)."""
    skip = {"version", "updated_at", "updated_by_id", "deleted_at", "deleted_by_id"}
    return [{key: value for key, value in row.items() if key not in skip}
            for row in Contact.objects.values().order_by("pk")]


def new_job(user, data, **options) -> ImportJob:
    options.setdefault("status", ImportJob.Status.QUEUED)
    job = ImportJob(user=user, kind="contacts", filename="c.csv", **options)
    job.file.save("c.csv", ContentFile(data), save=False)
    job.save()
    return job


def test_a_failure_between_batches_leaves_whole_batches_counted_and_the_job_resumes(org, monkeypatch):
    monkeypatch.setattr(importing, "BATCH_SIZE", 3)
    job = new_job(org.vendedor_norte, csv_bytes([HEADER, *people(5), ["", "", "", "", ""], ["X", "", "bad", "", ""]]))

    real_save = importing.Run.save
    calls = []

    def crash_in_second_batch(self, results):
        calls.append(len(results))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_save(self, results)

    monkeypatch.setattr(importing.Run, "save", crash_in_second_batch)
    job = importing.run(job)
    # The first batch (rows 2-4) committed whole; the second (rows 5, 6 and 8) left nothing behind, though
    # its rows had been created before the crash.
    assert job.status == ImportJob.Status.FAILED and "disk full" in job.error
    assert counts(job) == {"total": 6, "processed": 3, "created": 3, "updated": 0, "skipped": 0, "rejected": 0,
                           "flagged": 0}
    assert Contact.objects.filter(email__startswith="persona").count() == 3
    assert job.rows.count() == 3

    monkeypatch.setattr(importing.Run, "save", real_save)
    job = importing.run(job)
    assert job.status == ImportJob.Status.DONE
    assert counts(job) == {"total": 6, "processed": 6, "created": 5, "updated": 0, "skipped": 0, "rejected": 1,
                           "flagged": 0}
    assert sorted(job.rows.values_list("number", flat=True)) == [2, 3, 4, 5, 6, 8]


def test_revert_restores_the_exact_prior_state(org, run_import):
    ContactFactory(owner=org.vendedor_norte, account=None, last_name="Lagos", email="lagos@x.cl", title="",
                   city="Talca", mobile="")
    before = dump()
    rows = [HEADER, ["Pía", "Lagos", "lagos@x.cl", "Gerente", "Curicó"], *people(3)]
    job = run_import(org.vendedor_norte, "c.csv", csv_bytes(rows), on_duplicate="overwrite")
    assert (job.created, job.updated) == (3, 1)
    assert dump() != before
    job = importing.revert(job, by=org.vendedor_norte)
    assert job.status == ImportJob.Status.REVERTED
    assert dump() == before
    # What it created is in the recycle bin, not gone; history says who reverted.
    assert Contact.all_objects.filter(email__startswith="persona", deleted_at__isnull=False).count() == 3
    lagos = Contact.objects.get(email="lagos@x.cl")
    assert [entry.action for entry in lagos.history()][:2] == ["update", "update"]


def test_start_import_runs_the_job_through_the_task_backend(org, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    job = new_job(org.vendedor_norte, csv_bytes([HEADER, *people(2)]), status=ImportJob.Status.DRAFT)
    with django_capture_on_commit_callbacks(execute=True):
        start_import(job)
    job.refresh_from_db()
    assert (job.status, job.created) == (ImportJob.Status.DONE, 2)


def test_reimporting_10000_rows_changes_nothing_and_three_edited_rows_update_three(org, run_import):
    owner = org.vendedor_norte
    Contact.objects.bulk_create([
        Contact(owner=owner, first_name=first, last_name=last, email=email, title=title, city=city)
        for first, last, email, title, city in people(10_000)
    ])
    rows = [HEADER, *people(10_000)]
    with CaptureQueriesContext(connection) as queries:
        job = run_import(owner, "c.csv", csv_bytes(rows), on_duplicate="overwrite")
    assert (job.total, job.created, job.updated, job.skipped, job.rejected) == (10_000, 0, 0, 10_000, 0)
    # A few queries per batch of 500, none per row: the savepoint, the matches, the file's earlier rows with
    # the batch's keys, the rows' outcomes (SQLite takes 999 parameters a statement: 6 INSERTs), the counts.
    assert len(queries) <= 20 * 11 + 10
    rows[10][3], rows[5000][4], rows[10_000][0] = "Gerente", "Arica", "Otro"
    job = run_import(owner, "c.csv", csv_bytes(rows), on_duplicate="overwrite")
    assert (job.created, job.updated, job.skipped) == (0, 3, 9_997)
    assert sorted(job.rows.filter(outcome=ImportRow.Outcome.UPDATED).values_list("number", flat=True)) == [
        11, 5001, 10_001]
    assert Contact.objects.get(email="persona4999@ejemplo.cl").city == "Arica"
