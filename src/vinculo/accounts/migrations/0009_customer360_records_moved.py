"""Assets, contracts, notes, content deliveries and files moved to the customer360 app (they may name a contact,
and contacts sit above accounts). Only Django's state changes here: the tables stay, with their names, data,
indexes and constraints; customer360's 0001 takes them over and relabels their content types."""

from django.db import migrations

MOVED = ("DocumentVersion", "Document", "Note", "ContentDelivery", "Contract", "CustomerAsset")


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0008_remove_lead"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name=name) for name in MOVED],
            database_operations=[],
        ),
    ]
