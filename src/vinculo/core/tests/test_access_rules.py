"""The privacy rule from the user's side: who sees a record, who may change it, and what a page or a write
service answers to everyone else (404 for outsiders, 403 for readers).

The standing organisation (conftest `org`): Director › Zone manager North › Rep North (vendedor.norte owns
`north_account`, private) and Director › Zone manager South › Rep South (owns `south_account`).
"""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from vinculo.accounts.models import Account, AccountTeamMember
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.contacts.models import Contact
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core.access import AccessLevel, can_edit, get_for_user, require_edit
from vinculo.core.services import soft_delete
from vinculo.org.models import OrgDefault
from vinculo.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def set_account_default(level):
    OrgDefault.objects.update_or_create(record_type="accounts.account", defaults={"access": level})


def add_to_account_team(account, user, access=AccountTeamMember.Access.READ):
    return AccountTeamMember.objects.create(account=account, user=user, access=access)


# ---------- Users who see nothing ----------

def test_deactivated_rep_no_longer_sees_or_edits_the_accounts_they_own(org):
    rep = org.vendedor_norte
    assert list(Account.objects.visible_to(rep)) == [org.north_account]
    assert can_edit(rep, org.north_account)

    rep.is_active = False
    rep.save()

    assert list(Account.objects.visible_to(rep)) == []
    assert list(Contact.objects.visible_to(rep)) == []
    assert list(Account.objects.editable_by(rep)) == []
    assert not can_edit(rep, org.north_account)
    with pytest.raises(Http404):
        get_for_user(Account, rep, org.north_account.pk)


def test_deactivated_rep_sees_nothing_even_when_every_account_is_public(org):
    set_account_default(AccessLevel.PUBLIC_READ_WRITE)
    rep = org.vendedor_sur
    assert set(Account.objects.visible_to(rep)) == {org.north_account, org.south_account}

    rep.is_active = False
    rep.save()

    assert list(Account.objects.visible_to(rep)) == []
    assert list(Account.objects.editable_by(rep)) == []


@pytest.mark.parametrize("visitor", [AnonymousUser(), None], ids=["anonymous", "no user"])
def test_visitor_who_is_not_logged_in_sees_and_edits_nothing_even_public_accounts(org, visitor):
    set_account_default(AccessLevel.PUBLIC_READ_WRITE)
    assert list(Account.objects.visible_to(visitor)) == []
    assert list(Account.objects.editable_by(visitor)) == []
    assert not can_edit(visitor, org.north_account)


# ---------- Admins see and change everything ----------

def test_admin_edits_every_private_account_and_contact(org):
    assert set(Account.objects.editable_by(org.admin)) == {org.north_account, org.south_account}
    assert set(Contact.objects.editable_by(org.admin)) == {org.north_contact, org.south_contact}
    assert can_edit(org.admin, org.south_account)
    assert get_for_user(Account, org.admin, org.north_account.pk, write=True) == org.north_account


def test_deactivated_superuser_is_not_an_admin_any_more(org):
    org.admin.is_active = False
    org.admin.save()
    assert list(Account.objects.visible_to(org.admin)) == []
    assert not can_edit(org.admin, org.north_account)


# ---------- A user outside the role hierarchy ----------

def test_user_without_a_role_sees_and_edits_only_their_own_accounts(org):
    freelancer = UserFactory(username="externo")
    own = AccountFactory(owner=freelancer, legal_name="Asesorías Externas Ltda.")

    assert list(Account.objects.visible_to(freelancer)) == [own]
    assert list(Account.objects.editable_by(freelancer)) == [own]
    assert not can_edit(freelancer, org.north_account)


def test_nobody_above_a_user_without_a_role_sees_their_accounts(org):
    own = AccountFactory(owner=UserFactory(username="externo"))
    assert not Account.objects.visible_to(org.director).filter(pk=own.pk).exists()
    assert Account.objects.visible_to(org.admin).filter(pk=own.pk).exists()


# ---------- Org-wide default for a type ----------

@pytest.mark.parametrize(
    ("level", "sees", "edits"),
    [(AccessLevel.PRIVATE, False, False),
     (AccessLevel.PUBLIC_READ, True, False),
     (AccessLevel.PUBLIC_READ_WRITE, True, True)],
)
def test_org_default_decides_what_a_rep_of_another_zone_may_do(org, level, sees, edits):
    set_account_default(level)
    rep_south = org.vendedor_sur
    assert Account.objects.visible_to(rep_south).filter(pk=org.north_account.pk).exists() is sees
    assert can_edit(rep_south, org.north_account) is edits
    # their own account is theirs whatever the default
    assert can_edit(rep_south, org.south_account)


# ---------- Contacts follow their account ----------

def test_contact_is_edited_by_whoever_may_edit_its_account(org):
    member = add_to_account_team(org.north_account, org.vendedor_sur)
    assert Contact.objects.visible_to(org.vendedor_sur).filter(pk=org.north_contact.pk).exists()
    assert not can_edit(org.vendedor_sur, org.north_contact)

    member.access = AccountTeamMember.Access.EDIT
    member.save()
    assert can_edit(org.vendedor_sur, org.north_contact)


