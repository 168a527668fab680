"""Each activity is about its lead, else its deal, else its account (one UPDATE per kind of subject)."""

from django.db import migrations
from django.db.models import F


def content_type(apps, app_label, model):
    ContentType = apps.get_model("contenttypes", "ContentType")
    return ContentType.objects.get_or_create(app_label=app_label, model=model)[0]


def forwards(apps, schema_editor):
    activities = apps.get_model("activities", "Activity").objects.all()
    if not activities.exists():
        return
    # Later updates win: the lead's link is the one its page and its conversion read.
    for column, app_label, model in (("account_id", "accounts", "account"), ("opportunity_id", "sales", "opportunity"),
                                     ("lead_id", "sales", "lead")):
        activities.filter(**{f"{column}__isnull": False}).update(
            regarding_type=content_type(apps, app_label, model), regarding_id=F(column))


def backwards(apps, schema_editor):
    activities = apps.get_model("activities", "Activity").objects.all()
    if not activities.exists():
        return
    for column, app_label, model in (("opportunity_id", "sales", "opportunity"), ("lead_id", "sales", "lead")):
        activities.filter(regarding_type=content_type(apps, app_label, model)).update(**{column: F("regarding_id")})


class Migration(migrations.Migration):

    dependencies = [
        ("activities", "0003_regarding"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=True),
    ]
