"""Report engine benchmark on the large demo dataset (`make bench` runs it after bench/run.py).

Targets of issue #14 (SQLite, 2 cores): a report over every deal grouped by stage and owner, p95 < 300 ms;
the pipeline-by-stage report as a rep, p95 < 150 ms; an XLSX export of 200,000 rows at 50,000 rows/s or
more. Each case is an engine run in process (`vinculo.reports.engine.run`: the rows shown, the groups, the
total, the visibility of related records), not a page. A missed target is reported, not a failure.

    python bench/reports.py [--runs 20] [--xlsx-rows 200000]
"""

import argparse
import os
import resource
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vinculo.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from vinculo.org.models import User  # noqa: E402
from vinculo.reports.engine import Aggregate, Definition, run  # noqa: E402
from vinculo.reports.output import to_xlsx  # noqa: E402
from vinculo.reports.predefined import BY_SLUG  # noqa: E402
from vinculo.sales.models import Opportunity  # noqa: E402

WARM_UP = 2


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def timed(definition: Definition, user, runs: int) -> tuple[float, float, float, float, int, int]:
    """p50 and p95 of the wall time, p50 and p95 of the process's CPU time (SQLite runs in the process: its
    work counts; on a loaded machine the CPU time is the steadier figure), queries, records counted."""
    for _ in range(WARM_UP):
        run(definition, user)
    samples, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        run(definition, user)
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    with CaptureQueriesContext(connection) as queries:
        result = run(definition, user)
    return (percentile(samples, 0.5), percentile(samples, 0.95), percentile(cpu, 0.5), percentile(cpu, 0.95),
            len(queries.captured_queries), result.total.count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--xlsx-rows", type=int, default=200_000)
    options = parser.parse_args()
    deals = Opportunity.objects.count()
    print(f"Report engine: {deals:,} opportunities · {connection.vendor} · {options.runs} runs after {WARM_UP} warm-up")
    by_stage_and_owner = Definition("opportunity", columns=["name", "account", "owner", "stage", "amount"],
                                    group_by=["stage", "owner"], aggregates=[Aggregate("amount", "sum")])
    cases = [
        ("grouped by stage and owner", by_stage_and_owner, "director", 300),
        ("grouped by stage and owner", by_stage_and_owner, "admin", 300),
        ("pipeline by stage", BY_SLUG["pipeline-by-stage"].build(), "vendedor.norte", 150),
        ("pipeline by stage", BY_SLUG["pipeline-by-stage"].build(), "director", 300),
    ]
    missed = []
    print(f"{'case':<30} {'user':<15} {'rows':>8} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8} {'cpu p95':>8} "
          f"{'queries':>8}  target")
    for label, definition, username, target in cases:
        user = User.objects.get(username=username)
        p50, p95, cpu50, cpu95, queries, count = timed(definition, user, options.runs)
        verdict = "ok" if p95 < target else "MISSED"
        if p95 >= target:
            missed.append(f"{label} as {username}: p95 {p95:.0f} ms ≥ {target} ms")
        print(f"{label:<30} {username:<15} {count:>8,} {p50:>8.1f} {p95:>8.1f} {cpu50:>8.1f} {cpu95:>8.1f} "
              f"{queries:>8}  <{target} {verdict}")

    if not options.xlsx_rows:
        if missed:
            print("Targets MISSED:\n  " + "\n  ".join(missed))
        return 0
    admin = User.objects.get(username="admin")
    export = Definition("opportunity", columns=["name", "account", "owner", "stage", "amount", "expected_close_date"])
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    result = run(export, admin, limit=options.xlsx_rows)
    queried = time.perf_counter() - start
    data = to_xlsx(result, "bench")
    elapsed = time.perf_counter() - start
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    rate = len(result.rows) / elapsed
    print(f"XLSX export: {len(result.rows):,} rows in {elapsed:.1f} s ({queried:.1f} s querying) = {rate:,.0f} rows/s, "
          f"{len(data) / 1e6:.1f} MB, peak memory grown by {grown:.0f} MB  target ≥ 50,000 rows/s "
          + ("ok" if rate >= 50_000 else "MISSED"))
    if rate < 50_000:
        missed.append(f"XLSX export {rate:,.0f} rows/s < 50,000")
    if missed:
        print("Targets MISSED:\n  " + "\n  ".join(missed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
