"""Writing tasks and time: the creator is whoever creates the task, a task type's rule fills in who does
and who checks it, a closed task records who closed it, and time logged is checked against the day."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from vinculo.accounts.models import Account
from vinculo.core import clock, subjects
from vinculo.core.access import may_see, require_edit, subordinate_ids
from vinculo.core.services import create_record, update_record

from .models import MINUTES_PER_DAY, Project, Task, TaskType, TimeEntry

# --- Task types: the preset --------------------------------------------------------------------------------

def territory_rep(account):
    """The rep of `account`'s territory: an active user assigned to the territory (else to the nearest
    territory above it) who manages no one, the first by name; None if nobody is assigned. A few queries."""
    User = get_user_model()
    territory = account.territory if account is not None else None
    while territory is not None:
        members = User.objects.filter(is_active=True, territories=territory).annotate(
            managed=models.Exists(User.objects.filter(manager=models.OuterRef("pk"), is_active=True)))
        rep = members.order_by("managed", "first_name", "last_name", "username").first()
        if rep is not None:
            return rep
        territory = territory.parent
    return None


def account_of(subject):
    """The account `subject` rolls up to (a project's customer, a contact's or deal's account), or None."""
    if subject is None:
        return None
    subject_type = subjects.registry.of(type(subject))
    if subject_type is None or subject_type.account_field is None:
        return None
    if subject_type.is_account:
        return subject
    account_id = subject_type.account_id_of(subject)
    return Account.objects.filter(pk=account_id).first() if account_id else None


def preset(task_type: TaskType, subject, by) -> dict:
    """The values a task of `task_type` about `subject` starts with, created by `by` today: its rules for the
    responsible and the controller (falling back to `by` where the rule finds nobody), priority, origin and
    dates."""
    account = account_of(subject)
    rule = TaskType.Responsible
    responsible = {
        rule.CREATOR: lambda: by,
        rule.ACCOUNT_OWNER: lambda: account.owner if account is not None else None,
        rule.TERRITORY_REP: lambda: territory_rep(account),
    }[task_type.responsible_rule]() or by
    rule = TaskType.Controller
    controller = {
        rule.RESPONSIBLE_MANAGER: lambda: responsible.manager,
        rule.CREATOR: lambda: by,
        rule.ACCOUNT_OWNER: lambda: account.owner if account is not None else None,
    }[task_type.controller_rule]() or by
    today = clock.today()
    values = {
        "task_type": task_type, "responsible": responsible, "controller": controller,
        "priority": task_type.priority, "origin": task_type.origin,
        "next_action_date": today + timedelta(days=task_type.next_action_days or 0),
    }
    if task_type.due_days is not None:
        values["due_date"] = today + timedelta(days=task_type.due_days)
    return values


# --- Tasks -------------------------------------------------------------------------------------------------

def _check_people(task: Task) -> None:
    errors = {}
    for field in ("responsible", "controller"):
        person = getattr(task, field, None) if getattr(task, f"{field}_id") else None
        if person is not None and not person.is_active:
            errors[field] = _("Choose an active user.")
    if errors:
        raise ValidationError(errors)


def _check_subject(task: Task, by) -> None:
    """The subject must be one `by` may see: no task about a record hidden from its creator."""
    subject = task.project if task.project_id else task.regarding
    if subject is None:
        raise ValidationError({"regarding_id": _("Choose what the task is about.")})
    if not may_see(by, subject):
        field = "project" if task.project_id else "regarding_id"
        raise ValidationError({field: _("Choose a record you can see.")})


def _closing(task: Task, by) -> None:
    """Record who closed the task and when; reopening clears it."""
    if task.status == Task.Status.DONE:
        if task.done_at is None:
            task.done_at, task.done_by = clock.now(), by
    else:
        task.done_at, task.done_by = None, None


@transaction.atomic
def create_task(task: Task, by) -> Task:
    """Create `task` with `by` as its creator, whatever the task said before."""
    task.creator = by
    if task.task_type_id and task.origin_id is None:
        task.origin_id = task.task_type.origin_id
    _check_subject(task, by)
    _check_people(task)
    _closing(task, by)
    return create_record(task, by=by)


@transaction.atomic
def update_task(task: Task, by, expected_version: int | None = None) -> Task:
    """Save a change to `task` (the creator stays who it was)."""
    require_edit(by, task)
    stored = Task.all_objects.get(pk=task.pk)
    task.creator_id = stored.creator_id
    if (task.regarding_type_id, task.regarding_id, task.project_id) != (
            stored.regarding_type_id, stored.regarding_id, stored.project_id):
        _check_subject(task, by)
    _check_people(task)
    if task.status != stored.status and task.status not in Task.TRANSITIONS[stored.status]:
        raise ValidationError({"status": _("A task cannot go from %(old)s to %(new)s.") % {
            "old": stored.get_status_display(), "new": task.get_status_display()}})
    _closing(task, by)
    return update_record(task, by=by, expected_version=expected_version)


def set_status(task: Task, status: str, by) -> Task:
    task.status = status
    return update_task(task, by)


@transaction.atomic
def bulk_change(tasks, by, *, status: str | None = None, responsible=None) -> tuple[list[Task], list[Task]]:
    """Give each of `tasks` the new status and/or responsible, where `by` may change it and the status may
    move so; returns (changed, refused). One transaction: a failure changes nothing."""
    editable = set(Task.objects.editable_by(by).filter(pk__in=[task.pk for task in tasks])
                   .values_list("pk", flat=True))
    changed, refused = [], []
    for task in tasks:
        if task.pk not in editable or (status and status != task.status and status not in Task.TRANSITIONS[task.status]):
            refused.append(task)
            continue
        if status:
            task.status = status
        if responsible is not None:
            task.responsible = responsible
        try:
            update_task(task, by)
        except (ValidationError, PermissionDenied):
            refused.append(task)
        else:
            changed.append(task)
    return changed, refused


def move_tasks(handover: subjects.Handover, model) -> list:
    """Mover (core.subjects): a converted lead's tasks go under its deal when there is one, else the account."""
    target = handover.targets.get("deal") or handover.account
    moved = subjects.move(model, handover.source, target, handover)
    # Their time follows them to the account (TimeEntry.account).
    TimeEntry.all_objects.filter(task__in=[task.pk for task in moved]).update(account=handover.account)
    return moved


# --- Projects ----------------------------------------------------------------------------------------------

def task_counts(projects) -> None:
    """Set `pending`, `in_progress` and `done` on each project: one query for them all."""
    projects = list(projects)
    counts = {}
    rows = (Task.objects.filter(project__in=[project.pk for project in projects])
            .values("project", "status").annotate(n=models.Count("pk")))
    for row in rows:
        counts[(row["project"], row["status"])] = row["n"]
    for project in projects:
        project.pending = counts.get((project.pk, Task.Status.PENDING), 0)
        project.in_progress = counts.get((project.pk, Task.Status.IN_PROGRESS), 0)
        project.done = counts.get((project.pk, Task.Status.DONE), 0)
    return projects


def create_project(project: Project, by) -> Project:
    if not may_see(by, project.account):
        raise ValidationError({"account": _("Choose an account you can see.")})
    return create_record(project, by=by)


# --- Time ----------------------------------------------------------------------------------------------------

@transaction.atomic
def log_time(entry: TimeEntry, by) -> TimeEntry:
    """Log `entry` (its person defaults to `by`) after checking it: more than zero minutes, not in the future,
    at most 24 hours for the person on that day, on a task `by` may see. ValidationError names the field;
    nothing is stored then."""
    if entry.user_id is None:
        entry.user = by
    _check_entry(entry, by)
    return create_record(entry, by=by)


@transaction.atomic
def update_time(entry: TimeEntry, by, expected_version: int | None = None) -> TimeEntry:
    require_edit(by, entry)
    _check_entry(entry, by)
    return update_record(entry, by=by, expected_version=expected_version)


def _check_entry(entry: TimeEntry, by) -> None:
    errors = {}
    if entry.task_id is None or not Task.objects.visible_to(by, per_row=True).filter(pk=entry.task_id).exists():
        errors["task"] = _("Choose a task you can see.")
    if entry.minutes is None or entry.minutes <= 0:
        errors["minutes"] = _("Log more than zero minutes.")
    elif entry.minutes > MINUTES_PER_DAY:
        errors["minutes"] = _("A day has 24 hours: log at most 1,440 minutes.")
    if entry.date is None:
        errors["date"] = _("Enter the date.")
    elif entry.date > clock.today():
        errors["date"] = _("Time cannot be logged for a future date.")
    if entry.user_id != by.pk and not by.is_superuser:
        # Logging for someone else: only for people below `by`.
        if not get_user_model().objects.filter(pk=entry.user_id, id__in=subordinate_ids(by)).exists():
            errors["user"] = _("You may log time only for yourself or the people you manage.")
    if not errors:
        # The person's row is locked so two entries logged at once cannot both slip under the day's limit.
        get_user_model().objects.select_for_update().filter(pk=entry.user_id).first()
        logged = (TimeEntry.objects.filter(user_id=entry.user_id, date=entry.date).exclude(pk=entry.pk)
                  .aggregate(total=Sum("minutes"))["total"] or 0)
        if logged + entry.minutes > MINUTES_PER_DAY:
            errors["minutes"] = _(
                "%(person)s already has %(logged)s minutes on %(date)s: a day holds at most 1,440.") % {
                "person": entry.user, "logged": logged, "date": entry.date.isoformat()}
    if errors:
        raise ValidationError(errors)
