from django.db import migrations, models

from vinculo.core.operations import LiveIndexOnPostgres


class Migration(migrations.Migration):

    dependencies = [("activities", "0008_recycle_bin_index")]

    operations = [
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(fields=["deleted_at", "occurred_at"], name="activity_live_date_idx"),
        ),
        LiveIndexOnPostgres("activity", "activity_live_date_pg", ["occurred_at", "id"]),
    ]
