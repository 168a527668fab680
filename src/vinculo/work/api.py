"""/api/v1/tasks, /task-types, /projects, /time-entries (with /summary), /users and /me (with the calendar
feed address): the same conventions as the rest of the API (core/api.py)."""

import datetime as dt
from datetime import date, datetime, time
from typing import Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from vinculo.core import subjects
from vinculo.core.api import (
    ERRORS,
    FilterSchema,
    InputSchema,
    PageParams,
    RecordAPI,
    RecordListParams,
    Ref,
    Versioned,
    active_users,
    capped_limit,
    choice,
    order,
    page,
    page_of,
    shown_if_visible,
)

from . import calendar, reports, services
from .listing import with_task_counts
from .models import Priority, Project, Task, TaskOrigin, TaskType, TimeEntry

PRIORITIES = {"high": Priority.HIGH, "normal": Priority.NORMAL, "low": Priority.LOW}
PRIORITY_NAMES = {value: name for name, value in PRIORITIES.items()}
PriorityName = Literal["high", "normal", "low"]
NEXT_ACTION = ("A date (2026-04-20), or a date and a local time (2026-04-20T10:00) when the next action has one.")


def _next_action(value: str) -> tuple[date, time | None]:
    try:
        if "T" in value:
            moment = datetime.fromisoformat(value)
            return moment.date(), moment.time().replace(second=0, microsecond=0, tzinfo=None)
        return date.fromisoformat(value), None
    except ValueError:
        raise ValidationError({"next_action_at": _("Enter a date (2026-04-20) or a date and time (2026-04-20T10:00).")}) from None


# --- Tasks -------------------------------------------------------------------------------------------------

class TaskOut(Schema):
    id: int
    version: int
    subject_type: str | None = Field(description="What the task is about: “work.project”, “accounts.account”, "
                                                  "“contacts.contact”, “sales.lead” or “sales.opportunity”.")
    subject_id: int | None
    project: int | None
    account: Ref | None = Field(description="The customer; null also when you may not see it.")
    task_type: int | None
    origin: int | None
    title: str
    description: str
    responsible: Ref
    controller: Ref
    creator: Ref
    priority: PriorityName
    next_action_at: str = Field(description=NEXT_ACTION)
    due_date: date | None
    status: str
    done_at: datetime | None
    done_by: Ref | None
    overdue: bool
    created_at: datetime
    updated_at: datetime

    resolve_account = shown_if_visible("account")

    @staticmethod
    def resolve_subject_type(task):
        model = subjects.subject_model(task)
        return model._meta.label_lower if model is not None else None

    @staticmethod
    def resolve_subject_id(task):
        return task.regarding_id

    @staticmethod
    def resolve_project(task):
        return task.project_id

    @staticmethod
    def resolve_task_type(task):
        return task.task_type_id

    @staticmethod
    def resolve_origin(task):
        return task.origin_id

    @staticmethod
    def resolve_priority(task):
        return PRIORITY_NAMES[task.priority]

    @staticmethod
    def resolve_next_action_at(task):
        if task.next_action_time is None:
            return task.next_action_date.isoformat()
        return f"{task.next_action_date.isoformat()}T{task.next_action_time.strftime('%H:%M')}"

    @staticmethod
    def resolve_overdue(task):
        return task.is_overdue


class TaskIn(InputSchema):
    task_type: int | None = Field(None, description="A task type id (/task-types).")
    origin: int | None = None
    title: str = ""
    description: str = ""
    responsible: int | None = Field(None, description="A user id (/users).")
    controller: int | None = Field(None, description="A user id (/users).")
    priority: PriorityName | None = None
    next_action_at: str | None = Field(None, description=NEXT_ACTION)
    due_date: date | None = None
    status: choice(Task.Status) | None = None


class TaskCreate(TaskIn):
    subject_type: str | None = Field(None, description="With subject_id, what the task is about (a record you can "
                                                       "see): “accounts.account”, “contacts.contact”, “sales.lead”, "
                                                       "“sales.opportunity”; or give `project`.")
    subject_id: int | None = None
    project: int | None = Field(None, description="A project id you can see: the task is then about the project.")
    creator: int | None = Field(None, description="Read-only: the creator is always you; a value here is ignored.")
    title: str


