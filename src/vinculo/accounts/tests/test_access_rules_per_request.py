"""Within a request each access rule is built once per record type and user (core.access.rules_built_once),
and still answers from the data as it is when the query runs."""

import pytest
from django.urls import reverse

from vinculo.accounts.models import Account, AccountTeamMember
from vinculo.contacts.models import Contact
from vinculo.core import compiled
from vinculo.core.access import rules_built_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def builds(monkeypatch):
    """(user, write) for each build of Account.access_rule; `builds.keys` adds per_row."""
    class Builds(list):
        keys = []

    built = Builds()
    rule = Account.access_rule.__func__

    def counting(cls, user, write, per_row=False):
        built.append((user.username, write))
        built.keys.append((user.username, write, per_row))
        return rule(cls, user, write, per_row)

    monkeypatch.setattr(Account, "access_rule", classmethod(counting))
    return built


def test_a_rule_is_built_once_per_user_within_a_request(org, builds):
    with rules_built_once():
        for _ in range(3):
            assert list(Account.objects.visible_to(org.vendedor_norte)) == [org.north_account]
        assert list(Account.objects.visible_to(org.vendedor_sur)) == [org.south_account]
        assert Contact.objects.visible_to(org.vendedor_norte).get() == org.north_contact  # inherits the account's
        assert Account.objects.editable_by(org.vendedor_norte).get() == org.north_account
    assert builds == [("vendedor.norte", False), ("vendedor.sur", False), ("vendedor.norte", True)]


def test_outside_a_request_every_query_builds_its_rule(org, builds):
    Account.objects.visible_to(org.vendedor_norte).count()
    Account.objects.visible_to(org.vendedor_norte).count()
    assert len(builds) == 2


def test_a_rule_built_earlier_in_the_request_sees_a_grant_made_since(org):
    with rules_built_once():
        assert not Account.objects.visible_to(org.vendedor_norte).filter(pk=org.south_account.pk).exists()
        AccountTeamMember.objects.create(account=org.south_account, user=org.vendedor_norte)
        assert Account.objects.visible_to(org.vendedor_norte).filter(pk=org.south_account.pk).exists()
        assert Account.objects.visible_to(org.vendedor_norte, per_row=True).count() == 2


def test_each_request_builds_its_own_rules(client, org, builds, monkeypatch):
    monkeypatch.setattr(compiled, "_compiled", {})  # a process that has compiled none of the page's queries yet
    client.force_login(org.vendedor_norte)
    assert client.get(reverse("accounts:detail", args=[org.north_account.pk])).status_code == 200
    first = len(builds)
    assert first >= 1 and len(set(builds.keys)) == first  # the page asks for each rule many times
    builds.clear()
    builds.keys.clear()
    assert client.get(reverse("accounts:detail", args=[org.north_account.pk])).status_code == 200
    # The queries compiled once per process (core.compiled) build no rule any more; the others build theirs
    # again, once each: nothing carries over from the first request.
    assert len(builds) < first and len(set(builds.keys)) == len(builds)
    client.force_login(org.vendedor_sur)
    assert client.get(reverse("accounts:detail", args=[org.north_account.pk])).status_code == 404
