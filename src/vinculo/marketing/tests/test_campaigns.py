"""Campaign pages and /api/v1/campaigns: the permission matrix (owner line, org default), filters,
the leads and members a campaign shows, and bounded query counts."""

import datetime

import pytest
from django.urls import reverse

from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core.access import AccessLevel
from vinculo.core.tests.api_client import ApiClient, error_fields
from vinculo.marketing.models import Campaign, CampaignMember
from vinculo.org.models import OrgDefault
from vinculo.sales.tests.factories import CampaignFactory, LeadFactory

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"marketing:{name}", args=args)


@pytest.fixture
def campaign(org):
    return CampaignFactory(owner=org.vendedor_norte, name="Feria Exponor", kind=Campaign.Kind.TRADE_FAIR)


def campaign_data(**changes):
    return {"name": "Webinar de seguridad minera", "kind": "webinar", "status": "planned", "start_date": "2026-04-01",
            "end_date": "2026-04-02", **changes}


@pytest.mark.parametrize("who", ["vendedor_norte", "gerente_norte", "admin"])
def test_owner_managers_above_and_admin_see_and_may_edit(client, org, campaign, who):
    client.force_login(getattr(org, who))
    assert "Feria Exponor" in client.get(url("campaign_list")).content.decode()
    page = client.get(url("campaign_detail", campaign.pk)).content.decode()
    assert url("campaign_edit", campaign.pk) in page and url("campaign_delete", campaign.pk) in page
    assert client.get(url("campaign_edit", campaign.pk)).status_code == 200


def test_outsider_gets_404_and_does_not_see_the_campaign(client, org, campaign):
    client.force_login(org.vendedor_sur)
    assert "Feria Exponor" not in client.get(url("campaign_list")).content.decode()
    assert client.get(url("campaign_detail", campaign.pk)).status_code == 404
    assert client.get(url("campaign_edit", campaign.pk)).status_code == 404
    assert client.post(url("campaign_delete", campaign.pk)).status_code == 404
    api = ApiClient(org.vendedor_sur)
    assert api.get(f"/campaigns/{campaign.pk}").status_code == 404
    assert api.get("/campaigns").json()["count"] == 0


def test_public_read_default_lets_everyone_read_but_only_the_owner_line_write(client, org, campaign):
    OrgDefault.objects.update_or_create(record_type="marketing.campaign",
                                        defaults={"access": AccessLevel.PUBLIC_READ})
    client.force_login(org.vendedor_sur)
    page = client.get(url("campaign_detail", campaign.pk)).content.decode()
    assert "Feria Exponor" in page and url("campaign_edit", campaign.pk) not in page
    assert client.get(url("campaign_edit", campaign.pk)).status_code == 403
    assert client.post(url("campaign_edit", campaign.pk), campaign_data(version=1)).status_code == 403
    assert client.post(url("campaign_delete", campaign.pk)).status_code == 403
    api = ApiClient(org.vendedor_sur)
    assert api.get(f"/campaigns/{campaign.pk}").status_code == 200
    assert api.patch(f"/campaigns/{campaign.pk}", {"status": "active", "version": 1}).status_code == 403
    assert api.delete(f"/campaigns/{campaign.pk}").status_code == 403
    campaign.refresh_from_db()
    assert campaign.version == 1


def test_create_edit_delete_and_restore(client, org):
    client.force_login(org.vendedor_norte)
    response = client.post(url("campaign_create"), campaign_data(owner=org.vendedor_norte.pk))
    campaign = Campaign.objects.get(name="Webinar de seguridad minera")
    assert response["Location"] == url("campaign_detail", campaign.pk)
    response = client.post(url("campaign_edit", campaign.pk), campaign_data(owner=org.vendedor_norte.pk,
                                                                            status="active", version=1))
    campaign.refresh_from_db()
    assert (response.status_code, campaign.status, campaign.version) == (302, "active", 2)
    assert client.post(url("campaign_delete", campaign.pk))["Location"] == url("campaign_list")
    assert client.get(url("campaign_detail", campaign.pk)).status_code == 404
    client.post(reverse("core:restore", args=["campaign", campaign.pk]))
    assert client.get(url("campaign_detail", campaign.pk)).status_code == 200


