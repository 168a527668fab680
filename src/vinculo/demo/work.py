"""Demo projects, tasks and time: the task types (the zone-north presentation among them) and origins, a
commercial project of this year for some accounts of every rep, tasks in every state for every rep (one
overdue, one for today, one ahead, one in progress, one done, one cancelled per project) and a week of time
logged on the open and finished ones. Rows are written with bulk_create in batches.

The large dataset adds volume (`add_volume`): tasks up to `Size.tasks` and time entries up to
`Size.time_entries` (500,000 and 1,000,000, issue #11), spread over five years of every rep's accounts; it
tops up what is missing, so a second run adds nothing and an interrupted one goes on where it stopped."""

import random
from datetime import time, timedelta

from django.contrib.auth import get_user_model
from django.db import connection

from vinculo.accounts.models import Account
from vinculo.core import clock
from vinculo.core.subjects import content_type_id
from vinculo.work.models import Priority, Project, Task, TaskOrigin, TaskType, TimeEntry

BATCH = 1000
ORIGINS = ["Solicitud del cliente", "Visita comercial", "Campaña", "Reclamo", "Licitación"]
TYPES = [
    dict(name="Presentación zona norte", responsible_rule=TaskType.Responsible.TERRITORY_REP,
         controller_rule=TaskType.Controller.RESPONSIBLE_MANAGER, priority=Priority.HIGH, next_action_days=2,
         description="Presentar la línea de productos al cliente de la zona norte."),
    dict(name="Llamada de seguimiento", responsible_rule=TaskType.Responsible.ACCOUNT_OWNER,
         controller_rule=TaskType.Controller.RESPONSIBLE_MANAGER, priority=Priority.NORMAL, next_action_days=1),
    dict(name="Preparar cotización", responsible_rule=TaskType.Responsible.ACCOUNT_OWNER,
         controller_rule=TaskType.Controller.RESPONSIBLE_MANAGER, priority=Priority.HIGH, next_action_days=3,
         due_days=7),
    dict(name="Visita técnica", responsible_rule=TaskType.Responsible.TERRITORY_REP,
         controller_rule=TaskType.Controller.CREATOR, priority=Priority.NORMAL, next_action_days=5),
]
TITLES = ["Presentar propuesta anual", "Revisar consumo del trimestre", "Coordinar visita a faena",
          "Enviar ficha técnica", "Llamar por renovación del contrato", "Preparar cotización de repuestos"]
COMMENTS = ["Llamada con el jefe de mantención.", "Preparación de la propuesta.", "Visita a terreno.",
            "Correo con antecedentes.", ""]
PROJECTS_PER_REP = 3


def load_work(seed: int = 2, tasks: int = 0, time_entries: int = 0, progress=None) -> int:
    """Build the demo's work records (once: the per-rep ones only when no task exists), then top the tasks and
    time entries up to `tasks` and `time_entries`. Returns the rows created (tasks, and time entries of the
    volume)."""
    created = 0 if Task.all_objects.exists() else _per_rep(seed)
    if tasks or time_entries:
        created += add_volume(tasks, time_entries, seed, progress)
    return created


