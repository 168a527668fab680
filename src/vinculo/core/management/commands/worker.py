import threading
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django_tasks import task_backends

from vinculo.core import schedule

SCHEDULE_CHECK_SECONDS = 60


def run_schedule() -> None:
    """Beside the task worker, in a thread that ends with it: run the scheduled jobs that are due, once a
    minute."""
    while True:
        schedule.run_due()
        connection.close()
        time.sleep(SCHEDULE_CHECK_SECONDS)


class Command(BaseCommand):
    help = (
        "Run the background worker of the configured task backend: event handlers (the search index among "
        "them) and other tasks. The database backend runs django-tasks-db's db_worker; with REDIS_URL and "
        "TASKS_USE_RQ=1 it runs an RQ worker with its scheduler (for retries that wait). Beside it, the "
        "scheduled jobs (core.schedule) run when due."
    )

    def add_arguments(self, parser):
        parser.add_argument("--burst", action="store_true",
                            help="Run the scheduled jobs that are due and what is queued now, then exit.")

    def handle(self, *args, burst, **options):
        backend = task_backends["default"]
        name = type(backend).__module__ + "." + type(backend).__name__
        queues = sorted(backend.queues)
        verbosity = options["verbosity"]
        say = self.stdout.write if verbosity else lambda text: None
        if not name.startswith(("django_tasks_db.", "django_tasks_rq.")):
            raise CommandError(f"The {name} task backend runs tasks without a worker.")
        if burst:
            schedule.run_due()
        else:
            threading.Thread(target=run_schedule, name="schedule", daemon=True).start()
        if name.startswith("django_tasks_db."):
            say(f"Worker on the database backend, queues {', '.join(queues)}.")
            call_command("db_worker", queue_name=",".join(queues), batch=burst, reload=False,
                         startup_delay=not burst, verbosity=verbosity)
        else:
            say(f"Worker on RQ, queues {', '.join(queues)}.")
            call_command("rqworker", *queues, job_class="django_tasks_rq.Job", with_scheduler=True, burst=burst,
                         verbosity=verbosity)
