"""The demo's projects, tasks and time."""

from datetime import timedelta

from django.db.models import Count, F

from vinculo.core import clock
from vinculo.org.models import User
from vinculo.work.models import Project, Task, TaskType, TimeEntry


def test_every_rep_has_tasks_in_every_state_and_a_week_of_time(demo):
    today = clock.today()
    reps = User.objects.filter(is_active=True, manager__isnull=False, owned_accounts__isnull=False).distinct()
    assert reps.exists()
    for rep in reps:
        states = set(Task.objects.filter(responsible=rep).values_list("status", flat=True))
        assert states == set(Task.Status.values), rep
        assert Task.objects.filter(responsible=rep).overdue(today).exists()
        assert Task.objects.filter(responsible=rep).due_today(today).exists()
    assert all(task.regarding == task.project for task in Task.objects.select_related("project")[:50])
    assert not Task.objects.exclude(account=F("project__account")).exists()
    days = set(TimeEntry.objects.values_list("date", flat=True))
    assert days and min(days) >= today - timedelta(days=6) and max(days) <= today
    assert TimeEntry.objects.values("user", "date").annotate(n=Count("pk")).exists()
    assert Project.objects.filter(year=today.year).exists()
    presentation = TaskType.objects.get(name="Presentación zona norte")
    assert (presentation.responsible_rule, presentation.next_action_days) == ("territory_rep", 2)
