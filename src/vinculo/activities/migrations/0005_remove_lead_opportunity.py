"""The lead and deal links are now `regarding`: activities no longer point at the sales app."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("activities", "0004_regarding_data"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="activity", name="activity_lead_idx"),
        migrations.RemoveIndex(model_name="activity", name="activity_opportunity_idx"),
        migrations.RemoveField(model_name="activity", name="lead"),
        migrations.RemoveField(model_name="activity", name="opportunity"),
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(fields=["regarding_type", "regarding_id", "-occurred_at"], name="activity_regarding_idx"),
        ),
    ]