def _per_rep(seed: int) -> int:
    rng = random.Random(seed)
    today = clock.today()
    origins = [TaskOrigin.objects.get_or_create(name=name)[0] for name in ORIGINS]
    types = [TaskType.objects.update_or_create(name=values["name"], defaults={**values, "origin": origins[0]})[0]
             for values in TYPES]
    reps = list(get_user_model().objects.filter(is_active=True, manager__isnull=False).order_by("pk"))
    projects = []
    for rep in reps:
        for account in Account.objects.filter(owner=rep).order_by("pk")[:PROJECTS_PER_REP]:
            projects.append(Project(account=account, name=f"Seguimiento comercial {today.year}", year=today.year,
                                    planned_start=today.replace(month=1, day=1),
                                    planned_end=today.replace(month=12, day=31), owner=rep, created_by=rep,
                                    updated_by=rep))
    Project.objects.bulk_create(projects, batch_size=BATCH)
    project_type = content_type_id(Project)
    now = clock.now()
    states = [("pending", -3), ("pending", 0), ("pending", 6), ("in_progress", 1), ("done", -8), ("cancelled", -5)]
    tasks = []
    for project in projects:
        rep = project.owner
        controller = rep.manager or rep
        for status, offset in states:
            task_type = rng.choice(types)
            day = today + timedelta(days=offset)
            tasks.append(Task(
                project=project, regarding_type_id=project_type, regarding_id=project.pk, account_id=project.account_id,
                task_type=task_type, origin=rng.choice(origins), title=rng.choice(TITLES), responsible=rep,
                controller=controller, creator=rng.choice([rep, controller]), priority=rng.choice(list(Priority)),
                next_action_date=day, next_action_time=time(rng.choice([9, 10, 11, 15, 16])) if rng.random() < 0.5 else None,
                status=status, done_at=now - timedelta(days=2) if status == "done" else None,
                done_by=rep if status == "done" else None, created_by=rep, updated_by=rep,
            ))
    Task.objects.bulk_create(tasks, batch_size=BATCH)
    entries = []
    week = [today - timedelta(days=n) for n in range(7)]
    for task in tasks:
        if task.status not in ("in_progress", "done"):
            continue
        for day in week:
            if day.weekday() < 5 and rng.random() < 0.6:
                entries.append(TimeEntry(task=task, account_id=task.account_id, user=task.responsible, date=day, minutes=rng.choice([15, 30, 45, 60, 90]),
                                         comment=rng.choice(COMMENTS), created_by=task.responsible,
                                         updated_by=task.responsible))
    TimeEntry.objects.bulk_create(entries, batch_size=BATCH)
    return len(tasks)


# --- The large dataset's volume ------------------------------------------------------------------------------

VOLUME_YEARS = 5
VOLUME_CHUNK = 5000
# Of the tasks whose next action is more than a month old, this share is still open (overdue).
OLD_STILL_OPEN = 0.02
# Minutes per entry: ~27 entries a person a working day over five years stay well under the 24-hour rule.
VOLUME_MINUTES = [10, 15, 15, 20, 30]
PRIORITIES = [priority.value for priority in Priority]
# The volume is written with plain INSERTs (executemany): a third of bulk_create's time for 1.5 million rows.
TRACKED_COLUMNS = ("created_at", "updated_at", "created_by_id", "updated_by_id", "version")
TASK_COLUMNS = (*TRACKED_COLUMNS, "regarding_type_id", "regarding_id", "project_id", "task_type_id", "origin_id",
                "title", "description", "responsible_id", "controller_id", "creator_id", "priority",
                "next_action_date", "next_action_time", "due_date", "status", "done_at", "done_by_id", "account_id")
ENTRY_COLUMNS = (*TRACKED_COLUMNS, "task_id", "account_id", "user_id", "date", "minutes", "comment")


def _insert(model, columns, rows) -> None:
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(column) for column in columns)}) "
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def add_volume(tasks: int, time_entries: int, seed: int = 2, progress=None) -> int:
    """Tasks up to `tasks` in all and time entries up to `time_entries`, in chunks of VOLUME_CHUNK rows
    (memory stays flat): tasks about the accounts (a third in a commercial project of their year), done
    by the account's owner and checked by the owner's manager, their next action spread over five years
    and two months ahead — the old ones mostly done or cancelled, the recent ones open —, and time logged on
    the done and in-progress tasks, dated on or before their next action and never after today. Returns
    the tasks and time entries created."""
    rng = random.Random(seed * 7919 + Task.all_objects.count())
    today = clock.today()
    missing_tasks = tasks - Task.all_objects.count()
    if missing_tasks > 0:
        _volume_tasks(missing_tasks, rng, today, progress)
    missing_entries = time_entries - TimeEntry.all_objects.count()
    if missing_entries > 0:
        _volume_entries(missing_entries, rng, today, progress)
    return max(missing_tasks, 0) + max(missing_entries, 0)


