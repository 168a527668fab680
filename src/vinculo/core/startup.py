"""What a server process does once the application is loaded, before it serves a request."""

import gc

from django.core.signals import request_finished

# Python starts a full collection after every 10 collections of its middle generation (gc.get_threshold()).
# Between requests we start it at that same pace; on its own it would start one only after ten times more,
# a safety net for a long request (an export) that makes a lot of garbage.
FULL_COLLECTION_EVERY = 10
FULL_COLLECTION_SAFETY_NET = 100


def prepare_to_serve() -> None:
    """What every server entry point (wsgi.py, `vinculo serve`, the benchmark) runs once the application is
    loaded and before the first request, so that none of them forgets a part."""
    freeze_loaded_objects()
    collect_between_requests()


def freeze_loaded_objects() -> None:
    """Put every object loaded so far (modules, models, settings, translations: ~280,000 objects) out of the
    garbage collector's reach for good. They live as long as the process anyway, and a full collection walks
    every object it tracks: over them, one cost ~200 ms of CPU and fell in one request in nine of the time
    report, and now and then in a task list (bench/: the p95 outliers). Frozen, a full collection walks only
    what requests made. Called by `vinculo serve` before its workers fork, which also keeps those objects'
    memory shared with the workers (the collector would otherwise write to every page it walks)."""
    gc.freeze()


def collect_between_requests() -> None:
    """Run the full garbage collections once a response has gone out rather than in the middle of a request.
    A request leaves ~5,000 objects in reference cycles (querysets, compilers, template contexts) that outlive
    the young collections made while it runs, so only a full collection frees them: one every ten requests or
    so, ~45 ms of CPU with the loaded objects frozen (bench/: the activity list's p95 at 1.7× its p50). The
    request during which it started paid for it; now the worker pays between two requests. The server calls
    a response's close() once the response is sent, which sends request_finished."""
    young, middle, _full = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_SAFETY_NET)
    request_finished.connect(collect_if_due, dispatch_uid="vinculo.core.startup.collect_if_due")


def collect_if_due(**kwargs) -> None:
    if gc.get_count()[2] >= FULL_COLLECTION_EVERY:
        gc.collect()
