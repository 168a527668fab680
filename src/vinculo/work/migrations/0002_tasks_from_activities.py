"""Activities of the retired kind "task" become tasks: the owner is responsible (checked by their manager,
else by themselves), the creator whoever logged it, the date its next action; the history follows."""

from zoneinfo import ZoneInfo

from django.db import migrations
from django.utils import timezone

STATUS = {"planned": "pending", "done": "done", "cancelled": "cancelled"}
BATCH = 500


def content_type(apps, app_label, model):
    ContentType = apps.get_model("contenttypes", "ContentType")
    return ContentType.objects.get_or_create(app_label=app_label, model=model)[0]


def forwards(apps, schema_editor):
    Activity = apps.get_model("activities", "Activity")
    Task = apps.get_model("work", "Task")
    ChangeLog = apps.get_model("core", "ChangeLog")
    old = Activity.objects.filter(kind="task").select_related("owner").order_by("pk")
    if not old.exists():
        return
    activity_type, task_type = content_type(apps, "activities", "activity"), content_type(apps, "work", "task")
    ids = list(old.values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        activities = list(old.filter(pk__in=ids[start:start + BATCH]))
        tasks = []
        for activity in activities:
            owner = activity.owner
            local = timezone.localtime(activity.occurred_at, ZoneInfo(owner.time_zone or "UTC"))
            done = activity.status == "done"
            tasks.append(Task(
                regarding_type_id=activity.regarding_type_id, regarding_id=activity.regarding_id,
                account_id=activity.account_id, title=activity.subject[:200], description=activity.description,
                responsible_id=owner.pk, controller_id=owner.manager_id or owner.pk,
                creator_id=activity.created_by_id or owner.pk, priority=2,
                next_action_date=local.date(), next_action_time=local.time().replace(second=0, microsecond=0),
                status=STATUS.get(activity.status, "pending"),
                done_at=activity.updated_at if done else None, done_by_id=owner.pk if done else None,
                created_by_id=activity.created_by_id,
                updated_by_id=activity.updated_by_id, version=activity.version, deleted_at=activity.deleted_at,
                deleted_by_id=activity.deleted_by_id,
            ))
        tasks = Task.objects.bulk_create(tasks)
        for activity, task in zip(activities, tasks, strict=True):
            # The tasks keep the activities' own creation and change times (auto_now* set them on insert).
            Task.objects.filter(pk=task.pk).update(created_at=activity.created_at, updated_at=activity.updated_at)
            ChangeLog.objects.filter(content_type=activity_type, object_id=activity.pk).update(
                content_type=task_type, object_id=task.pk)
        Activity.objects.filter(pk__in=[activity.pk for activity in activities]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("work", "0001_projects_tasks_time"),
        ("activities", "0005_remove_lead_opportunity"),
        ("core", "0006_scheduled_run"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
