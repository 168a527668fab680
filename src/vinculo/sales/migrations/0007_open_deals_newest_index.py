from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("sales", "0006_report_indexes")]

    operations = [
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["deleted_at", "status", "-created_at"], name="opp_open_created_idx"),
        ),
    ]
