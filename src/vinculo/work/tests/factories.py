import datetime

from vinculo.work import services
from vinculo.work.models import Project, Task, TimeEntry


def make_project(account, owner, **fields) -> Project:
    values = {"name": "Seguimiento comercial 2026", "year": 2026, "owner": owner, "account": account, **fields}
    return services.create_project(Project(**values), by=owner)


def make_task(by, subject=None, *, project=None, responsible=None, controller=None, **fields) -> Task:
    """A task created by `by` about `subject` (or in `project`); the responsible defaults to `by` and the
    controller to the responsible's manager (else `by`)."""
    responsible = responsible or by
    task = Task(title=fields.pop("title", "Llamar para agendar visita"), project=project,
                responsible=responsible, controller=controller or responsible.manager or by,
                next_action_date=fields.pop("next_action_date", datetime.date(2026, 4, 20)), **fields)
    if subject is not None:
        task.regarding = subject
    return services.create_task(task, by=by)


def log(task, by, minutes=30, date=datetime.date(2026, 4, 15), **fields) -> TimeEntry:
    return services.log_time(TimeEntry(task=task, minutes=minutes, date=date, **fields), by=by)
