"""Vínculo write benchmark (issue #15): creating accounts through the API, one after another, as a rep.

Targets: at most 8 SQL queries per create and at least 200 creates per second, sequentially, on SQLite. Each
create is `POST /api/v1/accounts` with a bearer token, like an integration: authentication, validation (the
tax id's uniqueness), the insert, its history line, the queued event that reindexes search in the background,
and the answer read back. In process through Django's test client by default; `--http URL` sends the same
requests to a server already running on the same database (the query count still comes from one in-process
request). A worker, if one runs, reindexes in the background; its time is not the request's.

The accounts it creates are deleted for good at the end, with their history, search entries and queued tasks, so
the dataset is left as it was.

    python bench/writes.py [--creates 500] [--user vendedor.norte] [--http http://127.0.0.1:8000] [--cpu] [--profile [N]]
"""

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
import urllib.request

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vinculo.settings")

import django  # noqa: E402

django.setup()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from vinculo.accounts.models import Account  # noqa: E402
from vinculo.api.models import ApiToken  # noqa: E402
from vinculo.core import clock  # noqa: E402
from vinculo.core.models import ChangeLog, SearchEntry  # noqa: E402
from vinculo.core.search import kind_of  # noqa: E402
from vinculo.org.models import User  # noqa: E402

QUERY_TARGET, RATE_TARGET = 8, 200
PATH = "/api/v1/accounts"
PREFIX = "Bench write"
WARM_UP = 5

# Valid Chilean RUTs differ per create, so each one runs the tax-id uniqueness check as a real create does.
RUT_BASE = 90_000_000


def rut(number: int) -> str:
    total, factor = 0, 2
    for digit in reversed(str(number)):
        total += int(digit) * factor
        factor = 2 if factor == 7 else factor + 1
    check = {10: "K", 11: "0"}.get(11 - total % 11, str(11 - total % 11))
    return f"{number}-{check}"


def payload(n: int) -> bytes:
    return json.dumps({"legal_name": f"{PREFIX} {n} SpA", "tax_id": rut(RUT_BASE + n),
                       "phone": f"+56 2 2{n % 1000:03d} {n % 10000:04d}", "email": f"compras{n}@bench.example"}).encode()


def in_process(key: str):
    client = Client(headers={"Authorization": f"Bearer {key}"})

    def post(n: int) -> int:
        return client.post(PATH, payload(n), content_type="application/json").status_code
    return post


def over_http(base: str, key: str):
    def post(n: int) -> int:
        request = urllib.request.Request(base.rstrip("/") + PATH, data=payload(n), method="POST", headers={
            "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            response.read()
            return response.status
    return post


def clean_up(started_at) -> int:
    ids = list(Account.all_objects.filter(legal_name__startswith=PREFIX, created_at__gte=started_at)
               .values_list("pk", flat=True))
    account_type = ContentType.objects.get_for_model(Account)
    ChangeLog.objects.filter(content_type=account_type, object_id__in=ids).delete()
    SearchEntry.objects.filter(kind=kind_of(Account), object_id__in=ids).delete()
    DBTaskResult.objects.filter(enqueued_at__gte=started_at, status="READY").delete()
    Account.all_objects.filter(pk__in=ids).delete()
    return len(ids)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creates", type=int, default=500)
    parser.add_argument("--user", default="vendedor.norte")
    parser.add_argument("--http", metavar="URL", help="Send the creates to a running server at URL.")
    parser.add_argument("--cpu", action="store_true", help="This process's CPU time instead of elapsed time.")
    parser.add_argument("--profile", metavar="N", type=int, nargs="?", const=30,
                        help="Profile the timed creates (in process) and print the N costliest functions.")
    parser.add_argument("--profile-file", metavar="PATH", help="With --profile, also save the profile there.")
    args = parser.parse_args()

    user = User.objects.get(username=args.user)
    token, key = ApiToken.issue(user, name="bench/writes.py")
    started_at = clock.now()
    try:
        local = in_process(key)
        post = over_http(args.http, key) if args.http else local
        for n in range(WARM_UP):
            post(n)
        with CaptureQueriesContext(connection) as captured:
            status = local(WARM_UP)
        if status != 201:
            print(f"POST {PATH} answered {status}", file=sys.stderr)
            return 1
        queries = [q["sql"] for q in captured.captured_queries]
        # Statements, not transaction control (BEGIN, COMMIT, savepoints), which the count leaves out.
        counted = [sql for sql in queries if not sql.startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))]

        clock_fn = time.process_time if args.cpu and not args.http else time.perf_counter
        first = WARM_UP + 1
        profiler = cProfile.Profile() if args.profile else None
        start = clock_fn()
        if profiler:
            profiler.enable()
        for n in range(first, first + args.creates):
            if post(n) != 201:
                print(f"create {n} failed", file=sys.stderr)
                return 1
        if profiler:
            profiler.disable()
        elapsed = clock_fn() - start
    finally:
        removed = clean_up(started_at)
        token.delete()

    rate = args.creates / elapsed
    what = "CPU" if args.cpu and not args.http else ("HTTP" if args.http else "in process")
    print(f"{connection.vendor} · {Account.objects.count():,} accounts · {args.user} · {what}")
    print(f"API create of an account: {len(counted)} queries, {len(queries) - len(counted)} transaction "
          f"statements beside them (target ≤ {QUERY_TARGET} queries)"
          f"{'' if len(counted) <= QUERY_TARGET else '  MISSED'}")
    for sql in counted:
        print(f"    {sql[:110]}")
    print(f"{args.creates} creates in {elapsed:.2f} s: {rate:.0f} per second, {1000 / rate:.1f} ms each "
          f"(target ≥ {RATE_TARGET}/s){'' if rate >= RATE_TARGET else '  MISSED'}")
    print(f"({removed} bench accounts deleted again)")
    if profiler:
        if args.profile_file:
            profiler.dump_stats(args.profile_file)
        for order in ("cumulative", "tottime"):
            pstats.Stats(profiler, stream=sys.stdout).sort_stats(order).print_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
