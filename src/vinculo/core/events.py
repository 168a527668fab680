"""Events on commit: every write through `core.services` tells the apps what happened, after it commits.

A write emits one typed `Event` (what happened to which record, by whom, which fields went from what to
what). Apps subscribe handlers from their `AppConfig.ready()`, the way they register record types:

    events.subscribe(notify_owner, kinds=[events.Kind.TRANSITION], record_types=["sales.quote"])

`emit` waits for the transaction to commit (nothing is said about a write that rolled back), then
enqueues one django-tasks task per write with the matching handlers' dotted paths; a worker (`vinculo
worker`) runs them. Each handler runs in its own transaction and apart from the others: one that raises
is logged with the event and tried again later (`VINCULO_EVENTS["ATTEMPTS"]`, waiting BACKOFF_SECONDS,
then twice as long each time), then logged as failed. Nothing a handler does reaches the user's request.

With `VINCULO_EVENTS["EAGER"]` (the test settings) handlers run at once, inside the writer's transaction,
each in a savepoint, retried at once and never raising: tests see the index and other effects of a write
without running a worker, and a test's transaction, which never commits, still rolls them back.
"""

import datetime
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.module_loading import import_string

from . import clock

logger = logging.getLogger("vinculo.events")


class Kind:
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"  # moved to the recycle bin
    RESTORED = "restored"
    # An update that changed a field named in TRANSITION_FIELDS (a quote sent, a deal moved on, a lead
    # qualified). It is emitted instead of "updated", never as well: one event per write.
    TRANSITION = "transition"

    ALL = (CREATED, UPDATED, DELETED, RESTORED, TRANSITION)
    # Every kind of event that carries changed fields.
    CHANGES = (UPDATED, TRANSITION)


TRANSITION_FIELDS = frozenset({"status", "stage"})


@dataclass(frozen=True)
class Change:
    field: str  # the model field's name ("territory", not "territory_id")
    old: object  # the stored values as JSON has them: ids for relations, ISO text for dates, text for decimals
    new: object


@dataclass(frozen=True)
class Event:
    kind: str
    record_type: str  # the model's label, lower case: "accounts.account"
    record_id: int
    actor_id: int | None  # the user who wrote, None for the system
    # Empty for creations, deletions and restorations, and for a save that went around core.services (the
    # admin, a data fix): those say that the record changed, not how.
    changes: tuple[Change, ...] = ()
    occurred_at: datetime.datetime = field(default_factory=clock.now)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def changed_fields(self) -> set[str]:
        return {change.field for change in self.changes}

    def to_json(self) -> dict:
        return {
            "id": self.id, "kind": self.kind, "record_type": self.record_type, "record_id": self.record_id,
            "actor_id": self.actor_id, "occurred_at": self.occurred_at.isoformat(),
            "changes": [{"field": change.field, "old": change.old, "new": change.new} for change in self.changes],
        }

    @classmethod
    def from_json(cls, data: dict) -> "Event":
        return cls(
            id=data["id"], kind=data["kind"], record_type=data["record_type"], record_id=data["record_id"],
            actor_id=data["actor_id"], occurred_at=datetime.datetime.fromisoformat(data["occurred_at"]),
            changes=tuple(Change(**change) for change in data["changes"]),
        )

    def __str__(self) -> str:
        by = f"user {self.actor_id}" if self.actor_id else "the system"
        return f"{self.kind} {self.record_type} {self.record_id} by {by} (event {self.id})"


def plain(value):
    """`value` as JSON carries it (what a task argument can hold)."""
    return json.loads(json.dumps(value, cls=_Encoder))


class _Encoder(DjangoJSONEncoder):
    def default(self, o):
        try:
            return super().default(o)
        except TypeError:
            return str(o)  # a file's name, a geometry: what the record shows of it


# Handlers and who subscribed them

@dataclass(frozen=True)
class Subscription:
    handler: str  # dotted path of a module-level function taking an Event
    kinds: frozenset[str] | None
    record_types: frozenset[str] | None
    # A further filter on the event, run in the writer's process: an event no handler wants costs no task.
    when: Callable[[Event], bool] | None = None

    def wants(self, event: Event) -> bool:
        if self.kinds is not None and event.kind not in self.kinds:
            return False
        if self.record_types is not None and event.record_type not in self.record_types:
            return False
        if self.when is None:
            return True
        try:
            return bool(self.when(event))
        except Exception:
            # It runs in the writer's request, which it must not break: the handler gets the event.
            logger.exception("The filter of event handler %s failed on %s.", self.handler, event)
            return True


def handles_batches(handler: Callable[[list[Event]], object]) -> Callable[[list[Event]], object]:
    """Mark `handler` as taking the events of one delivery together (a list), in one transaction: a handler
    whose work is cheaper in bulk (the search index) then costs a few queries per write of many records
    (`core.services.bulk_create_records`), not a few per record. If it raises, each of those events counts
    as failed for it and is retried together."""
    handler.handles_batches = True
    return handler


def handler_path(handler: Callable[[Event], object]) -> str:
    path = f"{handler.__module__}.{handler.__qualname__}"
    if "<" in path:
        raise ImproperlyConfigured(f"Event handler {path} must be a module-level function: a worker imports it.")
    return path