def test_contact_owner_sees_their_contact_at_an_account_they_cannot_see(org):
    contact = ContactFactory(account=org.north_account, owner=org.vendedor_sur, last_name="Cifuentes")
    assert not Account.objects.visible_to(org.vendedor_sur).filter(pk=org.north_account.pk).exists()
    assert Contact.objects.visible_to(org.vendedor_sur).filter(pk=contact.pk).exists()
    assert not Contact.objects.visible_to(org.vendedor_sur).filter(pk=org.north_contact.pk).exists()


# ---------- Fetching one record: 404 for outsiders, 403 for readers ----------

@pytest.mark.parametrize("pk", ["north", 999_999, "abc", None], ids=["private", "missing", "malformed", "none"])
def test_outsider_gets_the_same_404_as_for_a_record_that_does_not_exist(org, pk):
    pk = org.north_account.pk if pk == "north" else pk
    with pytest.raises(Http404):
        get_for_user(Account, org.vendedor_sur, pk)


def test_owner_and_the_managers_above_get_the_record_to_change_it(org):
    pk = org.north_account.pk
    for user in (org.vendedor_norte, org.gerente_norte, org.director):
        assert get_for_user(Account, user, pk, write=True) == org.north_account
    with pytest.raises(Http404):
        get_for_user(Account, org.gerente_sur, pk, write=True)


def test_read_only_team_member_opens_the_record_but_may_not_change_it(org):
    member = add_to_account_team(org.north_account, org.vendedor_sur)
    pk = org.north_account.pk

    assert get_for_user(Account, org.vendedor_sur, pk) == org.north_account
    assert get_for_user(Contact, org.vendedor_sur, org.north_contact.pk) == org.north_contact
    with pytest.raises(PermissionDenied):
        get_for_user(Account, org.vendedor_sur, pk, write=True)

    member.access = AccountTeamMember.Access.EDIT
    member.save()
    assert get_for_user(Account, org.vendedor_sur, pk, write=True) == org.north_account


def test_record_is_looked_up_only_among_the_records_the_page_lists(org):
    # The director may see both accounts, but a page that lists only the south one never returns the north one.
    south_only = Account.objects.filter(pk=org.south_account.pk)
    assert get_for_user(south_only, org.director, org.south_account.pk) == org.south_account
    with pytest.raises(Http404):
        get_for_user(south_only, org.director, org.north_account.pk)


def test_account_in_the_recycle_bin_is_found_only_in_the_bin(org):
    owner, pk = org.vendedor_norte, org.north_account.pk
    assert list(Account.all_objects.deleted()) == []
    with pytest.raises(Http404):
        get_for_user(Account.all_objects.deleted(), owner, pk)

    soft_delete(org.north_account, by=owner)

    assert list(Account.all_objects.deleted()) == [org.north_account]
    assert get_for_user(Account.all_objects.deleted(), owner, pk, write=True) == org.north_account
    with pytest.raises(Http404):
        get_for_user(Account, owner, pk)
    # someone who could not see it before does not find it in the bin either
    with pytest.raises(Http404):
        get_for_user(Account.all_objects.deleted(), org.vendedor_sur, pk)


# ---------- Write services start with require_edit ----------

def test_write_service_check_refuses_a_reader_and_lets_an_editor_through(org):
    member = add_to_account_team(org.north_account, org.vendedor_sur)
    with pytest.raises(PermissionDenied):
        require_edit(org.vendedor_sur, org.north_account)
    with pytest.raises(PermissionDenied):
        require_edit(org.vendedor_norte2, org.north_account)

    assert require_edit(org.vendedor_norte, org.north_account) is None
    member.access = AccountTeamMember.Access.EDIT
    member.save()
    assert require_edit(org.vendedor_sur, org.north_account) is None


# ---------- The cost of the rule: one record checks its own account, a list reads the visible ones once ----------
# Same rows either way; what differs is the work. On 50,000 accounts (bench/) listing every visible account costs
# ~20 ms per query, so a single-record lookup must check only its own account (a correlated EXISTS on the
# primary key), while a list over many records reads the visible accounts once (IN over a subquery).

# The per-row form correlates the account subquery with the contact's own row.
PER_ROW = re.compile(r'"ID" = \(?"CONTACTS_CONTACT"\."ACCOUNT_ID"\)?')
LIST = '"ACCOUNT_ID" IN (SELECT'


def _sql_of(run):
    with CaptureQueriesContext(connection) as captured:
        run()
    return " ".join(query["sql"] for query in captured.captured_queries).upper()


def test_opening_one_contact_checks_only_its_own_account(org):
    sql = _sql_of(lambda: get_for_user(Contact, org.vendedor_norte, org.north_contact.pk))
    assert PER_ROW.search(sql)
    assert LIST not in sql


def test_may_i_edit_this_contact_checks_only_its_own_account(org):
    sql = _sql_of(lambda: can_edit(org.vendedor_norte, org.north_contact))
    assert PER_ROW.search(sql)
    assert LIST not in sql


@pytest.mark.parametrize("rule", ["visible_to", "editable_by"])
def test_a_contact_list_reads_the_visible_accounts_once_not_per_row(org, rule):
    sql = _sql_of(lambda: list(getattr(Contact.objects, rule)(org.vendedor_norte)))
    assert LIST in sql
    assert not PER_ROW.search(sql)
