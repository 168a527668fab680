"""Results of expensive reads (a list's count, the pipeline's totals) kept until a table they read changes.

A list page shows 25 rows, yet its count or its per-stage totals read every row the user may see: 70–140 ms
on 200,000 deals, on every view of the page. Such a result is cached under its SQL, its parameters (the
user's visibility is in them) and the version of every table the SQL names; `cached()` recomputes it only
when one of those versions moved.

The versions are bumped by database triggers (installed after every migrate, on every tracked table), not
by Python code: every write counts, whatever path made it (the ORM, a bulk update, raw SQL, another
process), the bump commits or rolls back with the write itself, and a write runs no extra query. A version
is a random number rather than a counter, so the value a rolled-back transaction gave never comes back to
name other data. Columns that change without changing what a query can see (a user's last sign-in) do not
bump.

SQLite only. There one writer at a time holds the whole database, so the row a trigger updates adds no wait
and no deadlock. On PostgreSQL the same row would be locked until each writing transaction commits: every
save of a table would queue behind the others, and two transactions writing two tables in opposite orders
would deadlock. There `cached()` computes every time.
"""

import functools
import hashlib
import re
from collections.abc import Callable

from django.apps import apps
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connections

# Apps whose tables are tracked: ours, and auth's groups and permissions.
TRACKED_APPS = ("vinculo.", "django.contrib.auth")
# Columns written without changing what any cached read depends on.
UNTRACKED_COLUMNS = {"last_login"}
VERSIONS_TABLE = "core_tableversion"
TRIGGER_PREFIX = "vinculo_version_"
# Unreachable entries (an older version) age out; a live one is recomputed at most this often anyway.
TIMEOUT = 24 * 3600
_QUOTED = re.compile(r'"([A-Za-z0-9_]+)"')


@functools.cache
def tracked_models() -> dict:
    """{table: model} of every tracked table."""
    return {
        model._meta.db_table: model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and model._meta.db_table != VERSIONS_TABLE
        and model._meta.app_config.name.startswith(TRACKED_APPS)
    }


def _tracked_columns(model) -> list[str] | None:
    """The columns whose update bumps the version, or None for all of them."""
    columns = [field.column for field in model._meta.local_concrete_fields]
    kept = [column for column in columns if column not in UNTRACKED_COLUMNS]
    return None if len(kept) == len(columns) else kept


def install_triggers(using: str = "default", **kwargs) -> list[str]:
    """(Re)create the version triggers of every tracked table (after each migrate: a new column must be
    named in an UPDATE OF list). Returns the tables."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return []
    models = tracked_models()
    existing = set(connection.introspection.table_names())
    if VERSIONS_TABLE not in existing:
        return []
    tables = [table for table in models if table in existing]
    with connection.cursor() as cursor:
        for table in tables:
            columns = _tracked_columns(models[table])
            update = "UPDATE" if columns is None else "UPDATE OF " + ", ".join(f'"{c}"' for c in columns)
            for event, name in (("INSERT", "ins"), (update, "upd"), ("DELETE", "del")):
                # Per row (SQLite has no statement triggers): a bulk write bumps once per row, a one-row upsert.
                trigger = f"{TRIGGER_PREFIX}{name}_{table}"
                cursor.execute(f'DROP TRIGGER IF EXISTS "{trigger}"')
                cursor.execute(
                    f'CREATE TRIGGER "{trigger}" AFTER {event} ON "{table}" BEGIN '
                    f"INSERT INTO {VERSIONS_TABLE} (name, version) VALUES ('{table}', random()) "
                    "ON CONFLICT (name) DO UPDATE SET version = excluded.version; END"
                )
    return tables


def install_triggers_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """post_migrate is sent once per app with models: install after the last one only."""
    if sender.label == [config for config in apps.get_app_configs() if config.models_module][-1].label:
        install_triggers(using)


def versions(tables, using: str = "default") -> dict[str, int]:
    """The current version of each table (one query; a table never written since its triggers exist has none)."""
    tables = sorted(set(tables))
    if not tables:
        return {}
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT name, version FROM {VERSIONS_TABLE} WHERE name IN ({', '.join(['%s'] * len(tables))})",
                       tables)
        return dict(cursor.fetchall())


def cached(queryset, label: str, compute: Callable[[], object]):
    """`compute()`'s result for `queryset`, cached until a table its SQL reads is written. `label` tells apart
    two results computed from the same queryset (a count, the totals)."""
    using = queryset.db
    if connections[using].vendor != "sqlite":
        return compute()
    try:
        sql, params = queryset.query.get_compiler(using).as_sql()
    except EmptyResultSet:  # filtered on an empty list: nothing to read, nothing worth keeping
        return compute()
    return cached_sql(using, sql, params, label, compute)


def cached_sql(using: str, sql: str, params, label: str, compute: Callable[[], object]):
    """`compute()`'s result for the query `sql` with `params` (already compiled: core.compiled), cached until a
    table it reads is written. Computed every time off SQLite (see the module)."""
    if connections[using].vendor != "sqlite":
        return compute()
    tables = {name for name in _QUOTED.findall(sql) if name in tracked_models()}
    state = versions(tables, using)
    digest = hashlib.sha256(repr((label, using, sql, tuple(params), sorted(state.items()))).encode()).hexdigest()
    key = f"vinculo:result:{digest}"
    found = cache.get(key)
    if found is not None:
        return found[0]
    result = compute()
    cache.set(key, (result,), TIMEOUT)
    return result
