from django.db import migrations

from vinculo.core.operations import LiveIndexOnPostgres


class Migration(migrations.Migration):

    dependencies = [("accounts", "0011_recycle_bin_index")]

    operations = [
        LiveIndexOnPostgres("account", "account_live_name_pg", ["legal_name", "id"]),
    ]
