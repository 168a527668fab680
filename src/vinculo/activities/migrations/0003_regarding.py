"""Activities get the generic subject link (`regarding`); 0004 fills it, 0005 drops the lead and deal links.

Three migrations, so that on PostgreSQL the data update and the ALTER TABLEs run in separate transactions."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("activities", "0002_activity_lead_opportunity_task"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelManagers(name="activity", managers=[]),
        migrations.AddField(
            model_name="activity",
            name="regarding_id",
            field=models.PositiveBigIntegerField(blank=True, editable=False, null=True, verbose_name="regarding"),
        ),
        migrations.AddField(
            model_name="activity",
            name="regarding_type",
            field=models.ForeignKey(
                blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="contenttypes.contenttype", verbose_name="regarding (type)",
            ),
        ),
    ]
