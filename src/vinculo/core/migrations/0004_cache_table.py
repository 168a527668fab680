"""The table of the database cache, the cache every worker shares when no Redis is configured (settings.CACHES):
the org-wide access defaults are read through it, so a change applies in every worker at once."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # Creates the tables of the DatabaseCache backends in settings.CACHES, if missing; nothing otherwise.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_search_index")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop, elidable=True)]
