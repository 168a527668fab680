"""A quote's visibility is its deal's: the list form of the rule (applied to the joined deal) and the
per-row form (an EXISTS on the deal) must agree for every kind of access."""

import pytest

from vinculo.accounts.models import AccountTeamMember
from vinculo.core.access import AccessLevel
from vinculo.core.services import soft_delete
from vinculo.org.models import OrgDefault, SalesTeam, SalesTeamMember
from vinculo.sales.models import Quote

from .factories import OpportunityFactory, QuoteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def quotes(org):
    team = SalesTeam.objects.create(name="Equipo Norte")
    SalesTeamMember.objects.create(team=team, user=org.vendedor_sur)
    AccountTeamMember.objects.create(account=org.north_account, user=org.vendedor_norte2,
                                     access=AccountTeamMember.Access.READ)
    own = QuoteFactory(opportunity=OpportunityFactory(account=org.north_account))
    south = QuoteFactory(opportunity=OpportunityFactory(account=org.south_account))
    teamed = QuoteFactory(opportunity=OpportunityFactory(account=org.north_account, sales_team=team))
    gone = QuoteFactory(opportunity=OpportunityFactory(account=org.north_account))
    soft_delete(gone.opportunity, by=org.admin)
    return {"own": own, "south": south, "teamed": teamed, "gone": gone}


def _ids(queryset):
    return set(queryset.values_list("pk", flat=True))


@pytest.mark.parametrize("who", ["vendedor_norte", "vendedor_norte2", "vendedor_sur", "gerente_norte",
                                 "director", "finance"])
def test_list_and_per_row_rules_agree(org, quotes, who):
    user = getattr(org, who)
    for write in (False, True):
        method = "editable_by" if write else "visible_to"
        listed = _ids(getattr(Quote.objects, method)(user))
        per_row = _ids(getattr(Quote.objects, method)(user, per_row=True))
        assert listed == per_row, (who, write)
        assert quotes["gone"].pk not in listed


def test_who_sees_which_quote(org, quotes):
    assert _ids(Quote.objects.visible_to(org.vendedor_sur)) == {quotes["south"].pk, quotes["teamed"].pk}
    assert _ids(Quote.objects.visible_to(org.vendedor_norte2)) == {quotes["own"].pk, quotes["teamed"].pk}
    assert _ids(Quote.objects.editable_by(org.vendedor_norte2)) == set()


def test_public_deals_make_their_quotes_public_too(org, quotes):
    OrgDefault.objects.create(record_type="sales.opportunity", access=AccessLevel.PUBLIC_READ)
    visible = _ids(Quote.objects.visible_to(org.vendedor_sur))
    assert visible == {quotes["own"].pk, quotes["south"].pk, quotes["teamed"].pk}
    assert _ids(Quote.objects.editable_by(org.vendedor_sur)) == {quotes["south"].pk, quotes["teamed"].pk}
