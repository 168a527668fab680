"""Campaign members get the generic member link (`member`: a lead, or any subject type); 0004 fills it from
`lead`, 0005 drops `lead`, so marketing no longer points at the sales app.

Three migrations, so that on PostgreSQL the data update and the ALTER TABLEs run in separate transactions.
The check that a member has a lead or a contact goes first: 0005 puts back its successor, which reads the
new link."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("marketing", "0002_campaign_members"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="campaignmember", name="campaign_member_has_lead_or_contact"),
        migrations.AddField(
            model_name="campaignmember",
            name="member_id",
            field=models.PositiveBigIntegerField(blank=True, editable=False, null=True, verbose_name="member"),
        ),
        migrations.AddField(
            model_name="campaignmember",
            name="member_type",
            field=models.ForeignKey(
                blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="contenttypes.contenttype", verbose_name="member (type)",
            ),
        ),
    ]
