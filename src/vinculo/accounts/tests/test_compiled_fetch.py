"""The account page's fetch, its SQL compiled once per process (core.compiled): for every kind of user it
finds what the queryset itself finds — the same account, the same related names, the same answers to "may
edit", "may change the team", "may open the parent" — and 404 where the queryset finds nothing.

Standing users (conftest `org`): north_account is vendedor.norte's, private; vendedor.norte2 is on its team
with read access; the parent account is gerente.sur's (so the north line may not open it).
"""

import pytest
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404

from vinculo.core import compiled
from vinculo.core.access import AccessLevel, forget_org_defaults
from vinculo.org.models import OrgDefault

from .. import views
from ..models import AccountTeamMember
from .factories import AccountFactory, AccountTeamMemberFactory

pytestmark = pytest.mark.django_db

USERS = ["admin", "director", "gerente_norte", "vendedor_norte", "vendedor_norte2", "vendedor_sur", "finance"]
RELATED = (
    "owner",
    "business_unit",
    "office",
    "supervisor",
    "support_user",
    "sales_team",
    "industry",
    "territory",
    "parent",
)


@pytest.fixture
def account(org):
    org.north_account.parent = AccountFactory(owner=org.gerente_sur)
    org.north_account.save()
    AccountTeamMemberFactory(
        account=org.north_account, user=org.vendedor_norte2, access=AccountTeamMember.Access.READ
    )
    return org.north_account


def facts(account) -> dict:
    return {
        "pk": account.pk,
        "name": account.legal_name,
        "version": account.version,
        "editable": bool(account.editable),
        "team_manageable": bool(account.team_manageable),
        "parent_visible": bool(account.parent_visible),
        **{name: getattr(account, f"{name}_id") for name in RELATED},
        "loaded": sorted(name for name in RELATED if name in account._state.fields_cache),
    }


def queried(user, pk):
    """What the queryset finds, compiled the ordinary way."""
    try:
        return views._page_queryset(user).visible_to(user, per_row=True).get(pk=pk)
    except ObjectDoesNotExist:
        return None


@pytest.mark.parametrize("level", [AccessLevel.PRIVATE, AccessLevel.PUBLIC_READ])
@pytest.mark.parametrize("who", USERS)
def test_the_compiled_fetch_finds_what_the_queryset_finds(org, account, who, level):
    OrgDefault.objects.update_or_create(record_type="accounts.account", defaults={"access": level})
    forget_org_defaults()
    cache.clear()
    user = getattr(org, who)
    for pk in (account.pk, org.south_account.pk, 999_999):
        expected = queried(user, pk)
        for _ in range(2):  # compiled, then from the compiled SQL
            if expected is None:
                with pytest.raises(Http404):
                    views._account_for_page(user, pk)
            else:
                assert facts(views._account_for_page(user, pk)) == facts(expected)
    assert all(value is not None for key, value in compiled._compiled.items() if key[0] == "accounts:page")


def test_what_a_user_may_do_is_theirs_not_the_first_users_of_the_same_shape(org, account):
    """Two reps compile to one SQL: each gets their own answers."""
    owner = views._account_for_page(org.vendedor_norte, account.pk)
    teammate = views._account_for_page(org.vendedor_norte2, account.pk)
    assert (owner.editable, owner.team_manageable) == (True, True)
    assert (teammate.editable, teammate.team_manageable) == (False, False)
    with pytest.raises(Http404):
        views._account_for_page(org.vendedor_sur, account.pk)


def test_a_rule_reading_more_of_the_user_than_ids_is_compiled_per_request(org, account):
    def build(user, pk):  # the user's name is no placeholder: the check refuses to compile it once
        return views._page_queryset(user).filter(pk=pk, owner__username=user.username)

    for user, found in ((org.vendedor_norte, [account.pk]), (org.gerente_norte, [])):
        assert [
            record.pk for record in compiled.fetch("test:by-name", type(account), build, user, account.pk)
        ] == found
    assert all(value is None for key, value in compiled._compiled.items() if key[0] == "test:by-name")