class TaskPatch(TaskIn, Versioned):
    pass


class TaskFilters(FilterSchema):
    role: Literal["responsible", "controller", "creator"] | None = Field(
        None, description="Only the tasks where you are the responsible, the controller or the creator.")
    overdue: bool | None = Field(None, description="true: open tasks whose next action or due date has passed.")
    status: choice(Task.Status) | None = None
    priority: PriorityName | None = None
    project: int | None = None
    account: int | None = None
    task_type: int | None = None
    responsible: int | None = None
    controller: int | None = None
    next_action_from: date | None = None
    next_action_to: date | None = None


class TaskAPI(RecordAPI):
    model = Task
    name, singular, plural = "task", "a task", "tasks"
    Out, Create, Patch, Filters = TaskOut, TaskCreate, TaskPatch, TaskFilters
    related = ("responsible", "controller", "creator", "done_by", "regarding_type")
    guarded = ("account",)
    lookups = {"status": "status", "project": "project_id", "account": "account_id", "task_type": "task_type_id",
               "responsible": "responsible_id", "controller": "controller_id",
               "next_action_from": "next_action_date__gte", "next_action_to": "next_action_date__lte"}
    ordering = ("id", "priority", "next_action_date", "due_date", "status", "title", "created_at", "updated_at")
    search_fields = ("title", "description")

    def filter(self, queryset, filters):
        queryset = super().filter(queryset, filters)
        if filters.overdue is True:
            queryset = queryset.overdue()
        elif filters.overdue is False:
            queryset = queryset.exclude(pk__in=Task.objects.overdue().values("pk"))
        if filters.priority:
            queryset = queryset.filter(priority=PRIORITIES[filters.priority])
        return queryset

    def references(self, user, record=None):
        return {**super().references(user, record), "responsible": active_users(), "controller": active_users(),
                "task_type": TaskType.objects.all(), "origin": TaskOrigin.objects.all(),
                "project": Project.objects.visible_to(user)}

    def _values(self, data: dict) -> dict:
        if data.get("priority") is not None:
            data["priority"] = PRIORITIES[data["priority"]]
        if data.get("next_action_at") is not None:
            data["next_action_date"], data["next_action_time"] = _next_action(data.pop("next_action_at"))
        return {name: value for name, value in data.items() if value is not None or name in ("due_date",)}

    @transaction.atomic
    def create(self, data, user):
        data.pop("creator", None)  # the creator is whoever creates the task
        project = data.pop("project", None)
        subject = project or _subject(user, data.pop("subject_type", None), data.pop("subject_id", None))
        data.pop("subject_type", None), data.pop("subject_id", None)
        values = {"responsible": user, "controller": user.manager or user, "next_action_date": None}
        if data.get("task_type") is not None:
            values.update(services.preset(data["task_type"], subject, by=user))
        values.update(self._values(data))
        task = Task(**{name: value for name, value in values.items() if value is not None})
        if task.next_action_date is None:
            raise ValidationError({"next_action_at": _("Give the date of the next action.")})
        if isinstance(subject, Project):
            task.project = subject
        elif subject is not None:
            task.regarding = subject
        return services.create_task(task, by=user)

    def update(self, record, data, user, version):
        for field, value in self._values(data).items():
            setattr(record, field, value)
        services.update_task(record, by=user, expected_version=version)


    def add_list_route(self, router):
        # `role` needs the caller, which RecordAPI's filters do not get.
        api = self

        @router.get("", response={200: page_of(self.Out), **ERRORS}, summary="List the tasks you can see",
                    description="By priority, then next action. `q` looks in: title, description. `ordering` by: "
                                + ", ".join(self.ordering) + ".",
                    operation_id="task_list", url_name="task_list")
        def list_view(request, filters: Query[TaskFilters], params: Query[RecordListParams]):
            user = request.auth
            records = api.filter(Task.objects.visible_to(user), filters)
            if filters.role:
                records = records.filter(**{filters.role: user})
            if params.q:
                records = api.search(records, params.q)
            return page(order(api.readable(records, user), params.ordering, api.sortable(user)), params)


