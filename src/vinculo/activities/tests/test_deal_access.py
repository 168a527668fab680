"""An activity about a deal inherits the deal's visibility: whoever sees the deal sees its activities."""

import datetime

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management.sql import emit_post_migrate_signal
from django.urls import reverse

from vinculo.activities.models import Activity
from vinculo.core.access import can_edit
from vinculo.core.tests.api_client import ApiClient
from vinculo.org.tests.factories import SalesTeamFactory
from vinculo.sales.tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal_call(org):
    """A call about vendedor.norte's deal, whose sales team has vendedor.sur in it."""
    team = SalesTeamFactory()
    team.memberships.create(user=org.vendedor_sur)
    deal = OpportunityFactory(account=org.north_account, owner=org.vendedor_norte, sales_team=team)
    return Activity.objects.create(
        subject="Revisión de la propuesta", owner=org.vendedor_norte, account=org.north_account, opportunity=deal,
        occurred_at=datetime.datetime(2026, 11, 2, 10, tzinfo=datetime.timezone.utc),
    )


def test_a_member_of_a_deals_sales_team_sees_its_activities_everywhere(client, org, deal_call):
    member = org.vendedor_sur
    assert deal_call in Activity.objects.visible_to(member)
    assert deal_call in Activity.objects.visible_to(member, per_row=True)
    assert member in Activity.policy.users_who_may_see(deal_call)
    client.force_login(member)
    assert deal_call in client.get(deal_call.opportunity.get_absolute_url()).context["activities"]
    assert client.get(reverse("activities:detail", args=[deal_call.pk])).status_code == 200
    api = ApiClient(member)
    assert deal_call.pk in {item["id"] for item in api.get("/activities").json()["items"]}
    assert api.get(f"/activities/{deal_call.pk}").status_code == 200


def _renumber_content_type(model) -> None:
    """Give `model`'s content type another id, every row pointing at it moved along, as a flush of the
    database followed by post_migrate does (PostgreSQL's sequences do not restart)."""
    old = ContentType.objects.get_for_model(model)
    ContentType.objects.filter(pk=old.pk).update(model=f"{old.model}-old")
    new = ContentType.objects.create(app_label=old.app_label, model=old.model)
    for other in apps.get_models(include_auto_created=True):
        for field in other._meta.concrete_fields:
            if field.is_relation and field.related_model is ContentType:
                other._base_manager.filter(**{field.attname: old.pk}).update(**{field.attname: new.pk})
    ContentType.objects.filter(pk=old.pk).delete()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")


def test_the_deal_page_still_lists_its_activities_once_content_types_are_renumbered(client, org, deal_call):
    """The page's query is compiled once per process with the deal's content type id in it: renumbered
    content types (a flush, a migration) must not leave it looking under the old id."""
    client.force_login(org.vendedor_sur)
    url = deal_call.opportunity.get_absolute_url()
    assert deal_call in client.get(url).context["activities"]
    _renumber_content_type(type(deal_call.opportunity))
    assert deal_call in client.get(url).context["activities"]


def test_the_deals_sales_team_may_change_its_activities_as_it_may_change_the_deal(org, deal_call):
    assert can_edit(org.vendedor_sur, deal_call.opportunity)
    assert can_edit(org.vendedor_sur, deal_call)


def test_leaving_the_sales_team_hides_the_deals_activities_again(client, org, deal_call):
    deal_call.opportunity.sales_team.memberships.filter(user=org.vendedor_sur).delete()
    assert deal_call not in Activity.objects.visible_to(org.vendedor_sur)
    assert org.vendedor_sur not in Activity.policy.users_who_may_see(deal_call)
    client.force_login(org.vendedor_sur)
    assert client.get(reverse("activities:detail", args=[deal_call.pk])).status_code == 404


def test_another_rep_outside_the_team_does_not_see_the_deals_activities(org, deal_call):
    assert deal_call not in Activity.objects.visible_to(org.vendedor_norte2)
    assert deal_call not in Activity.objects.visible_to(org.vendedor_norte2, per_row=True)


def test_a_deal_in_the_recycle_bin_grants_its_activities_to_no_one_through_it(org, deal_call):
    type(deal_call.opportunity).objects.filter(pk=deal_call.opportunity_id).update(deleted_at=datetime.datetime(
        2026, 11, 3, tzinfo=datetime.timezone.utc))
    assert deal_call not in Activity.objects.visible_to(org.vendedor_sur)
    assert deal_call not in Activity.objects.visible_to(org.vendedor_sur, per_row=True)
    assert org.vendedor_sur not in Activity.policy.users_who_may_see(deal_call)
