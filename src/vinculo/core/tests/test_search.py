import pytest

from vinculo.accounts.models import Account
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.contacts.models import Contact
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core import compiled, search
from vinculo.core.records import record_types
from vinculo.core.services import soft_delete
from vinculo.org.tests.factories import SalesTeamFactory
from vinculo.sales.tests.factories import OpportunityFactory

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


USERS = ["admin", "director", "gerente_norte", "vendedor_norte", "vendedor_norte2", "vendedor_sur", "finance"]


def test_the_global_search_finds_what_the_queryset_finds_for_each_user_and_word(org):
    """Its SQL is compiled once per shape of user with the words as a parameter: the second word, and the
    second user of a shape, get their own results, not the first's."""
    OpportunityFactory(account=org.north_account, name="Minera expansión")
    OpportunityFactory(account=org.south_account, name="Pesquera renovación")
    ContactFactory(account=org.south_account, first_name="Minerva", last_name="Araya")
    for word in ("minera", "araya", "pesquera", "renovacion", "nadie"):
        for name in USERS:
            user = getattr(org, name)
            for record_type in record_types.searchable():
                expected = list(search.search(record_type.model, user, word).select_related(*record_type.search.related)[:5])
                assert search.found(record_type, user, word, 5) == expected, (word, name, record_type.key)


def test_a_result_names_its_account_only_for_who_may_see_it(org):
    # vendedor.sur sees the deal through its sales team, not its account (vendedor.norte's, private).
    team = SalesTeamFactory()
    team.members.add(org.vendedor_sur)
    OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, name="Cobre fino", sales_team=team)
    OpportunityFactory(account=org.south_account, owner=org.vendedor_sur, name="Cobre grueso")
    deals = next(record_type for record_type in record_types.searchable() if record_type.key == "opportunity")
    found = {deal.name: deal.account_visible for deal in search.found(deals, org.vendedor_sur, "cobre", 5)}
    assert found == {"Cobre fino": False, "Cobre grueso": True}
    found = {deal.name: deal.account_visible for deal in search.found(deals, org.vendedor_norte, "cobre", 5)}
    assert found == {"Cobre fino": True}


@pytest.mark.parametrize("visible,hidden", [(1, 0), (1, 1), (2, 1), (3, 1), (4, 1), (5, 3)])
def test_live_visible_ids_keeps_exactly_the_visible_live_ones_whatever_the_padding(org, visible, hidden):
    # Sizes 1, 2, 3, 4, 5 and 8 pad to 1, 2, 4, 4, 8 and 8 ids: the padding never adds nor loses one.
    mine = [org.north_account.pk] + [AccountFactory(owner=org.vendedor_norte).pk for _ in range(visible - 1)]
    others = [AccountFactory(owner=org.vendedor_sur).pk for _ in range(hidden)]
    deleted = AccountFactory(owner=org.vendedor_norte)
    soft_delete(deleted, by=org.vendedor_norte)
    assert compiled.live_visible_ids(Account, org.vendedor_norte, mine + others + [None]) == set(mine)
    assert compiled.live_visible_ids(Account, org.vendedor_norte, [deleted.pk, *mine]) == set(mine)
    assert compiled.live_visible_ids(Account, org.vendedor_sur, mine + others) == set(others)