def _subject(user, label, pk):
    """The record a task is created about, which `user` must be able to see."""
    if label is None and pk is None:
        raise ValidationError({"subject_id": _("Name what the task is about (subject_type and subject_id, or project).")})
    subject_type = subjects.registry.by_label(label)
    if subject_type is None:
        raise ValidationError({"subject_type": _("Not a record type a task can be about.")})
    found = subject_type.model.objects.visible_to(user, per_row=True).filter(pk=pk).first() if pk else None
    if found is None:
        raise ValidationError({"subject_id": _("No such record, or you may not see it.")})
    return found


tasks = TaskAPI().router("tasks")


# --- Task types --------------------------------------------------------------------------------------------

class TaskTypeOut(Schema):
    id: int
    name: str
    description: str
    origin: int | None
    responsible_rule: choice(TaskType.Responsible)
    controller_rule: choice(TaskType.Controller)
    priority: PriorityName
    next_action_days: int | None
    due_days: int | None
    active: bool

    @staticmethod
    def resolve_origin(task_type):
        return task_type.origin_id

    @staticmethod
    def resolve_priority(task_type):
        return PRIORITY_NAMES[task_type.priority]


class TaskTypeFilters(FilterSchema):
    active: bool | None = None


task_types = Router(tags=["tasks"])


@task_types.get("", response={200: page_of(TaskTypeOut), **ERRORS}, summary="List the task types",
                description="Admins manage them in the admin site.", operation_id="task_type_list",
                url_name="task_type_list")
def task_type_list(request, filters: Query[TaskTypeFilters], params: Query[PageParams]):
    found = TaskType.objects.order_by("name", "pk")
    if filters.active is not None:
        found = found.filter(active=filters.active)
    return page(found, params)


@task_types.get("/{int:task_type_id}", response={200: TaskTypeOut, **ERRORS}, summary="Read a task type",
                operation_id="task_type_read", url_name="task_type_detail")
def task_type_read(request, task_type_id: int):
    return get_object_or_404(TaskType, pk=task_type_id)


# --- Projects ----------------------------------------------------------------------------------------------

class TaskCounts(Schema):
    pending: int
    in_progress: int
    done: int


class ProjectOut(Schema):
    id: int
    version: int
    account: Ref | None = Field(description="Null when you may not see the customer.")
    name: str
    kind: choice(Project.Kind)
    year: int
    planned_start: date | None
    planned_end: date | None
    owner: Ref
    status: choice(Project.Status)
    task_counts: TaskCounts = Field(description="Tasks pending (TP), in progress (TC) and done (TF).")
    created_at: datetime
    updated_at: datetime

    resolve_account = shown_if_visible("account")

    @staticmethod
    def resolve_task_counts(project):
        return {"pending": project.pending, "in_progress": project.in_progress, "done": project.done}


class ProjectIn(InputSchema):
    name: str = ""
    kind: choice(Project.Kind) = Project.Kind.COMMERCIAL
    year: int | None = Field(None, ge=1900, le=2999)
    planned_start: date | None = None
    planned_end: date | None = None
    owner: int | None = Field(None, description="A user id; defaults to you.")
    status: choice(Project.Status) = Project.Status.ACTIVE


class ProjectCreate(ProjectIn):
    account: int = Field(description="An account id you can see.")
    name: str
    year: int = Field(ge=1900, le=2999)


class ProjectPatch(ProjectIn, Versioned):
    pass


class ProjectFilters(FilterSchema):
    account: int | None = None
    year: int | None = None
    kind: choice(Project.Kind) | None = None
    status: choice(Project.Status) | None = None
    owner: int | None = None


class ProjectAPI(RecordAPI):
    model = Project
    name, singular, plural = "project", "a project", "projects"
    Out, Create, Patch, Filters = ProjectOut, ProjectCreate, ProjectPatch, ProjectFilters
    related = ("owner",)
    guarded = ("account",)
    lookups = {"account": "account_id", "year": "year", "kind": "kind", "status": "status", "owner": "owner_id"}
    ordering = ("id", "name", "year", "status", "created_at", "updated_at")
    search_fields = ("name",)

    def readable(self, queryset, user):
        return with_task_counts(super().readable(queryset, user))

    def references(self, user, record=None):
        return {**super().references(user, record), "owner": active_users()}

    def create(self, data, user):
        return services.create_project(Project(**data), by=user)


projects = ProjectAPI().router("projects")


# --- Time entries ------------------------------------------------------------------------------------------

