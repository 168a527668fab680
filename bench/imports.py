"""Import and export throughput on whatever data the database holds (`make bench` builds the large dataset).

    python bench/imports.py [--rows 100000] [--user vendedor.norte] [--deals 200000]

Imports a generated contacts CSV of --rows rows as --user with the duplicate rules on (half the rows are
e-mails of contacts the user can see, so they are matched; half are new), and prints rows/s beside the raw
insert rate of the same number of contacts (bulk_create, no rules) for the ratio, and the process's peak
RSS. Then writes up to --deals opportunities as XLSX and prints rows/s. Everything runs inside a
transaction that is rolled back: the database is left as it was. Targets (issue #13): ≥ 5,000 rows/s
for the import on SQLite, ≥ 50,000 rows/s for the XLSX export.
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


def timed_import(user, data: bytes) -> tuple[float, ImportJob]:
    job = ImportJob(user=user, kind="contacts", filename="bench.csv", on_duplicate="fill_empty",
                    status=ImportJob.Status.QUEUED)
    job.file.save("bench.csv", ContentFile(data), save=False)
    job.save()
    start = time.perf_counter()
    job = importing.run(job)
    return time.perf_counter() - start, job


def raw_insert(user, rows: int) -> float:
    start = time.perf_counter()
    Contact.objects.bulk_create([Contact(owner=user, first_name=f"N{n}", last_name=f"A{n}", email=f"raw{n}@x.cl")
                                 for n in range(rows)], batch_size=1000)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--user", default="vendedor.norte")
    parser.add_argument("--deals", type=int, default=200_000)
    options = parser.parse_args()
    user = User.objects.get(username=options.user)
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="vinculo-bench-")
    data = contacts_csv(user, options.rows)
    try:
        with transaction.atomic():
            seconds, job = timed_import(user, data)
            raise Rollback
    except Rollback:
        pass
    print(f"import: {job.total} rows in {seconds:.1f} s = {job.total / seconds:,.0f} rows/s "
          f"(created {job.created}, updated {job.updated}, skipped {job.skipped}, rejected {job.rejected}); "
          f"status {job.status}; target ≥ 5,000 rows/s")
    try:
        with transaction.atomic():
            raw = raw_insert(user, options.rows)
            raise Rollback
    except Rollback:
        pass
    print(f"raw insert: {options.rows / raw:,.0f} rows/s; import / raw = {raw / seconds:.2%}")
    print(f"peak RSS: {peak_rss_mb():,.0f} MB")
    director = User.objects.filter(is_superuser=True).first() or user
    from vinculo.sales.models import Opportunity

    queryset = Opportunity.objects.order_by("pk")[: options.deals]
    count = min(options.deals, Opportunity.objects.count())
    start = time.perf_counter()
    exporting.write_xlsx(exporting.rows("deals", director, queryset=Opportunity.objects.filter(
        pk__in=queryset.values("pk")), typed=True), "deals").close()
    seconds = time.perf_counter() - start
    print(f"XLSX export: {count} deals in {seconds:.1f} s = {count / max(seconds, 1e-9):,.0f} rows/s; "
          f"target ≥ 50,000 rows/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
