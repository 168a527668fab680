"""Each note and file is about its lead, else its account (one UPDATE per model and kind of subject)."""

from django.db import migrations
from django.db.models import F


def content_type(apps, app_label, model):
    ContentType = apps.get_model("contenttypes", "ContentType")
    return ContentType.objects.get_or_create(app_label=app_label, model=model)[0]


def forwards(apps, schema_editor):
    for name in ("Note", "Document"):
        records = apps.get_model("accounts", name).objects.all()
        if not records.exists():
            continue
        for column, app_label, model in (("account_id", "accounts", "account"), ("lead_id", "sales", "lead")):
            records.filter(**{f"{column}__isnull": False}).update(
                regarding_type=content_type(apps, app_label, model), regarding_id=F(column))


def backwards(apps, schema_editor):
    for name in ("Note", "Document"):
        records = apps.get_model("accounts", name).objects.all()
        if records.exists():
            records.filter(regarding_type=content_type(apps, "sales", "lead")).update(lead_id=F("regarding_id"))


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0006_regarding"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=True),
    ]
