"""Background tasks of reports (django-tasks), run by `vinculo worker`."""

from django_tasks import task

from vinculo.core import events


@task(queue_name=events.queue_name())
def send_report_subscription(subscription_id: int) -> bool:
    """E-mail one scheduled report (vinculo.reports.scheduled.send)."""
    from . import scheduled

    return scheduled.send(subscription_id)