def _volume_tasks(count: int, rng: random.Random, today, progress) -> None:
    users = get_user_model().objects.in_bulk()
    owned = list(Account.objects.filter(owner__is_active=True).values_list("pk", "owner_id").order_by("pk"))
    if not owned:
        return
    types = list(TaskType.objects.values_list("pk", flat=True)) or [None]
    origins = list(TaskOrigin.objects.values_list("pk", flat=True)) or [None]
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(clock.now())
    account_type, project_type = content_type_id(Account), content_type_id(Project)
    projects = _volume_projects(owned, rng, today, users)
    start = today - timedelta(days=365 * VOLUME_YEARS)
    span = (today - start).days + 60
    now = clock.now()
    made = 0
    while made < count:
        batch = []
        for _ in range(min(VOLUME_CHUNK, count - made)):
            account_id, owner_id = rng.choice(owned)
            owner = users[owner_id]
            controller_id = owner.manager_id or owner_id
            day = start + timedelta(days=rng.randrange(span))
            age = (today - day).days
            if age > 30 and rng.random() >= OLD_STILL_OPEN:
                status = "done" if rng.random() < 0.85 else "cancelled"
            elif age > 0:
                status = rng.choice(["pending", "in_progress", "done"])
            else:
                status = "pending" if rng.random() < 0.8 else "in_progress"
            project = projects.get((account_id, day.year)) if rng.random() < 0.33 else None
            task_type = rng.choice(types)
            batch.append((
                stamp, stamp, owner_id, owner_id, 1, project_type if project else account_type, project or account_id,
                project, task_type, rng.choice(origins), rng.choice(TITLES), "", owner_id, controller_id,
                rng.choice([owner_id, controller_id]), rng.choice(PRIORITIES), ops.adapt_datefield_value(day),
                ops.adapt_timefield_value(time(rng.choice([9, 10, 11, 15, 16]))) if rng.random() < 0.3 else None,
                ops.adapt_datefield_value(day + timedelta(days=rng.choice([2, 5, 10]))) if rng.random() < 0.3 else None,
                status, ops.adapt_datetimefield_value(now - timedelta(days=max(age, 0))) if status == "done" else None,
                owner_id if status == "done" else None, account_id,
            ))
        _insert(Task, TASK_COLUMNS, batch)
        made += len(batch)
        if progress and made % 100_000 < VOLUME_CHUNK:
            progress(f"  {made:,} of {count:,} tasks added")


def _volume_projects(owned, rng, today, users) -> dict:
    """A commercial project per year for one account in ten (those already there kept): {(account, year): id}."""
    existing = {(account, year): pk for pk, account, year in Project.all_objects.values_list("pk", "account_id", "year")}
    new = []
    for account_id, owner_id in owned[::10]:
        for year in range(today.year - VOLUME_YEARS, today.year + 1):
            if (account_id, year) not in existing:
                new.append(Project(account_id=account_id, name=f"Seguimiento comercial {year}", year=year,
                                   planned_start=today.replace(year=year, month=1, day=1),
                                   planned_end=today.replace(year=year, month=12, day=31),
                                   status=Project.Status.ACTIVE if year == today.year else Project.Status.CLOSED,
                                   owner_id=owner_id, created_by_id=owner_id, updated_by_id=owner_id))
    for start in range(0, len(new), VOLUME_CHUNK):
        Project.objects.bulk_create(new[start:start + VOLUME_CHUNK], batch_size=BATCH)
    return {(account, year): pk for pk, account, year in Project.all_objects.values_list("pk", "account_id", "year")}


def _volume_entries(count: int, rng: random.Random, today, progress) -> None:
    """Time on the done and in-progress tasks, read in pk order a chunk at a time; each gets about its share
    of what is missing, so the total is reached on the last chunk."""
    eligible = Task.all_objects.filter(status__in=["done", "in_progress"], next_action_date__lte=today)
    remaining_tasks = eligible.count()
    if not remaining_tasks:
        return
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(clock.now())
    made, last_pk = 0, 0
    while made < count and remaining_tasks:
        rows = list(eligible.filter(pk__gt=last_pk).order_by("pk")
                    .values_list("pk", "responsible_id", "controller_id", "next_action_date", "account_id")[:VOLUME_CHUNK])
        if not rows:
            break
        last_pk = rows[-1][0]
        share = round((count - made) * len(rows) / remaining_tasks)
        remaining_tasks -= len(rows)
        batch = []
        for _ in range(min(share, count - made)):
            task_id, responsible_id, controller_id, day, account_id = rng.choice(rows)
            person = responsible_id if rng.random() < 0.9 else controller_id
            date = min(day - timedelta(days=rng.choice([0, 0, 1, 2, 3, 5])), today)
            batch.append((stamp, stamp, person, person, 1, task_id, account_id, person, ops.adapt_datefield_value(date),
                          rng.choice(VOLUME_MINUTES), rng.choice(COMMENTS)))
        _insert(TimeEntry, ENTRY_COLUMNS, batch)
        made += len(batch)
        if progress and made % 200_000 < len(batch):
            progress(f"  {made:,} of {count:,} time entries added")
