"""Time entries keep their task's customer (`TimeEntry.account`), filled here for the existing ones in
batches of ids, before the report indexes that read it are built."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BATCH = 50_000


def fill_accounts(apps, schema_editor):
    TimeEntry, Task = apps.get_model("work", "TimeEntry"), apps.get_model("work", "Task")
    entries = TimeEntry._base_manager
    last = entries.aggregate(last=models.Max("pk"))["last"] or 0
    account = models.Subquery(Task._base_manager.filter(pk=models.OuterRef("task_id")).values("account_id")[:1])
    for start in range(0, last, BATCH):
        entries.filter(pk__gt=start, pk__lte=start + BATCH).update(account_id=account)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0010_address_municipality_province'),
        ('work', '0004_report_and_worklist_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='timeentry',
            name='timeentry_user_date_idx',
        ),
        migrations.RemoveIndex(
            model_name='timeentry',
            name='timeentry_report_idx',
        ),
        migrations.AddField(
            model_name='timeentry',
            name='account',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.account', verbose_name='account'),
        ),
        migrations.RunPython(fill_accounts, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='timeentry',
            index=models.Index(fields=['user', 'date', 'deleted_at', 'account', 'minutes'], name='timeentry_user_report_idx'),
        ),
        migrations.AddIndex(
            model_name='timeentry',
            index=models.Index(fields=['date', 'deleted_at', 'user', 'account', 'task', 'minutes'], name='timeentry_date_report_idx'),
        ),
    ]
