"""The task and project lists as their pages filter and sort them, without a request: what reads a list
elsewhere (its export, core.lists' `for_query` protocol: `narrow`, `chosen_columns`, `columns`) lists what
the page lists, from the same code."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from vinculo.core import lists
from vinculo.core.lists import Column

from .explorer import VIEWS, explore
from .models import Project, Task


class PageList:
    """A function view's list, read as `core.lists.RecordListView.for_query` reads a class-based one. The
    page has no column chooser: every column is shown."""

    list_key = ""
    columns: tuple[Column, ...] = ()

    def __init__(self, user, params):
        self.user, self.params = user, params

    @classmethod
    def for_query(cls, user, params) -> "PageList":
        return cls(user, params)

    def chosen_columns(self) -> list[str]:
        return [column.name for column in self.columns]


class TaskList(PageList):
    """The task explorer: one of its views ("to do" by default), its filters (open tasks by default), its
    predefined view, in the worklist order."""

    list_key = "tasks"
    columns = (
        Column("priority", _("Priority")), Column("title", _("Task"), always=True), Column("task_type", _("Type")),
        Column("next_action_date", _("Next action")), Column("due_date", _("Due date")),
        Column("account", _("Customer")), Column("project", _("Project")), Column("responsible", _("Responsible")),
        Column("controller", _("Controller")), Column("status", _("Status")),
    )

    @property
    def view(self) -> str:
        view = self.params.get("view")
        return view if view in VIEWS else "todo"

    def narrow(self, queryset=None):
        """(`queryset`, all tasks by default) as the explorer lists it; sets `filter_form` and `preset`."""
        self.filter_form, tasks = explore(self.user, self.view, self.params, queryset)
        self.preset = lists.preset_for(self.list_key, self.params.get("preset"))
        return self.preset.apply(tasks, self.user) if self.preset is not None else tasks


def with_task_counts(projects):
    """TP/TC/TF (pending, in progress, finished) counted in the projects' own query, over live tasks."""
    live = Q(tasks__deleted_at__isnull=True)
    return projects.annotate(
        pending=Count("tasks", filter=live & Q(tasks__status=Task.Status.PENDING)),
        in_progress=Count("tasks", filter=live & Q(tasks__status=Task.Status.IN_PROGRESS)),
        done=Count("tasks", filter=live & Q(tasks__status=Task.Status.DONE)),
    )


class ProjectList(PageList):
    """The projects by customer: of one status (active by default, "any" for all) and year, with TP/TC/TF."""

    list_key = "projects"
    columns = (
        Column("account", _("Customer")), Column("name", _("Project"), always=True), Column("kind", _("Kind")),
        Column("year", _("Year")), Column("owner", _("Owner")), Column("status", _("Status")),
        Column("pending", _("Pending")), Column("in_progress", _("In progress")), Column("done", _("Finished")),
    )

    @property
    def status(self) -> str:
        return self.params.get("status", Project.Status.ACTIVE)

    @property
    def year(self) -> str:
        return self.params.get("year", "")

    def narrow(self, queryset=None):
        projects = queryset if queryset is not None else Project.objects.all()
        if self.status in Project.Status.values:
            projects = projects.filter(status=self.status)
        if self.year.isdigit() and len(self.year) <= 4:
            projects = projects.filter(year=int(self.year))
        return with_task_counts(projects).order_by("account__legal_name", "account_id", "-year", "name", "pk")
