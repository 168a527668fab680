"""core.compiled.rows: a query's SQL compiled once per process and run with each call's own values gives what
building the queryset each time gives; a value that does not stay a parameter as given is built per call."""

import pytest

from vinculo.accounts.models import Account
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.core import compiled

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    monkeypatch.setattr(compiled, "_by_values", {})


def by_name_and_owner(name, owner_id):
    return Account.objects.select_related("owner").filter(legal_name=name, owner_id=owner_id).order_by("pk")


def test_instances_with_their_related_records_come_back_for_each_calls_values(org):
    other = AccountFactory(owner=org.vendedor_sur, legal_name="Minera Norte Grande SpA")
    for _ in range(2):  # compiled on the first call, reused on the second
        for name, owner in [("Minera Norte Grande SpA", org.vendedor_norte), ("Minera Norte Grande SpA",
                                                                             org.vendedor_sur)]:
            found = compiled.rows("test:accounts", Account, by_name_and_owner, name, owner.pk)
            assert found == list(by_name_and_owner(name, owner.pk))
            assert [account.owner.username for account in found] == [owner.username]
    assert compiled.rows("test:accounts", Account, by_name_and_owner, "Nadie SpA", org.admin.pk) == []
    assert other.pk != org.north_account.pk


def test_tuples_of_a_values_list_come_back_as_tuples(org):
    def names(owner_id):
        return Account.objects.filter(owner_id=owner_id).values_list("legal_name", "country").order_by("pk")

    assert compiled.rows("test:names", Account, names, org.vendedor_sur.pk) == [("Pesquera Sur Austral SpA", "CL")]
    assert compiled.rows("test:names", Account, names, org.vendedor_norte.pk) == [("Minera Norte Grande SpA", "CL")]


def test_a_value_turned_into_a_pattern_is_built_per_call(org, caplog):
    def starting(prefix):
        return Account.objects.filter(legal_name__startswith=prefix).order_by("pk")

    assert compiled.rows("test:prefix", Account, starting, "Minera") == [org.north_account]
    assert compiled.rows("test:prefix", Account, starting, "Pesquera") == [org.south_account]
    assert "built per call" in caplog.text