class TimeEntryOut(Schema):
    id: int
    version: int
    task: int
    user: Ref
    date: dt.date
    minutes: int
    comment: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_task(entry):
        return entry.task_id


class TimeEntryIn(InputSchema):
    date: dt.date | None = None
    minutes: int | None = None
    comment: str = ""


class TimeEntryCreate(TimeEntryIn):
    task: int = Field(description="A task id you can see.")
    user: int | None = Field(None, description="Whose time: you (the default) or someone you manage.")
    date: dt.date
    minutes: int


class TimeEntryPatch(TimeEntryIn, Versioned):
    pass


class TimeEntryFilters(FilterSchema):
    task: int | None = None
    user: int | None = None
    project: int | None = None
    account: int | None = None
    date_from: date | None = None
    date_to: date | None = None


class SummaryItem(Schema):
    id: int | None
    label: str
    minutes: int


class SummaryOut(Schema):
    items: list[SummaryItem]
    count: int = Field(description="Lines in all (customers, employees or projects), over every page.")
    total_minutes: int = Field(description="Minutes over every line, not only this page's.")


class SummaryParams(PageParams):
    by: Literal["account", "user", "project"]
    date_from: date | None = None
    date_to: date | None = None


class TimeEntryAPI(RecordAPI):
    model = TimeEntry
    name, singular, plural = "time_entry", "a time entry", "time entries"
    Out, Create, Patch, Filters = TimeEntryOut, TimeEntryCreate, TimeEntryPatch, TimeEntryFilters
    id_name = "time_entry_id"
    related = ("user",)
    lookups = {"task": "task_id", "user": "user_id", "project": "task__project_id", "account": "task__account_id",
               "date_from": "date__gte", "date_to": "date__lte"}
    ordering = ("id", "date", "minutes", "created_at", "updated_at")
    search_fields = ("comment",)
    routes = ("summary", *RecordAPI.routes)

    def references(self, user, record=None):
        # A task the caller may not see is refused by the service with a field error, like a missing one.
        return {"user": active_users()}

    def create(self, data, user):
        return services.log_time(TimeEntry(task_id=data.pop("task"), **data), by=user)

    def update(self, record, data, user, version):
        for field, value in data.items():
            setattr(record, field, value)
        services.update_time(record, by=user, expected_version=version)

    def add_summary_route(self, router):
        @router.get("/summary", response={200: SummaryOut, **ERRORS}, summary="Time per customer, employee or project",
                    description="Minutes over the time entries you can see between the dates (inclusive), most first, "
                                "a page of lines at a time (`limit`, `offset`); `total_minutes` counts every line.",
                    operation_id="time_entry_summary", url_name="time_entry_summary")
        def summary(request, params: Query[SummaryParams]):
            if params.date_from and params.date_to and params.date_to < params.date_from:
                raise ValidationError({"date_to": _("The end of the range cannot be before its start.")})
            page = reports.summary_page(request.auth, params.by, params.date_from, params.date_to,
                                        offset=params.offset, limit=capped_limit(params))
            return {"items": [{"id": line.id, "label": line.label, "minutes": line.minutes} for line in page.lines],
                    "count": page.count, "total_minutes": page.total}


time_entries = TimeEntryAPI().router("time entries")


# --- The calendar feed's address ----------------------------------------------------------------------------

class FeedOut(Schema):
    url: str = Field(description="Your calendar's secret ICS address; anyone who has it can read your calendar.")


# Under /me/calendar-feed: /me itself (the profile) belongs to org.
calendar_feed = Router(tags=["people"])


@calendar_feed.get("", response={200: FeedOut, **ERRORS}, summary="Your calendar feed's address",
        operation_id="me_calendar_feed", url_name="me_calendar_feed")
def me_calendar_feed(request):
    return {"url": request.build_absolute_uri(calendar.feed_url(request.auth))}


@calendar_feed.post("/rotate", response={200: FeedOut, **ERRORS}, summary="Give your calendar feed a new address",
         description="The old address answers 404 from now on.", operation_id="me_calendar_feed_rotate",
         url_name="me_calendar_feed_rotate")
def me_calendar_feed_rotate(request):
    calendar.rotate(request.auth)
    return {"url": request.build_absolute_uri(calendar.feed_url(request.auth))}

