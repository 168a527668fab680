from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkConfig(AppConfig):
    name = "vinculo.work"
    label = "work"
    verbose_name = _("Projects, tasks and time")

    def ready(self):
        from vinculo.core import records, subjects

        from . import services
        from .models import Project, Task, TimeEntry

        # Tasks (and other records about a subject) may be about a project, and roll up to its customer.
        subjects.register(Project, account_field="account")
        subjects.register_mover(Task, services.move_tasks)
        records.register("project", Project, order=160)
        records.register("task", Task, order=170)
        records.register("timeentry", TimeEntry, order=180)
