"""Import and export throughput on whatever data the database holds (`make bench` builds the large dataset).

    python bench/imports.py [--rows 100000] [--user vendedor.norte] [--deals 200000] [--no-raw] [--no-export]
                            [--no-index]

Imports a generated contacts CSV of --rows rows as --user with the duplicate rules on (half the rows are
e-mails of contacts the user can see, so they are matched; half are new), and prints rows/s beside the raw
insert rate of the same number of contacts (bulk_create, no rules) for the ratio. The file is written to
disk a row at a time and stored as the job's file, and the import is the job's own run (`importing.run`),
so its memory is what a worker's would be: the process's resident memory before the import, its peak
during the import and the growth are printed. The search index is brought up to date after the commit,
by the worker: its time on the import's events is printed apart (--no-index skips it). Then writes up to
--deals opportunities as XLSX and prints rows/s. Everything runs inside a transaction that is rolled
back: the database is left as it was. Targets (issue #13): ≥ 5,000 rows/s for the import on SQLite,
≥ 50,000 rows/s for the XLSX export, and an import's peak memory that does not grow with its file (compare
`--rows 100000` with `--rows 1000000 --no-raw --no-export --no-index`).

Rates are given by elapsed time and by this process's CPU time (SQLite runs in process, so it includes
the database's work): on a busy machine the CPU figure is the one to compare between runs. The peak is
the kernel's high-water mark of this process's resident memory (VmHWM), reset just before the import
(/proc/self/clear_refs); where that cannot be reset, ru_maxrss, the peak of the whole process.
"""

import argparse
import csv
import os
import resource
import sys
import tempfile
import threading
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vinculo.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files import File  # noqa: E402
from django.db import transaction  # noqa: E402

from vinculo.contacts.models import Contact  # noqa: E402
from vinculo.exchange import exporting, importing  # noqa: E402
from vinculo.exchange.models import ImportJob  # noqa: E402
from vinculo.org.models import User  # noqa: E402


class Rollback(Exception):
    pass


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def reset_peak() -> bool:
    """Start the kernel's high-water mark of resident memory afresh (Linux 4.0 and later)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def contacts_csv(user, rows: int, path: str) -> None:
    """Write the file to `path` a row at a time: its size never sits in this process's memory."""
    known = (Contact.objects.visible_to(user).exclude(email="").order_by()
             .values_list("first_name", "last_name", "email")[: rows // 2])
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["Nombre", "Apellidos", "Correo", "Cargo", "Ciudad"])
        written = 0
        for first, last, email in known.iterator(chunk_size=2000):
            writer.writerow([first, last, email, "", ""])
            written += 1
        for number in range(rows - written):
            writer.writerow([f"Nombre{number}", f"Apellido{number}", f"bench{number}@ejemplo.cl", "Analista",
                             "Santiago"])


class Timer:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu

    def rates(self, rows: int) -> str:
        return f"{rows / self.wall:,.0f} rows/s elapsed, {rows / self.cpu:,.0f} rows/s CPU"


class Memory:
    """Resident memory before the import and its peak during it, in MB: the whole (VmHWM, which counts the
    database file's pages SQLite maps into memory, up to its mmap_size) and, sampled every 20 ms, the
    process's own anonymous memory (RssAnon: Python's objects, SQLite's page cache)."""

    def __enter__(self):
        self.before = _status_mb("VmRSS") or peak_rss_mb()
        self.anon_before = self.anon_peak = _status_mb("RssAnon") or 0.0
        self.reset = reset_peak()
        self.done = threading.Event()
        self.sampler = threading.Thread(target=self.sample, daemon=True)
        self.sampler.start()
        return self

    def sample(self):
        while not self.done.wait(0.02):
            self.anon_peak = max(self.anon_peak, _status_mb("RssAnon") or 0.0)

    def __exit__(self, *exc):
        self.done.set()
        self.sampler.join()
        self.peak = (_status_mb("VmHWM") if self.reset else None) or peak_rss_mb()

    def __str__(self):
        how = "VmHWM since the import began" if self.reset else "ru_maxrss, the whole process"
        return (f"peak RSS during the import {self.peak:,.0f} MB ({how}; before it {self.before:,.0f} MB, growth "
                f"{self.peak - self.before:,.0f} MB); anonymous memory {self.anon_peak:,.0f} MB at its peak "
                f"(before {self.anon_before:,.0f} MB, growth {self.anon_peak - self.anon_before:,.0f} MB)")


def timed_import(user, path: str) -> tuple[Timer, Memory, ImportJob]:
    job = ImportJob(user=user, kind="contacts", filename="bench.csv", on_duplicate="fill_empty",
                    status=ImportJob.Status.QUEUED)
    with open(path, "rb") as file:
        job.file.save("bench.csv", File(file), save=False)  # stored a chunk at a time, as an upload is
    job.save()
    connection = transaction.get_connection()

    def forget_commit_callbacks(_batch):
        # A real run commits each batch, which hands its events' task to the queue; here the transaction is
        # rolled back at the end, so they would pile up in memory until then: they are dropped.
        connection.run_on_commit.clear()

    with Memory() as memory, Timer() as timer:
        job = importing.run(job, after_batch=forget_commit_callbacks)
    return timer, memory, job


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
    parser.add_argument("--no-index", action="store_true", help="skip the search index's time on the import")
    options = parser.parse_args()
    user = User.objects.get(username=options.user)
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="vinculo-bench-")
    print(f"database: {settings.DATABASES['default']['NAME']}, {Contact.objects.count():,} contacts "
          f"({Contact.objects.visible_to(user).count():,} visible to {user.username})")
    path = os.path.join(settings.MEDIA_ROOT, "generated.csv")
    contacts_csv(user, options.rows, path)
    size = os.path.getsize(path)
    index_timer = indexed = None
    try:
        with transaction.atomic():
            timer, memory, job = timed_import(user, path)
            if not options.no_index:
                index_timer, indexed = timed_reindex(job)
            raise Rollback
    except Rollback:
        pass
    print(f"import: {job.total:,} rows in {timer.wall:.1f} s ({timer.cpu:.1f} s CPU) = {timer.rates(job.total)} "
          f"(created {job.created}, updated {job.updated}, skipped {job.skipped}, rejected {job.rejected}); "
          f"status {job.status}; target ≥ 5,000 rows/s")
    print(f"{memory} (file of {options.rows:,} rows, {size / 2**20:,.1f} MB)")
    if index_timer is not None:
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
    print(f"peak RSS of the process: {peak_rss_mb():,.0f} MB")
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
