"""The deal list read with SQL compiled once per process (sales.views.opportunities.IdsFirstRows and the
pipeline totals with `compiled_for`): each user still sees their own deals and totals, and a write shows at
once.

Standing users (conftest `org`): vendedor.norte sees the north account, vendedor.sur the south one; both are
reps (a role, not admins): one shape of user.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from vinculo.core import compiled

from .factories import OpportunityFactory, default_pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh():
    compiled.forget()
    yield
    compiled.forget()


def listed(client, user, **query):
    client.force_login(user)
    response = client.get(reverse("sales:opportunity_list"), query)
    assert response.status_code == 200
    return response.context


def shapes(name: str) -> list:
    return [shape for shape in compiled._compiled if shape[0] == name and compiled._compiled[shape] is not None]


def test_two_reps_get_their_own_page_and_totals_from_one_compiled_query_each(client, org):
    first, second = default_pipeline()[:2]
    OpportunityFactory(account=org.north_account, name="Norte uno", stage=first, amount=Decimal("1000"))
    OpportunityFactory(account=org.north_account, name="Norte dos", stage=second, amount=Decimal("250"))
    OpportunityFactory(account=org.south_account, name="Sur uno", stage=first, amount=Decimal("7000"))

    north = listed(client, org.vendedor_norte)
    south = listed(client, org.vendedor_sur)
    assert [deal.name for deal in north["object_list"]] == ["Norte dos", "Norte uno"]  # newest first
    assert [deal.name for deal in south["object_list"]] == ["Sur uno"]
    assert (north["totals"].get(first.pk).amount, north["totals"].get(second.pk).amount) == (1000, 250)
    assert (south["totals"].get(first.pk).amount, south["totals"].get(second.pk).count) == (7000, 0)
    assert north["page_obj"].paginator.count == 2 and south["page_obj"].paginator.count == 1
    list_name = "list:vinculo.sales.views.opportunities.OpportunityListView:"
    assert len(shapes(list_name + "ids")) == 1
    assert len(shapes("sales:deal-list:totals")) == 1


def test_the_totals_follow_a_changed_amount_and_a_won_deal(client, org):
    first = default_pipeline()[0]
    deal = OpportunityFactory(account=org.north_account, stage=first, amount=Decimal("1000"))
    assert listed(client, org.vendedor_norte)["totals"].overall.amount == 1000
    deal.amount = Decimal("1500")
    deal.save()
    assert listed(client, org.vendedor_norte)["totals"].overall.amount == 1500
    deal.status = deal.Status.WON
    deal.save()
    context = listed(client, org.vendedor_norte)
    assert context["totals"].overall.count == 0
    assert [(link["total"].key, link["total"].amount) for link in context["closed"]] == [("won", 1500)]


def test_a_filtered_list_and_its_totals_are_each_users_own(client, org):
    first = default_pipeline()[0]
    OpportunityFactory(account=org.north_account, name="Cobre norte", stage=first, amount=Decimal("300"))
    OpportunityFactory(account=org.south_account, name="Cobre sur", stage=first, amount=Decimal("900"))
    north = listed(client, org.vendedor_norte, q="Cobre")
    south = listed(client, org.vendedor_sur, q="Cobre")
    assert [deal.name for deal in north["object_list"]] == ["Cobre norte"]
    assert [deal.name for deal in south["object_list"]] == ["Cobre sur"]
    assert (north["totals"].overall.amount, south["totals"].overall.amount) == (300, 900)
