"""The time reports' indexes for the entries logged outside the reader's line (Policy.parts, Parent.among): the
task's access rule read from an index, and a task's entries summed from its diary index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("work", "0006_explorer_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="timeentry",
            name="timeentry_task_idx",
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                fields=[
                    "id",
                    "deleted_at",
                    "responsible",
                    "controller",
                    "creator",
                    "regarding_type",
                    "regarding_id",
                ],
                name="task_rule_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="timeentry",
            index=models.Index(
                fields=["task", "deleted_at", "-date", "user", "account", "minutes"],
                name="timeentry_task_report_idx",
            ),
        ),
    ]
