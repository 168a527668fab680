"""Jobs run on a schedule by `vinculo worker`: apps register them from their `AppConfig.ready()`
(sales: quotes past their validity expire).

Each job records when it last ran in the database (`ScheduledRun`), claimed under a row lock, so that
several workers run a due job once (SQLite has no row locks: there two workers may both run it); a job
must be idempotent all the same, since it is also run by hand (`vinculo worker --burst`) and after a
failure."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction

from . import clock
from .models import ScheduledRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], object]
    every: timedelta


JOBS: dict[str, Job] = {}


def register(name: str, run: Callable[[], object], every: timedelta) -> Job:
    if name in JOBS:
        raise ValueError(f"A scheduled job {name!r} is already registered.")
    JOBS[name] = Job(name, run, every)
    return JOBS[name]


def run_due() -> list[str]:
    """Run every job whose interval has passed since it last ran (or that never ran); the names run.
    A job is claimed in a short transaction and run outside it, so a long job holds no lock; one that
    fails is logged, its claim is given back, and it runs again at the next call."""
    ran = []
    for job in JOBS.values():
        previous = False
        try:
            previous = _claim(job)
            if previous is False:
                continue
            job.run()
        except Exception:
            logger.exception("Scheduled job %s failed; it runs again at the next check.", job.name)
            if previous is not False:
                ScheduledRun.objects.filter(name=job.name).update(last_run=previous)
            continue
        ran.append(job.name)
    return ran


def _claim(job: Job):
    """Mark `job` as run now if it is due, under a row lock (several workers: one wins); the time it last
    ran before (None if never), or False when it is not due."""
    now = clock.now()
    with transaction.atomic():
        state, _ = ScheduledRun.objects.select_for_update().get_or_create(name=job.name)
        if state.last_run is not None and now - state.last_run < job.every:
            return False
        previous, state.last_run = state.last_run, now
        state.save(update_fields=["last_run"])
    return previous
