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


def test_the_large_volume_tops_tasks_and_time_up_to_the_sizes_and_a_second_run_adds_nothing(demo):
    """The large dataset's stage on the small demo, at a small scale: exact totals, then idempotent."""
    from django.db.models import Sum

    from vinculo.demo.builders import SIZES
    from vinculo.demo.work import add_volume

    assert (SIZES["large"].tasks, SIZES["large"].time_entries) == (500_000, 1_000_000)
    today = clock.today()
    tasks, entries = Task.all_objects.count() + 1200, TimeEntry.all_objects.count() + 2500
    assert add_volume(tasks, entries) == 1200 + 2500
    assert (Task.all_objects.count(), TimeEntry.all_objects.count()) == (tasks, entries)
    assert add_volume(tasks, entries) == 0
    assert (Task.all_objects.count(), TimeEntry.all_objects.count()) == (tasks, entries)
    # Consistent records: a task in a project is about it and its customer; done tasks say who and when;
    # time is on done or in-progress tasks, never dated after today, never over a day per person and date.
    assert not Task.objects.filter(project__isnull=False).exclude(account=F("project__account")).exists()
    assert not Task.objects.filter(project__isnull=False).exclude(regarding_id=F("project_id")).exists()
    assert not Task.objects.filter(project__isnull=True, regarding_id__isnull=False).exclude(
        regarding_id=F("account_id")).exists()
    assert not Task.objects.filter(status="done", done_at__isnull=True).exists()
    assert not TimeEntry.objects.filter(date__gt=today).exists()
    assert not TimeEntry.objects.exclude(task__status__in=["done", "in_progress"]).exists()
    assert not TimeEntry.objects.exclude(account=F("task__account")).exists()  # each entry has its task's customer
    busiest = TimeEntry.objects.values("user", "date").annotate(total=Sum("minutes")).order_by("-total").first()
    assert busiest["total"] <= 24 * 60
    open_old = Task.objects.open().filter(next_action_date__lt=today - timedelta(days=31))
    assert open_old.exists()  # some are overdue
    assert Task.objects.open().filter(next_action_date__gte=today).exists()
