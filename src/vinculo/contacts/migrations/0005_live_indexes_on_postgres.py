from django.db import migrations

from vinculo.core.operations import LiveIndexOnPostgres


class Migration(migrations.Migration):

    dependencies = [("contacts", "0004_mobile_and_phone_indexes")]

    operations = [
        LiveIndexOnPostgres("contact", "contact_live_name_pg", ["last_name", "first_name", "id"]),
    ]
