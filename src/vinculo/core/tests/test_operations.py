import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def _indexes(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, table))


def test_live_indexes_exist_on_postgresql_only_and_order_the_live_rows():
    """The migrations' LiveIndexOnPostgres: on PostgreSQL a partial index per list order; on SQLite none (the
    list indexes that start with deleted_at already give the order there)."""
    names = {"account_live_name_pg", "contact_live_name_pg", "opp_board_column_pg", "activity_live_date_pg"}
    found = set().union(*(_indexes(table) for table in
                          ("accounts_account", "contacts_contact", "sales_opportunity", "activities_activity")))
    if connection.vendor == "postgresql":
        assert names <= found
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'contact_live_name_pg'")
            assert cursor.fetchone()[0].endswith("(last_name, first_name, id) WHERE (deleted_at IS NULL)")
    else:
        assert not names & found


def test_postgresql_connections_run_without_jit(settings):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
