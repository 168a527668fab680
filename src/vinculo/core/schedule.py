"""Jobs run on a schedule by `vinculo worker`: apps register them from their `AppConfig.ready()`
(sales: quotes past their validity expire).

Each job records when it last ran in the database (`ScheduledRun`), claimed under a row lock, so that
several workers run a due job once; a job must be idempotent all the same, since it is also run by hand
(`vinculo worker --burst`) and after a failure."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction

from . import clock

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
    A job that fails is logged and tried again on the next call."""
    from .models import ScheduledRun

    ran = []
    for job in JOBS.values():
        now = clock.now()
        try:
            with transaction.atomic():
                state, _ = ScheduledRun.objects.select_for_update().get_or_create(name=job.name)
                if state.last_run is not None and now - state.last_run < job.every:
                    continue
                job.run()
                state.last_run = now
                state.save(update_fields=["last_run"])
        except Exception:
            logger.exception("Scheduled job %s failed; it runs again at the next check.", job.name)
            continue
        ran.append(job.name)
    return ran
