from django.db import migrations

from vinculo.core.operations import LiveIndexOnPostgres


class Migration(migrations.Migration):

    dependencies = [("sales", "0009_newest_first_indexes_end_on_id")]

    operations = [
        LiveIndexOnPostgres("lead", "lead_live_created_pg", ["-created_at", "-id"]),
        LiveIndexOnPostgres("opportunity", "opp_live_created_pg", ["-created_at", "-id"]),
        LiveIndexOnPostgres("opportunity", "opp_open_created_pg", ["status", "-created_at", "-id"]),
        LiveIndexOnPostgres("opportunity", "opp_stage_created_pg", ["stage", "-created_at", "-id"]),
        LiveIndexOnPostgres("opportunity", "opp_status_amount_pg", ["status", "amount", "id"]),
        LiveIndexOnPostgres("opportunity", "opp_board_column_pg", ["status", "stage", "expected_close_date", "id"]),
        LiveIndexOnPostgres("quote", "quote_live_issued_pg", ["-issued_on", "-id"]),
    ]
