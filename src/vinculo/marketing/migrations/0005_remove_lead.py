"""The lead link is now `member`: campaign members no longer point at the sales app."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("marketing", "0004_member_data"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="campaignmember", name="campaign_member_lead_unique"),
        migrations.RemoveField(model_name="campaignmember", name="lead"),
        migrations.AddIndex(
            model_name="campaignmember",
            index=models.Index(fields=["member_type", "member_id"], name="campaign_member_member_idx"),
        ),
        migrations.AddConstraint(
            model_name="campaignmember",
            constraint=models.CheckConstraint(
                condition=models.Q(("member_id__isnull", False), ("contact__isnull", False), _connector="OR"),
                name="campaign_member_has_member_or_contact",
            ),
        ),
        migrations.AddConstraint(
            model_name="campaignmember",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("member_id__isnull", True), ("member_type__isnull", True)),
                    models.Q(("member_id__isnull", False), ("member_type__isnull", False)),
                    _connector="OR",
                ),
                name="campaign_member_link_whole",
            ),
        ),
        migrations.AddConstraint(
            model_name="campaignmember",
            constraint=models.UniqueConstraint(
                fields=("campaign", "member_type", "member_id"), name="campaign_member_member_unique"),
        ),
    ]
