"""Import and export throughput on whatever data the database holds (`make bench` builds the large dataset).

    python bench/imports.py [--rows 100000] [--user vendedor.norte] [--deals 200000] [--no-raw] [--no-export]

Imports a generated contacts CSV of --rows rows as --user with the duplicate rules on (half the rows are
e-mails of contacts the user can see, so they are matched; half are new), and prints rows/s beside the raw
insert rate of the same number of contacts (bulk_create, no rules) for the ratio, and the process's peak
RSS. The search index is brought up to date after the commit, by the worker: its time on the import's
events is printed apart. Then writes up to --deals opportunities as XLSX and prints rows/s. Everything
runs inside a transaction that is rolled back: the database is left as it was. Targets (issue #13):
≥ 5,000 rows/s for the import on SQLite, ≥ 50,000 rows/s for the XLSX export.

Rates are given by elapsed time and by this process's CPU time (SQLite runs in process, so it includes
the database's work): on a busy machine the CPU figure is the one to compare between runs. For the peak
RSS of a 1,000,000-row file run `--rows 1000000 --no-raw --no-export` on its own: ru_maxrss is the
process's peak, whatever ran before in it.
"""

import argparse
import csv
import io
import os
import resource
import sys
import tempfile
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vinculo.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.db import transaction  # noqa: E402

from vinculo.contacts.models import Contact  # noqa: E402
from vinculo.exchange import exporting, importing  # noqa: E402
from vinculo.exchange.models import ImportJob  # noqa: E402
from vinculo.org.models import User  # noqa: E402


class Rollback(Exception):
    pass


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def contacts_csv(user, rows: int) -> bytes:
    known = list(Contact.objects.visible_to(user).exclude(email="").values_list("first_name", "last_name", "email")
                 [: rows // 2])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Nombre", "Apellidos", "Correo", "Cargo", "Ciudad"])
    for first, last, email in known:
        writer.writerow([first, last, email, "", ""])
    for number in range(rows - len(known)):
        writer.writerow([f"Nombre{number}", f"Apellido{number}", f"bench{number}@ejemplo.cl", "Analista", "Santiago"])
    return buffer.getvalue().encode()


class Timer:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu

    def rates(self, rows: int) -> str:
        return f"{rows / self.wall:,.0f} rows/s elapsed, {rows / self.cpu:,.0f} rows/s CPU"


def timed_import(user, data: bytes) -> tuple[Timer, ImportJob]:
    job = ImportJob(user=user, kind="contacts", filename="bench.csv", on_duplicate="fill_empty",
                    status=ImportJob.Status.QUEUED)
    job.file.save("bench.csv", ContentFile(data), save=False)
    job.save()
    connection = transaction.get_connection()

    def forget_commit_callbacks(_batch):
        # A real run commits each batch, which hands its events' task to the queue; here the transaction is
        # rolled back at the end, so they would pile up in memory until then: they are dropped.
        connection.run_on_commit.clear()

    with Timer() as timer:
        job = importing.run(job, after_batch=forget_commit_callbacks)
    return timer, job


def timed_reindex(job: ImportJob) -> tuple[Timer, int]:
    """The worker's search-index work on the import's events, a batch (one task) at a time."""
    from vinculo.core import events, search

    ids = list(job.rows.filter(object_id__isnull=False).values_list("object_id", flat=True))
    with Timer() as timer:
        for start in range(0, len(ids), importing.BATCH_SIZE):
            search.reindex_all([events.Event(kind=events.Kind.CREATED, record_type="contacts.contact",
                                             record_id=pk, actor_id=None)
                                for pk in ids[start:start + importing.BATCH_SIZE]])
    return timer, len(ids)


def raw_insert(user, rows: int) -> Timer:
    with Timer() as timer:
        Contact.objects.bulk_create([Contact(owner=user, first_name=f"N{n}", last_name=f"A{n}",
                                             email=f"raw{n}@x.cl") for n in range(rows)], batch_size=1000)
    return timer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--user", default="vendedor.norte")
    parser.add_argument("--deals", type=int, default=200_000)
    parser.add_argument("--no-raw", action="store_true", help="skip the raw insert")
    parser.add_argument("--no-export", action="store_true", help="skip the XLSX export")
    options = parser.parse_args()
    user = User.objects.get(username=options.user)
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="vinculo-bench-")
    print(f"database: {settings.DATABASES['default']['NAME']}, {Contact.objects.count():,} contacts "
          f"({Contact.objects.visible_to(user).count():,} visible to {user.username})")
    data = contacts_csv(user, options.rows)
    try:
        with transaction.atomic():
            timer, job = timed_import(user, data)
            index_timer, indexed = timed_reindex(job)
            raise Rollback
    except Rollback:
        pass
    print(f"import: {job.total:,} rows in {timer.wall:.1f} s ({timer.cpu:.1f} s CPU) = {timer.rates(job.total)} "
          f"(created {job.created}, updated {job.updated}, skipped {job.skipped}, rejected {job.rejected}); "
          f"status {job.status}; target ≥ 5,000 rows/s")
    print(f"search index (worker, after commit): {indexed:,} records = {index_timer.rates(max(indexed, 1))}")
    if not options.no_raw:
        try:
            with transaction.atomic():
                raw = raw_insert(user, options.rows)
                raise Rollback
        except Rollback:
            pass
        print(f"raw insert (bulk_create): {raw.rates(options.rows)}; import / raw = {raw.wall / timer.wall:.0%} "
              f"elapsed, {raw.cpu / timer.cpu:.0%} CPU")
    print(f"peak RSS: {peak_rss_mb():,.0f} MB (file of {options.rows:,} rows, {len(data) / 2**20:,.1f} MB)")
    if options.no_export:
        return 0
    director = User.objects.filter(is_superuser=True).first() or user
    from vinculo.sales.models import Opportunity

    queryset = Opportunity.objects.order_by("pk")[: options.deals]
    count = min(options.deals, Opportunity.objects.count())
    with Timer() as export:
        exporting.write_xlsx(exporting.rows("deals", director, queryset=Opportunity.objects.filter(
            pk__in=queryset.values("pk")), typed=True), "deals").close()
    print(f"XLSX export: {count:,} deals in {export.wall:.1f} s = {export.rates(max(count, 1))}; "
          f"target ≥ 50,000 rows/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
