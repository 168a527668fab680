"""Expensive reads kept until a table they read changes (core.versioned): a cached count or total is never
served after a write that changes it, whatever path wrote, and a rolled-back write leaves nothing stale."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from vinculo.accounts.models import Account
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.core import versioned
from vinculo.core.access import AccessLevel
from vinculo.core.lists import capped_count
from vinculo.org.models import OrgDefault, Role, Territory
from vinculo.sales.models import Opportunity
from vinculo.sales.tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db
# Results are kept on SQLite only (core.versioned); elsewhere the same reads must still give the right figures.
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="results are kept on SQLite only")


def count_accounts() -> tuple[int, int]:
    """(accounts counted, queries run)."""
    with CaptureQueriesContext(connection) as captured:
        found, exact = capped_count(Account.objects.all(), None)
    assert exact
    return found, len(captured)


@sqlite_only
def test_a_count_is_read_again_only_after_a_write_to_a_table_it_reads():
    AccountFactory.create_batch(3)
    assert count_accounts() == (3, 2)  # the versions, then the count
    assert count_accounts() == (3, 1)  # the versions only: nothing written since
    Territory.objects.create(name="Norte")  # a table the count does not read
    assert count_accounts() == (3, 1)
    AccountFactory()
    assert count_accounts() == (4, 2)


def test_a_query_on_an_empty_list_is_counted_without_caching():
    AccountFactory()
    assert capped_count(Account.objects.filter(pk__in=[]), None) == (0, True)


def test_every_way_of_writing_invalidates():
    first, second, third = AccountFactory.create_batch(3)
    assert count_accounts()[0] == 3
    Account.objects.filter(pk=first.pk).update(deleted_at=timezone.now())  # bulk update, no save()
    assert count_accounts()[0] == 2
    with connection.cursor() as cursor:  # raw SQL, as a data fix or another program would
        cursor.execute(f"UPDATE {Account._meta.db_table} SET deleted_at = %s WHERE id = %s", [timezone.now(), second.pk])
    assert count_accounts()[0] == 1
    Account.all_objects.filter(pk=third.pk).delete()
    assert count_accounts()[0] == 0


def test_a_rolled_back_write_leaves_no_result_behind():
    """With a counter, the rolled-back insert and the later committed rename would both give version + 1, and
    the count read inside the rolled-back transaction (4) would be served for the committed data (3)."""
    existing = AccountFactory.create_batch(3)
    assert count_accounts()[0] == 3
    with pytest.raises(RuntimeError), transaction.atomic():
        AccountFactory()
        assert count_accounts()[0] == 4
        raise RuntimeError
    assert count_accounts()[0] == 3
    Account.objects.filter(pk=existing[0].pk).update(legal_name="Renamed SpA")
    assert count_accounts()[0] == 3


@sqlite_only
def test_a_sign_in_does_not_invalidate_but_a_role_change_does(org):
    before = versioned.versions(["org_user"]).get("org_user")
    type(org.director).objects.filter(pk=org.director.pk).update(last_login=timezone.now())
    assert versioned.versions(["org_user"]).get("org_user") == before
    type(org.director).objects.filter(pk=org.director.pk).update(role=Role.objects.create(name="New"))
    assert versioned.versions(["org_user"]).get("org_user") not in (before, None)


def listed_totals(client, user) -> tuple[int, Decimal | None]:
    client.force_login(user)
    totals = client.get(reverse("sales:opportunity_list")).context["totals"]
    return totals.overall.count, totals.overall.amount


def test_the_pipeline_totals_follow_amounts_and_visibility(client, org):
    # Owned by a colleague: the rep sees it through the account's owner.
    own = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte2, amount=Decimal("1000"),
                             currency="CLP")
    OpportunityFactory(account=org.south_account, owner=org.vendedor_sur, amount=Decimal("500"), currency="CLP")
    assert listed_totals(client, org.vendedor_norte) == (1, Decimal("1000"))
    assert listed_totals(client, org.vendedor_norte) == (1, Decimal("1000"))  # kept
    Opportunity.objects.filter(pk=own.pk).update(amount=Decimal("1200"))
    assert listed_totals(client, org.vendedor_norte) == (1, Decimal("1200"))
    # Visibility that changes in another table: every deal public, then the own account handed over.
    OrgDefault.objects.update_or_create(record_type="sales.opportunity", defaults={"access": AccessLevel.PUBLIC_READ})
    assert listed_totals(client, org.vendedor_norte) == (2, Decimal("1700"))
    OrgDefault.objects.update_or_create(record_type="sales.opportunity", defaults={"access": AccessLevel.PRIVATE})
    Account.objects.filter(pk=org.north_account.pk).update(owner=org.vendedor_sur)
    assert listed_totals(client, org.vendedor_norte) == (0, Decimal("0"))
    assert listed_totals(client, org.vendedor_sur) == (2, Decimal("1700"))


@sqlite_only
def test_triggers_cover_every_tracked_table_and_are_recreated_idempotently():
    tables = versioned.install_triggers()
    assert set(tables) == set(versioned.tracked_models())
    assert {"accounts_account", "sales_opportunity", "org_user", "org_orgdefault"} <= set(tables)
    assert versioned.install_triggers() == tables
