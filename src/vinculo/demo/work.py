"""Demo projects, tasks and time: the task types (the zone-north presentation among them) and origins, a
commercial project of this year for some accounts of every rep, tasks in every state for every rep (one
overdue, one for today, one ahead, one in progress, one done, one cancelled per project) and a week of time
logged on the open and finished ones. Rows are written with bulk_create in batches."""

import random
from datetime import time, timedelta

from django.contrib.auth import get_user_model

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


def load_work(seed: int = 2) -> int:
    """Build the demo's work records (once: nothing happens if tasks exist). Returns the tasks created."""
    if Task.all_objects.exists():
        return 0
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
                entries.append(TimeEntry(task=task, user=task.responsible, date=day, minutes=rng.choice([15, 30, 45, 60, 90]),
                                         comment=rng.choice(COMMENTS), created_by=task.responsible,
                                         updated_by=task.responsible))
    TimeEntry.objects.bulk_create(entries, batch_size=BATCH)
    return len(tasks)
