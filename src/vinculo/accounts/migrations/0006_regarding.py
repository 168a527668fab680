"""Notes and files get the generic subject link (`regarding`); 0006 fills it, 0007 drops the lead link.

Three migrations, so that on PostgreSQL the data update and the ALTER TABLEs run in separate transactions."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_access_indexes"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelManagers(name="document", managers=[]),
        migrations.AlterModelManagers(name="note", managers=[]),
        migrations.AddField(
            model_name="document",
            name="regarding_id",
            field=models.PositiveBigIntegerField(blank=True, editable=False, null=True, verbose_name="regarding"),
        ),
        migrations.AddField(
            model_name="document",
            name="regarding_type",
            field=models.ForeignKey(
                blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="contenttypes.contenttype", verbose_name="regarding (type)",
            ),
        ),
        migrations.AddField(
            model_name="note",
            name="regarding_id",
            field=models.PositiveBigIntegerField(blank=True, editable=False, null=True, verbose_name="regarding"),
        ),
        migrations.AddField(
            model_name="note",
            name="regarding_type",
            field=models.ForeignKey(
                blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="contenttypes.contenttype", verbose_name="regarding (type)",
            ),
        ),
    ]
