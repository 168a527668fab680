"""What a server process does once the application is loaded, before it serves a request."""

import gc


def freeze_loaded_objects() -> None:
    """Put every object loaded so far (modules, models, settings, translations: ~280,000 objects) out of the
    garbage collector's reach for good. They live as long as the process anyway, and a full collection walks
    every object it tracks: over them, one cost ~200 ms of CPU and fell in one request in nine of the time
    report, and now and then in a task list (bench/: the p95 outliers). Frozen, a full collection walks only
    what requests made (a few ms). Called by `vinculo serve` before its workers fork, which also keeps those
    objects' memory shared with the workers (the collector would otherwise write to every page it walks)."""
    gc.freeze()
