"""Event handlers for test_events: each writes what it saw to the JSON-lines file named by
VINCULO_TEST_EVENTS_LOG, so a worker in another process (RQ) reports back to the test like one in this process."""

import json
import os

from vinculo.core.events import Event


def _write(handler: str, event: Event) -> int:
    """Append this call; return the how-manieth call of `handler` on `event` it is."""
    path = os.environ["VINCULO_TEST_EVENTS_LOG"]
    with open(path, "a", encoding="utf-8") as log:
        log.write(json.dumps({"handler": handler, "event": event.to_json()}) + "\n")
    return sum(1 for call in calls(path) if call["handler"] == handler and call["event"]["id"] == event.id)


def calls(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as log:
        return [json.loads(line) for line in log if line.strip()]


def record(event: Event) -> None:
    _write("record", event)


def fails_once(event: Event) -> None:
    if _write("fails_once", event) == 1:
        raise RuntimeError("fails_once: first attempt")


def always_fails(event: Event) -> None:
    _write("always_fails", event)
    raise RuntimeError("always_fails")