def test_end_before_start_is_refused_naming_the_field(client, org):
    client.force_login(org.vendedor_norte)
    response = client.post(url("campaign_create"), campaign_data(owner=org.vendedor_norte.pk, end_date="2026-03-01"))
    assert "end_date" in response.context["form"].errors
    assert error_fields(ApiClient(org.vendedor_norte).post("/campaigns", {
        "name": "X", "start_date": "2026-04-01", "end_date": "2026-03-01"})) == {"end_date"}
    assert not Campaign.objects.exists()


def test_list_filters_by_type_status_and_name(client, org):
    CampaignFactory(owner=org.vendedor_norte, name="Mailing otoño", kind="mailing", status="completed")
    CampaignFactory(owner=org.vendedor_norte, name="Feria Expomin", kind="trade_fair", status="active")
    client.force_login(org.vendedor_norte)

    def names(**params):
        html = client.get(url("campaign_list"), params).content.decode()
        return {name for name in ("Mailing otoño", "Feria Expomin") if name in html}

    assert names() == {"Mailing otoño", "Feria Expomin"}
    assert names(kind="trade_fair") == {"Feria Expomin"}
    assert names(status="completed") == {"Mailing otoño"}
    assert names(q="expomin") == {"Feria Expomin"}
    api = ApiClient(org.vendedor_norte)
    assert [item["name"] for item in api.get("/campaigns", kind="mailing").json()["items"]] == ["Mailing otoño"]


def test_detail_shows_only_the_leads_and_members_the_user_may_see(client, org, campaign):
    OrgDefault.objects.update_or_create(record_type="marketing.campaign",
                                        defaults={"access": AccessLevel.PUBLIC_READ})
    mine = LeadFactory(owner=org.vendedor_norte, last_name="Propio", campaign=campaign)
    theirs = LeadFactory(owner=org.vendedor_sur, last_name="Ajeno", campaign=campaign)
    CampaignMember.objects.create(campaign=campaign, member=mine)
    CampaignMember.objects.create(campaign=campaign, member=theirs)
    CampaignMember.objects.create(campaign=campaign, contact=org.north_contact)
    CampaignMember.objects.create(campaign=campaign, contact=org.south_contact)
    client.force_login(org.vendedor_norte)
    response = client.get(url("campaign_detail", campaign.pk))
    html = response.content.decode()
    assert "Propio" in html and org.north_contact.last_name in html
    assert "Ajeno" not in html and org.south_contact.last_name not in html
    assert (response.context["lead_count"], response.context["member_count"]) == (1, 2)


def test_detail_query_count_is_bounded(client, org, campaign, django_assert_max_num_queries):
    client.force_login(org.vendedor_norte)

    def add_members(count):
        for _n in range(count):
            lead = LeadFactory(owner=org.vendedor_norte, campaign=campaign)
            CampaignMember.objects.create(campaign=campaign, member=lead)
            CampaignMember.objects.create(campaign=campaign, contact=ContactFactory(account=org.north_account))

    add_members(1)
    with django_assert_max_num_queries(15) as few:  # 1 of them the permissions the menu reads
        client.get(url("campaign_detail", campaign.pk))
    add_members(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url("campaign_detail", campaign.pk)).status_code == 200


def test_list_query_count_is_bounded(client, org, django_assert_max_num_queries):
    client.force_login(org.vendedor_norte)
    CampaignFactory.create_batch(2, owner=org.vendedor_norte)
    with django_assert_max_num_queries(12) as few:
        client.get(url("campaign_list"))
    CampaignFactory.create_batch(40, owner=org.vendedor_norte)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url("campaign_list")).status_code == 200


def test_api_creates_with_the_caller_as_owner_and_checks_the_version(org):
    api = ApiClient(org.vendedor_norte)
    created = api.post("/campaigns", {"name": "Telemarketing Q2", "kind": "telemarketing",
                                      "start_date": "2026-04-01"})
    assert created.status_code == 201 and created.json()["owner"]["id"] == org.vendedor_norte.pk
    campaign_id = created.json()["id"]
    assert api.patch(f"/campaigns/{campaign_id}", {"status": "active", "version": 1}).status_code == 200
    assert api.patch(f"/campaigns/{campaign_id}", {"status": "aborted", "version": 1}).status_code == 409
    assert ApiClient(org.gerente_norte).get(f"/campaigns/{campaign_id}").status_code == 200
    assert Campaign.objects.get(pk=campaign_id).start_date == datetime.date(2026, 4, 1)
