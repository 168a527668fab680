"""The work record types reports are built on (vinculo.core.reporting)."""

from django.utils.translation import gettext_lazy as _

from vinculo.core.reporting import Column, register

from .models import Task, TimeEntry


def register_types() -> None:
    register("task", Task, _("Tasks"), order=80, columns=[
        Column("title"), Column("status"), Column("priority"), Column("responsible"), Column("controller"),
        Column("project"), Column("project.account"), Column("account"), Column("next_action_date"),
        Column("due_date"), Column("done_at"),
    ], default_columns=("title", "status", "responsible", "project", "account", "next_action_date"))
    register("time_entry", TimeEntry, _("Time entries"), order=90, columns=[
        Column("date"), Column("user"), Column("task"), Column("task.project"), Column("task.account"),
        # The task's customer kept on the entry: a grouping read from the entries' own index.
        Column("account"), Column("minutes"), Column("comment"),
    ], default_columns=("date", "user", "task", "task.account", "minutes"))
