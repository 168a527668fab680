"""A rep's working day: commercial projects per customer, the tasks done for them (who does, who checks,
who asked), the task types and origins that preset them, and the time logged against each task."""

from datetime import time

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Account
from vinculo.core import clock
from vinculo.core.models import AllRecordsManager, LiveManager, TrackedModel, recycle_bin_index
from vinculo.core.policy import Owner, Parent, Policy, ReadOnly, Subject
from vinculo.core.subjects import Regarding, RegardingQuerySet, content_type_id

# One person logs at most a day's worth of time on one date.
MINUTES_PER_DAY = 24 * 60


class Project(TrackedModel):
    """A commercial project for one customer (typically one per customer and year), or a service/production
    one; its tasks are counted as pending, in progress and finished (TP/TC/TF)."""

    class Kind(models.TextChoices):
        COMMERCIAL = "commercial", _("Commercial follow-up")
        PRODUCTION = "production", _("Service / production")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ON_HOLD = "on_hold", _("On hold")
        CLOSED = "closed", _("Closed")

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="projects")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.COMMERCIAL)
    year = models.PositiveSmallIntegerField(_("year"))
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="projects")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)

    # The owner's line sees and changes it, and so does whoever may see (change) its customer.
    policy = Policy(owner="owner", parents=[Parent("account", "accounts.Account")])

    class Meta:
        ordering = ["-year", "name", "id"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        indexes = [
            # The account page's projects and the explorer grouped by customer.
            models.Index(fields=["account", "deleted_at", "-year"], name="project_account_idx"),
            models.Index(fields=["owner", "deleted_at"], name="project_owner_idx"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("work:project_detail", args=[self.pk])

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            raise ValidationError({"planned_end": _("The planned end cannot be before the planned start.")})

    def search_text(self) -> str:
        return self.name

    @classmethod
    def from_db(cls, db, field_names, values):
        record = super().from_db(db, field_names, values)
        record._stored_account_id = record.__dict__.get("account_id")
        return record

    def save(self, *args, **kwargs):
        moved = _account_changed(self)
        super().save(*args, **kwargs)
        self._stored_account_id = self.account_id
        if moved:
            # The project's tasks and their time follow it to its new customer.
            Task.all_objects.filter(project=self).update(account_id=self.account_id)
            TimeEntry.all_objects.filter(task__project=self).update(account_id=self.account_id)


class TaskOrigin(models.Model):
    """Where a task comes from (a customer's request, a campaign, a visit…): set up by admins."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("task origin")
        verbose_name_plural = _("task origins")

    def __str__(self):
        return self.name


class Priority(models.IntegerChoices):
    # Stored as numbers so that "high first" is an ascending sort an index serves.
    HIGH = 1, _("High")
    NORMAL = 2, _("Normal")
    LOW = 3, _("Low")


class TaskType(models.Model):
    """A kind of task and what it presets: who does it, who checks it, its priority and when the next action
    is due, e.g. "Presentación zona norte": the rep of the account's territory, checked by that rep's manager,
    high priority, next action in 2 days."""

    class Responsible(models.TextChoices):
        CREATOR = "creator", _("Whoever creates the task")
        ACCOUNT_OWNER = "account_owner", _("The account's owner")
        TERRITORY_REP = "territory_rep", _("The rep of the account's territory")

    class Controller(models.TextChoices):
        RESPONSIBLE_MANAGER = "responsible_manager", _("The responsible's manager")
        CREATOR = "creator", _("Whoever creates the task")
        ACCOUNT_OWNER = "account_owner", _("The account's owner")

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    origin = models.ForeignKey(TaskOrigin, verbose_name=_("origin"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    responsible_rule = models.CharField(_("responsible"), max_length=20, choices=Responsible.choices,
                                        default=Responsible.CREATOR)
    controller_rule = models.CharField(_("controller"), max_length=20, choices=Controller.choices,
                                       default=Controller.RESPONSIBLE_MANAGER)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    next_action_days = models.PositiveSmallIntegerField(
        _("next action in (days)"), null=True, blank=True, help_text=_("Days from the task's creation."))
    due_days = models.PositiveSmallIntegerField(_("due in (days)"), null=True, blank=True,
                                                help_text=_("Days from the task's creation."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("task type")
        verbose_name_plural = _("task types")

    def __str__(self):
        return self.name


class TaskQuerySet(RegardingQuerySet):
    def open(self):
        return self.filter(status__in=Task.OPEN)

    def overdue(self, today=None):
        """Open tasks whose next action or due date has passed."""
        today = today or clock.today()
        return self.open().filter(models.Q(next_action_date__lt=today) | models.Q(due_date__lt=today))

    def due_today(self, today=None):
        today = today or clock.today()
        return self.open().filter(models.Q(next_action_date=today) | models.Q(due_date=today))

    def worklist_order(self):
        """Priority first, then the next-action date and time (the explorer's and the home page's order)."""
        return self.order_by("priority", "next_action_date", models.F("next_action_time").asc(nulls_last=True), "pk")


def worklist_key(task) -> tuple:
    """`TaskQuerySet.worklist_order` in Python, to merge tasks read in that order by several queries."""
    return (task.priority, task.next_action_date, task.next_action_time is None,
            task.next_action_time or time.min, task.pk)


class Task(Regarding, TrackedModel):
    """Something someone must do for a customer: about a project, or directly an account, contact, lead or
    deal (`regarding`). The responsible does it, the controller checks it, the creator asked for it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (Status.PENDING, Status.IN_PROGRESS)
    # The moves a status may make; a closed task is reopened by setting it pending again.
    TRANSITIONS = {
        Status.PENDING: {Status.IN_PROGRESS, Status.DONE, Status.CANCELLED},
        Status.IN_PROGRESS: {Status.PENDING, Status.DONE, Status.CANCELLED},
        Status.DONE: {Status.PENDING, Status.IN_PROGRESS},
        Status.CANCELLED: {Status.PENDING},
    }

    project = models.ForeignKey(Project, verbose_name=_("project"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="tasks")
    task_type = models.ForeignKey(TaskType, verbose_name=_("type"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="tasks")
    origin = models.ForeignKey(TaskOrigin, verbose_name=_("origin"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="tasks")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("responsible"),
                                    on_delete=models.PROTECT, related_name="tasks_responsible")
    controller = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("controller"),
                                   on_delete=models.PROTECT, related_name="tasks_controlled")
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("creator"), on_delete=models.PROTECT,
                                related_name="tasks_created", editable=False)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    next_action_date = models.DateField(_("next action"))
    next_action_time = models.TimeField(_("next action time"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True, editable=False)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("done by"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+", editable=False)
    account = models.ForeignKey(Account, verbose_name=_("account"), null=True, blank=True, on_delete=models.CASCADE,
                                related_name="tasks")

    # The responsible, the controller, the creator and the users above each of them read and change it;
    # whoever may see its subject (its project, account, contact, lead or deal) reads it.
    policy = Policy(owner="responsible", grants=[Owner("controller"), Owner("creator"), ReadOnly(Subject())])

    objects = LiveManager.from_queryset(TaskQuerySet)()
    all_objects = AllRecordsManager.from_queryset(TaskQuerySet)()

    class Meta:
        ordering = ["priority", "next_action_date", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        base_manager_name = "all_objects"
        indexes = [
            recycle_bin_index("task_deleted_idx"),
            # "To do", "to control" and "created by me": a person's open tasks by priority and next action,
            # one status at a time (explorer.Worklist), and their (capped) count from the index alone
            # (deleted_at last: `deleted_at IS NULL` before them would cost SQLite the index's order).
            models.Index(fields=["responsible", "status", "priority", "next_action_date", "deleted_at"],
                         name="task_todo_idx"),
            models.Index(fields=["controller", "status", "priority", "next_action_date", "deleted_at"],
                         name="task_control_idx"),
            models.Index(fields=["creator", "status", "priority", "next_action_date", "deleted_at"],
                         name="task_creator_idx"),
            # "My day" for a manager: the team's first open tasks, one status at a time (work.day._first).
            models.Index(fields=["status", "priority", "next_action_date"], name="task_worklist_idx"),
            # A project's TP/TC/TF counts and task list.
            models.Index(fields=["project", "status"], name="task_project_idx"),
            # A subject's tasks and the subject access rule; the account page reads `account`.
            models.Index(fields=["regarding_type", "regarding_id", "status"], name="task_regarding_idx"),
            models.Index(fields=["account", "deleted_at", "status"], name="task_account_idx"),
            # The calendar: tasks by next-action date.
            models.Index(fields=["next_action_date"], name="task_next_action_idx"),
            # The task's access rule (the people named on it, its subject) from the index alone, for the time
            # reports' entries logged outside the reader's line: each task their entries point at is checked
            # once, by id (work.reports, Parent.among; bench/: 70,000 tasks for a year).
            models.Index(fields=["id", "deleted_at", "responsible", "controller", "creator", "regarding_type",
                                 "regarding_id"], name="task_rule_idx"),
            # "My day": what falls due today (with the next-action index, an OR of two index searches).
            models.Index(fields=["due_date"], name="task_due_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("work:task_detail", args=[self.pk])

    def search_text(self) -> str:
        return f"{self.title} {self.description}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_overdue(self) -> bool:
        today = clock.today()
        return self.is_open and (self.next_action_date < today or (self.due_date is not None and self.due_date < today))

    @property
    def is_due_today(self) -> bool:
        today = clock.today()
        return self.is_open and today in (self.next_action_date, self.due_date)

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.due_date and self.next_action_date and self.due_date < self.next_action_date:
            raise ValidationError({"due_date": _("The due date cannot be before the next action.")})

    @classmethod
    def from_db(cls, db, field_names, values):
        record = super().from_db(db, field_names, values)
        record._stored_account_id = record.__dict__.get("account_id")
        return record

    def save(self, *args, **kwargs):
        # A task in a project is about the project, and so about the project's customer.
        if self.project_id is not None:
            self.regarding_type_id, self.regarding_id = content_type_id(Project), self.project_id
            self.account_id = self.project.account_id
        adding = self._state.adding
        super().save(*args, **kwargs)
        if not adding and _account_changed(self):
            # Its time follows it (TimeEntry.account).
            TimeEntry.all_objects.filter(task=self).exclude(account_id=self.account_id).update(
                account_id=self.account_id)
        self._stored_account_id = self.account_id


def _account_changed(record) -> bool:
    """Whether `record`'s account differs from the stored one: True when unknown (loaded without it, or
    never loaded), so that what follows the account is brought in line by an UPDATE that finds nothing."""
    if record._state.adding:
        return False
    return getattr(record, "_stored_account_id", object()) != record.account_id


class TimeEntry(TrackedModel):
    """Time one person spent on a task on one date ("dedicación"); a task's entries are its diary."""

    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="time_entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT,
                             related_name="time_entries")
    date = models.DateField(_("date"))
    minutes = models.PositiveIntegerField(_("minutes"))
    comment = models.TextField(_("comment"), blank=True)
    # The task's customer, kept with each entry (set on save; a task or project that moves takes its time
    # along): the time per customer is then summed from one index, without reading the tasks.
    account = models.ForeignKey(Account, verbose_name=_("account"), null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+", editable=False, db_index=False)

    # Whoever may see the task reads its diary; the person who logged the time (and the users above) and the
    # task's editors change it. The task's rule applies to the joined task row (`join`): a report over a
    # year's entries would otherwise first list every visible task of 500,000 (bench/: seconds).
    policy = Policy(owner="user", parents=[Parent("task", "work.Task", join=True)])

    class Meta:
        ordering = ["-date", "-created_at", "-id"]
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        indexes = [
            recycle_bin_index("timeentry_deleted_idx"),
            # A task's diary, newest first; covering too, for the time reports' sums over the visible tasks
            # their entries point at (the entries logged outside the reader's line, Parent.among).
            models.Index(fields=["task", "deleted_at", "-date", "user", "account", "minutes"],
                         name="timeentry_task_report_idx"),
            # A person's day (the 24-hour check), and the time reports' part logged by the reader's line
            # (work.reports): covering, a year's entries of a whole company summed per customer or person
            # from the index alone.
            models.Index(fields=["user", "date", "deleted_at", "account", "minutes"], name="timeentry_user_report_idx"),
            # The time reports' part logged by others over a date range: covering too (the task is joined
            # only to ask its access rule), so that a year's entries (200,000 of 1,000,000) are read from
            # the index (bench/).
            models.Index(fields=["date", "deleted_at", "user", "account", "task", "minutes"],
                         name="timeentry_date_report_idx"),
        ]

    def __str__(self):
        return f"{self.task} · {self.date} · {self.minutes} min"

    def save(self, *args, **kwargs):
        cached = self._meta.get_field("task").get_cached_value(self, None)
        if cached is not None and cached.pk == self.task_id:
            self.account_id = cached.account_id
        elif self.task_id is not None:
            self.account_id = Task._base_manager.filter(pk=self.task_id).values_list("account_id", flat=True).first()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return f"{self.task.get_absolute_url()}#time-{self.pk}"


class CalendarFeed(models.Model):
    """A user's secret calendar feed address: whoever holds the token reads that user's calendar, so it is
    long and random, and rotating it makes the old address answer 404."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                                related_name="calendar_feed")
    token = models.CharField(_("token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return str(self.user)
