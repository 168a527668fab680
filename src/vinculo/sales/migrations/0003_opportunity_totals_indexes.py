from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("sales", "0002_default_pipeline")]

    operations = [
        # The pipeline totals of the opportunity list and the board, read from an index alone: all deals,
        # and the deals of some accounts (a territory, an account).
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                fields=["deleted_at", "stage", "currency", "status", "amount", "probability", "owner", "account",
                        "sales_team"],
                name="opp_pipeline_totals_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                fields=["account", "deleted_at", "stage", "currency", "status", "amount", "probability", "owner",
                        "sales_team"],
                name="opp_account_totals_idx",
            ),
        ),
        # The list sorted by amount: the biggest (open) deals first.
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["deleted_at", "status", "amount"], name="opp_status_amount_idx"),
        ),
    ]
