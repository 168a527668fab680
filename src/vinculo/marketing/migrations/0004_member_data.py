"""Each campaign member with a lead has that lead as its member (one UPDATE)."""

from django.db import migrations
from django.db.models import F


def lead_type(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    return ContentType.objects.get_or_create(app_label="sales", model="lead")[0]


def forwards(apps, schema_editor):
    members = apps.get_model("marketing", "CampaignMember").objects.filter(lead__isnull=False)
    if members.exists():
        members.update(member_type=lead_type(apps), member_id=F("lead_id"))


def backwards(apps, schema_editor):
    members = apps.get_model("marketing", "CampaignMember").objects.filter(member_type__isnull=False)
    if not members.exists():
        return
    leads = lead_type(apps)
    # Before 0003 a member is a lead or a contact: a member of another type without a contact has no place.
    others = members.exclude(member_type=leads).filter(contact__isnull=True)
    if others.exists():
        raise RuntimeError(
            f"{others.count()} campaign members are neither a lead nor a contact: remove them before going back.")
    members.filter(member_type=leads).update(lead_id=F("member_id"))


class Migration(migrations.Migration):

    dependencies = [
        ("marketing", "0003_member"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=True),
    ]
