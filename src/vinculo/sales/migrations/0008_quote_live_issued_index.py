from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("sales", "0007_open_deals_newest_index")]

    operations = [
        migrations.AddIndex(
            model_name="quote",
            index=models.Index(fields=["deleted_at", "-issued_on", "-id"], name="quote_live_issued_idx"),
        ),
    ]