class Registry:
    def __init__(self):
        self.subscriptions: list[Subscription] = []

    def subscribe(self, handler: Callable[[Event], object], *, kinds: Iterable[str] | None = None,
                  record_types: Iterable[str] | None = None,
                  when: Callable[[Event], bool] | None = None) -> Subscription:
        """Run `handler(event)` in the background after each committed write of one of `record_types`
        (model labels, lower case; all when None) whose kind is one of `kinds` (all when None)."""
        kinds = frozenset(kinds) if kinds is not None else None
        if kinds is not None and not kinds <= set(Kind.ALL):
            raise ImproperlyConfigured(f"Unknown event kinds: {sorted(kinds - set(Kind.ALL))}")
        subscription = Subscription(
            handler_path(handler), kinds,
            frozenset(label.lower() for label in record_types) if record_types is not None else None, when,
        )
        self.subscriptions = [known for known in self.subscriptions if known.handler != subscription.handler]
        self.subscriptions.append(subscription)
        return subscription

    def unsubscribe(self, handler: Callable[[Event], object]) -> None:
        path = handler_path(handler)
        self.subscriptions = [known for known in self.subscriptions if known.handler != path]

    def handlers_for(self, event: Event) -> list[str]:
        return [subscription.handler for subscription in self.subscriptions if subscription.wants(event)]


registry = Registry()
subscribe = registry.subscribe


# Emitting and delivering

def _settings() -> dict:
    configured = getattr(settings, "VINCULO_EVENTS", {})
    return {"EAGER": False, "QUEUE": "default", "ATTEMPTS": 5, "BACKOFF_SECONDS": 10, **configured}


def queue_name() -> str:
    return _settings()["QUEUE"]


def emit(*events: Event) -> None:
    """Deliver `events` to their handlers once the current transaction commits (at once outside one).

    The events of one call travel in one task. A write that rolls back takes its events with it."""
    batch = [
        {"event": event.to_json(), "handlers": handlers}
        for event in events
        if (handlers := registry.handlers_for(event))
    ]
    if not batch:
        return
    if _settings()["EAGER"]:
        _deliver_eagerly(batch)
    else:
        # robust: a queue that cannot be reached is logged; the write has committed and stays.
        transaction.on_commit(lambda: enqueue(batch), robust=True)


def retry_delay(attempt: int) -> int:
    """Seconds to wait before attempt number `attempt` (2, 3, ...): BACKOFF_SECONDS, then doubling."""
    return _settings()["BACKOFF_SECONDS"] * 2 ** (attempt - 2)


def enqueue(batch: list[dict], attempt: int = 1):
    from django_tasks import task_backends

    from .tasks import deliver_events

    task = deliver_events.using(queue_name=queue_name())
    delay = retry_delay(attempt) if attempt > 1 else 0
    # A backend that cannot defer (the immediate one) retries at once.
    if delay and task_backends[task.backend].supports_defer:
        task = task.using(run_after=clock.now() + datetime.timedelta(seconds=delay))
    return task.enqueue(batch, attempt)


class HandlersFailed(Exception):
    """Handlers still failed on their last attempt; each failure was logged with its event."""


def deliver(batch: list[dict], attempt: int) -> list[dict]:
    """Run each item's handlers on its event, each in its own transaction; return the items whose handlers
    raised, with those handlers only, so a retry does not run again what succeeded."""
    attempts = _settings()["ATTEMPTS"]

    def failure(path: str, event: Event | str) -> None:
        if attempt < attempts:
            logger.warning("Event handler %s failed on %s (attempt %d of %d); it will be retried.",
                           path, event, attempt, attempts, exc_info=True)
        else:
            logger.error("Event handler %s failed on %s after %d attempts; giving up.",
                         path, event, attempts, exc_info=True)

    failing: dict[int, list[str]] = {}
    together: dict[str, list[int]] = {}  # a batch handler's path → the items it receives, in their order
    parsed = [Event.from_json(item["event"]) for item in batch]
    for index, (item, event) in enumerate(zip(batch, parsed, strict=True)):
        for path in item["handlers"]:
            handler = import_string(path)
            if getattr(handler, "handles_batches", False):
                together.setdefault(path, []).append(index)
                continue
            try:
                with transaction.atomic():
                    handler(event)
            except Exception:
                failing.setdefault(index, []).append(path)
                failure(path, event)
    for path, indexes in together.items():
        try:
            with transaction.atomic():
                import_string(path)([parsed[index] for index in indexes])
        except Exception:
            for index in indexes:
                failing.setdefault(index, []).append(path)
            failure(path, parsed[indexes[0]] if len(indexes) == 1 else f"{len(indexes)} events")
    return [{"event": batch[index]["event"], "handlers": failing[index]} for index in sorted(failing)]


def deliver_in_background(batch: list[dict], attempt: int) -> int:
    """The task's work: deliver, enqueue a later attempt for what failed, and fail the task (so the backend
    records it) when handlers failed their last attempt. Returns how many deliveries succeeded."""
    failed = deliver(batch, attempt)
    if failed and attempt < _settings()["ATTEMPTS"]:
        enqueue(failed, attempt + 1)
    elif failed:
        raise HandlersFailed(", ".join(f"{path} on event {item['event']['id']}"
                                       for item in failed for path in item["handlers"]))
    return sum(len(item["handlers"]) for item in batch) - sum(len(item["handlers"]) for item in failed)


def _deliver_eagerly(batch: list[dict]) -> None:
    attempt = 1
    while batch and attempt <= _settings()["ATTEMPTS"]:
        batch = deliver(batch, attempt)
        attempt += 1
