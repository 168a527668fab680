"""The lead link of notes and files is now `regarding`: accounts no longer point at the sales app."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0007_regarding_data"),
    ]

    operations = [
        migrations.RemoveField(model_name="document", name="lead"),
        migrations.RemoveField(model_name="note", name="lead"),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(fields=["regarding_type", "regarding_id", "-updated_at"], name="document_regarding_idx"),
        ),
        migrations.AddIndex(
            model_name="note",
            index=models.Index(fields=["regarding_type", "regarding_id", "-created_at"], name="note_regarding_idx"),
        ),
    ]
