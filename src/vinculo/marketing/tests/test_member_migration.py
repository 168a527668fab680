"""The data migration marketing 0004: a campaign member's lead becomes its member link, and back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from vinculo.marketing.models import CampaignMember
from vinculo.sales.models import Lead

BEFORE = ("marketing", "0002_campaign_members")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_each_lead_member_keeps_its_lead_through_the_member_link_and_back(request):
    if request.config.getoption("nomigrations"):
        pytest.skip("tables come from the models, not from migrations")
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    # Every other app as it is today, marketing before the member link.
    before = [node for node in latest if node[0] != "marketing"] + [BEFORE]
    try:
        old = _migrate(before)
        user = old.get_model("org", "User").objects.create(username="migrador")
        account = old.get_model("accounts", "Account").objects.create(legal_name="Minera Norte SpA", owner=user)
        contact = old.get_model("contacts", "Contact").objects.create(last_name="Araya", account=account,
                                                                      owner=user)
        campaign = old.get_model("marketing", "Campaign").objects.create(name="Expomin", owner=user)
        leads = old.get_model("sales", "Lead").objects
        lead, converted = leads.create(last_name="Fuentes", owner=user), leads.create(last_name="Soto", owner=user)
        members = old.get_model("marketing", "CampaignMember").objects
        ids = {
            "lead": members.create(campaign=campaign, lead=lead, response="attended").pk,
            "contact": members.create(campaign=campaign, contact=contact).pk,
            "second lead": members.create(campaign=campaign, lead=converted).pk,
        }

        _migrate(latest)

        lead, converted = Lead.all_objects.get(pk=lead.pk), Lead.all_objects.get(pk=converted.pk)
        rows = {name: CampaignMember.objects.get(pk=pk) for name, pk in ids.items()}
        assert (rows["lead"].member, rows["lead"].contact_id, rows["lead"].response) == (lead, None, "attended")
        assert (rows["contact"].member_type_id, rows["contact"].member_id, rows["contact"].contact_id) == (
            None, None, contact.pk)
        assert rows["second lead"].member == converted
        assert list(CampaignMember.objects.filter(lead=lead).values_list("pk", flat=True)) == [ids["lead"]]

        back = _migrate(before)
        restored = back.get_model("marketing", "CampaignMember").objects
        assert sorted(restored.values_list("pk", "lead_id", "contact_id")) == sorted([
            (ids["lead"], lead.pk, None), (ids["contact"], None, contact.pk), (ids["second lead"], converted.pk, None)])
    finally:
        _migrate(latest)
