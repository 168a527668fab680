from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkConfig(AppConfig):
    name = "vinculo.work"
    label = "work"
    verbose_name = _("Projects, tasks and time")

    def ready(self):
        from .report_types import register_types as register_report_types

        register_report_types()
        from vinculo.core import lists

        # "To control" is the explorer's view of the tasks whose controller is the user (open ones by default).
        lists.register("tasks", _("Tasks"), "work:task_list", [
            lists.Preset("to-control", _("Tasks I must control"), query={"view": "control"}),
        ])
        lists.register("projects", _("Projects"), "work:project_list")
        from vinculo.accounts import page
        from vinculo.contacts import page as contact_page
        from vinculo.core import nav, records, subjects
        from vinculo.core.api import routers

        from . import api, sections, services
        from .models import Project, Task, TimeEntry

        # Tasks (and other records about a subject) may be about a project, and roll up to its customer.
        subjects.register(Project, account_field="account")
        subjects.register_mover(Task, services.move_tasks)
        records.register("project", Project, order=160, search=records.SearchSpec(
            "projects", _("Projects"), "work/_search_result.html",
        ))
        records.register("task", Task, order=170, search=records.SearchSpec(
            "tasks", _("Tasks"), "work/_search_result.html",
            related=("account",), visible=("account", "account_visible"),
        ))
        records.register("timeentry", TimeEntry, order=180)

        page.register(sections.projects)
        page.register(sections.tasks)
        contact_page.sections.register("tasks", "work/_contact_tasks.html", load=sections.contact_tasks, order=15)
        contact_page.register_action("new_task", _("New task"), "work:task_create", order=20)

        nav.register("tasks", _("Tasks"), "work:task_list", order=55, prefix="task")
        nav.register("calendar", _("Calendar"), "work:calendar", order=56, prefix="calendar")
        nav.register("projects", _("Projects"), "work:project_list", order=160, group=nav.MORE, heading=_("Work"),
                     prefix="project")
        nav.register("time", _("Time reports"), "work:time_report", order=170, group=nav.MORE, heading=_("Work"),
                     prefix="time")
        nav.register("task_types", _("Task types and origins"), "work:types", order=175, group=nav.MORE,
                     heading=_("Work"), permission="org.administer_organisation", prefix="types")

        for prefix, router, order in (
            ("/tasks", api.tasks, 200), ("/task-types", api.task_types, 210), ("/projects", api.projects, 220),
            ("/time-entries", api.time_entries, 230), ("/me/calendar-feed", api.calendar_feed, 250),
        ):
            routers.register(prefix, router, order=order)
