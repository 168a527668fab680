import pytest

from vinculo.accounts.models import Account, AccountTeamMember
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.contacts.models import Contact
from vinculo.core.access import AccessLevel, can_edit
from vinculo.org.models import OrgDefault, Territory
from vinculo.org.tests.factories import SalesTeamFactory

pytestmark = pytest.mark.django_db

VISIBLE = {
    # who → (sees north account, sees south account)
    "admin": (True, True),
    "director": (True, True),
    "gerente_norte": (True, False),
    "gerente_sur": (False, True),
    "vendedor_norte": (True, False),
    "vendedor_norte2": (False, False),
    "vendedor_sur": (False, True),
}


@pytest.mark.parametrize("who", VISIBLE)
def test_account_and_contact_visibility_follows_role_hierarchy(org, who):
    user = getattr(org, who)
    accounts = set(Account.objects.visible_to(user))
    contacts = set(Contact.objects.visible_to(user))
    sees_north, sees_south = VISIBLE[who]
    assert (org.north_account in accounts) is sees_north
    assert (org.south_account in accounts) is sees_south
    assert (org.north_contact in contacts) is sees_north
    assert (org.south_contact in contacts) is sees_south


def test_peer_at_same_role_does_not_see_colleagues_private_account(org):
    assert not Account.objects.visible_to(org.vendedor_norte2).filter(pk=org.north_account.pk).exists()


def test_account_team_member_reads_but_edits_only_with_edit_access(org):
    member = AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_sur)
    assert Account.objects.visible_to(org.vendedor_sur).filter(pk=org.north_account.pk).exists()
    assert not can_edit(org.vendedor_sur, org.north_account)
    member.access = AccountTeamMember.Access.EDIT
    member.save()
    assert can_edit(org.vendedor_sur, org.north_account)
    # and the account's contacts come along
    assert Contact.objects.visible_to(org.vendedor_sur).filter(pk=org.north_contact.pk).exists()


def test_sales_team_members_see_the_team_accounts(org):
    team = SalesTeamFactory()
    team.memberships.create(user=org.vendedor_sur)
    org.north_account.sales_team = team
    org.north_account.save()
    assert Account.objects.visible_to(org.vendedor_sur).filter(pk=org.north_account.pk).exists()


def test_territory_granting_access_shows_its_subtree(org):
    chile = Territory.objects.create(name="Chile", kind="country", grants_access=True)
    north = Territory.objects.create(name="Norte", kind="region", parent=chile)
    account = AccountFactory(owner=org.vendedor_norte, territory=north)
    assert not Account.objects.visible_to(org.vendedor_sur).filter(pk=account.pk).exists()
    org.vendedor_sur.territories.add(chile)
    assert Account.objects.visible_to(org.vendedor_sur).filter(pk=account.pk).exists()


def test_org_default_public_read_lets_everyone_read_but_not_edit(org):
    OrgDefault.objects.filter(record_type="accounts.account").update(access=AccessLevel.PUBLIC_READ)
    from django.core.cache import cache

    cache.clear()
    assert Account.objects.visible_to(org.vendedor_sur).filter(pk=org.north_account.pk).exists()
    assert not can_edit(org.vendedor_sur, org.north_account)


def test_role_move_updates_the_hierarchy_in_one_step(org):
    # Moving Rep North under Zone manager South hands vendedor.norte's records to gerente.sur.
    rep_north = org.vendedor_norte.role
    rep_north.parent = org.gerente_sur.role
    rep_north.save()
    assert Account.objects.visible_to(org.gerente_sur).filter(pk=org.north_account.pk).exists()
    assert not Account.objects.visible_to(org.gerente_norte).filter(pk=org.north_account.pk).exists()


def test_visibility_is_one_query(org, django_assert_num_queries):
    user = org.gerente_norte
    list(Account.objects.visible_to(user))  # warms user.role and the org-default cache
    with django_assert_num_queries(1):
        list(Account.objects.visible_to(user))
