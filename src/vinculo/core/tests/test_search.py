import pytest

from vinculo.accounts.models import Account
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.contacts.models import Contact
from vinculo.core import search
from vinculo.core.services import soft_delete

pytestmark = pytest.mark.django_db


def test_search_finds_by_word_prefix_ignoring_accents_and_case(org):
    account = AccountFactory(owner=org.vendedor_norte, legal_name="Construcción Ñandú Limitada")
    assert account in search.search(Account, org.vendedor_norte, "construccion nan")
    assert account in search.search(Account, org.vendedor_norte, "CONSTRUC")
    assert account not in search.search(Account, org.vendedor_norte, "construccion sur")


def test_search_by_rut_with_or_without_format(org):
    account = org.north_account
    assert account in search.search(Account, org.vendedor_norte, account.tax_id)
    assert account in search.search(Account, org.vendedor_norte, account.tax_id_display)


def test_search_only_returns_visible_records(org):
    assert org.north_account in search.search(Account, org.gerente_norte, "Minera")
    assert not search.search(Account, org.vendedor_sur, "Minera").exists()
    assert not search.search(Contact, org.vendedor_sur, "araya").exists()
    assert org.north_contact in search.search(Contact, org.vendedor_norte, "araya")


def test_renamed_and_deleted_records_follow_in_the_index(org):
    account = org.north_account
    account.legal_name = "Cobre Andino SpA"
    account.save()
    assert account in search.search(Account, org.admin, "andino")
    assert account not in search.search(Account, org.admin, "grande")
    soft_delete(account, by=org.admin)
    assert not search.search(Account, org.admin, "andino").exists()


def test_rebuild_indexes_bulk_created_records(org):
    Account.objects.bulk_create([Account(owner=org.admin, legal_name=f"Bulk Maderas {n}") for n in range(3)])
    assert not search.search(Account, org.admin, "maderas").exists()
    search.rebuild(Account)
    assert search.search(Account, org.admin, "maderas").count() == 3


@pytest.mark.parametrize("query", ["", "   ", '"', "*", "AND OR NOT", "a:b", "(", "'; drop table x; --"])
def test_odd_queries_do_not_crash(org, query):
    list(search.search(Account, org.admin, query))


@pytest.mark.django_db(transaction=True)
def test_migrate_gathers_statistics_for_indexes_added_after_the_last_analyze():
    from django.db import connection

    from vinculo.core.signals import analyze_new_indexes

    if connection.vendor != "sqlite":
        assert analyze_new_indexes() == []
        return
    AccountFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_account")
        cursor.execute("CREATE INDEX test_account_email_idx ON accounts_account (email)")
    try:
        assert "test_account_email_idx" in analyze_new_indexes()
        assert analyze_new_indexes() == []  # nothing left to analyse
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX test_account_email_idx")
            cursor.execute("DELETE FROM sqlite_stat1")  # later tests plan without statistics, as before
