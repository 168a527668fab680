"""XLSX export throughput on whatever data the database holds (`make bench` builds the large dataset).

    python bench/exports.py [--deals 200000 [50000 …]] [--user admin] [--report]

Writes the first --deals opportunities the user may see as XLSX through the list export (the deals list's
columns: `exchange.exporting.rows` → `write_xlsx`, as the inline download and the background job do) and
prints rows/s by elapsed time and by this process's CPU time (SQLite runs in process, so the CPU figure
includes the database's reads; on a busy machine it is the one to compare between runs), the file's size,
the process's peak RSS and how much the export added to the resident memory at its peak. --report does the
same through the report engine and its XLSX writer, as the background job does (`reports.engine.export` →
`reports.output.to_xlsx`, into a temporary file). Several --deals sizes show whether memory grows with the
rows. Nothing is written to the database. Target (issues #13 and #14): ≥ 50,000 rows/s, memory bounded. A
missed target is reported, not a failure.
"""

import argparse
import gc
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

from vinculo.exchange import exporting  # noqa: E402
from vinculo.org.models import User  # noqa: E402
from vinculo.sales.models import Opportunity  # noqa: E402

TARGET = 50_000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """This process's resident memory now (Linux), else its peak so far."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return peak_rss_mb()


class Timer:
    """Elapsed and CPU time of a block, and how much it added to the resident memory at its peak: sampled
    every 5 ms, and the process's peak (getrusage) when the block raised it. The process's peak alone would
    hide a block that stays under an earlier one's."""

    def __enter__(self):
        gc.collect()
        self.rss_start = self.rss_peak = rss_mb()
        self.max_before = peak_rss_mb()
        self._done = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def _sample(self):
        while not self._done.wait(0.005):
            self.rss_peak = max(self.rss_peak, rss_mb())

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu
        self._done.set()
        self._sampler.join()
        self.rss_peak = max(self.rss_peak, rss_mb())
        if peak_rss_mb() > self.max_before:
            self.rss_peak = max(self.rss_peak, peak_rss_mb())

    @property
    def growth(self) -> float:
        return self.rss_peak - self.rss_start


def report(label: str, rows: int, timer: Timer, size: int) -> bool:
    wall, cpu = rows / timer.wall, rows / max(timer.cpu, 1e-9)
    met = wall >= TARGET
    print(f"{label}: {rows:,} rows in {timer.wall:.1f} s ({timer.cpu:.1f} s CPU) = {wall:,.0f} rows/s elapsed, "
          f"{cpu:,.0f} rows/s CPU; {size / 2**20:,.1f} MB; peak RSS {peak_rss_mb():,.0f} MB, "
          f"+{timer.growth:,.0f} MB during the export; target ≥ {TARGET:,} rows/s " + ("ok" if met else "MISSED"))
    return met


def list_export(user, deals: int) -> bool:
    visible = Opportunity.objects.visible_to(user).order_by("pk")
    last = visible.values_list("pk", flat=True)[deals - 1: deals].first() or visible.values_list(
        "pk", flat=True).last()
    queryset = Opportunity.objects.filter(pk__lte=last or 0)
    rows = visible.filter(pk__lte=last or 0).count()
    with Timer() as timer:
        output = exporting.write_xlsx(exporting.rows("deals", user, queryset=queryset, typed=True), "deals")
        size = output.seek(0, 2)
        output.close()
    return report(f"XLSX export of the deals list as {user.username}", rows, timer, size)


def report_export(user, deals: int) -> bool:
    from vinculo.reports.engine import Definition, export
    from vinculo.reports.output import to_xlsx

    definition = Definition("opportunity", columns=["name", "account", "owner", "stage", "amount",
                                                    "expected_close_date"])
    written = []
    with Timer() as timer, tempfile.TemporaryFile() as out:
        to_xlsx(export(definition, user, limit=deals), "bench", out, written.append)
        size = out.seek(0, 2)
    return report(f"XLSX export of a report as {user.username}", written[-1], timer, size)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, nargs="+", default=[200_000], help="rows to export (several: one run each)")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--report", action="store_true", help="also export through the report engine")
    options = parser.parse_args()
    user = User.objects.get(username=options.user)
    print(f"database: {settings.DATABASES['default']['NAME']}, {Opportunity.objects.count():,} opportunities")
    met = True
    for deals in options.deals:
        met = list_export(user, deals) and met
        if options.report:
            met = report_export(user, deals) and met
    if not met:
        print("Target MISSED (reported, not a failure)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
