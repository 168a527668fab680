"""Background tasks of the kernel (django-tasks): run by `vinculo worker`."""

from django_tasks import task

from . import events


# Declared on the events' queue: django-tasks checks, as the module loads, that the backend serves it.
@task(queue_name=events.queue_name())
def deliver_events(batch: list[dict], attempt: int = 1) -> int:
    """Run the handlers of the events of one write (see core.events)."""
    return events.deliver_in_background(batch, attempt)
