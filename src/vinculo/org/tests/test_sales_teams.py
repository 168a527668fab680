"""Sales teams: members see the team's accounts and opportunities; the team pages and API."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from vinculo.accounts.models import Account
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.contacts.models import Contact
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core.tests.api_client import ApiClient, error_fields
from vinculo.org.models import ExchangeRate, SalesTeam, SalesTeamMember
from vinculo.org.tests.factories import SalesTeamFactory, UserFactory
from vinculo.sales.models import Opportunity
from vinculo.sales.tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(org):
    """Equipo Norte: vendedor.norte2 is a member. Its account and deal are vendedor.sur's."""
    team = SalesTeamFactory(name="Equipo Norte")
    SalesTeamMember.objects.create(team=team, user=org.vendedor_norte2, function=SalesTeamMember.Function.PRESALES)
    team.account = AccountFactory(owner=org.vendedor_sur, sales_team=team, legal_name="Cuenta del Equipo SpA")
    team.contact = ContactFactory(account=team.account)
    # A deal of the team on an account the members cannot otherwise see.
    team.deal = OpportunityFactory(account=org.south_account, sales_team=team, name="Negocio del equipo")
    team.other_deal = OpportunityFactory(account=org.south_account, name="Negocio ajeno")
    return team


def visible(model, user):
    return set(model.objects.visible_to(user).values_list("pk", flat=True))


def test_team_members_see_the_team_accounts_and_their_contacts(org, team):
    assert visible(Account, org.vendedor_norte2) == {team.account.pk}
    assert visible(Contact, org.vendedor_norte2) == {team.contact.pk}


def test_team_members_see_the_team_opportunities_but_not_the_account_behind_them(org, team):
    assert team.deal.pk in visible(Opportunity, org.vendedor_norte2)
    assert team.other_deal.pk not in visible(Opportunity, org.vendedor_norte2)
    assert org.south_account.pk not in visible(Account, org.vendedor_norte2)


def test_non_members_see_nothing_of_the_team(org, team):
    assert team.account.pk not in visible(Account, org.vendedor_norte)
    assert team.deal.pk not in visible(Opportunity, org.vendedor_norte)


def test_leaving_the_team_removes_the_access(org, team):
    SalesTeamMember.objects.filter(team=team, user=org.vendedor_norte2).delete()
    assert visible(Account, org.vendedor_norte2) == set()
    assert visible(Opportunity, org.vendedor_norte2) == set()


def test_team_list_counts_only_what_the_viewer_sees(client, org, team):
    client.force_login(org.vendedor_norte)
    response = client.get(reverse("org:sales_team_list"))
    row = response.context["teams"][0]
    assert (row.member_count, row.account_count, row.open_count) == (1, 0, 0)
    client.force_login(org.vendedor_norte2)
    row = client.get(reverse("org:sales_team_list")).context["teams"][0]
    assert (row.account_count, row.open_count, row.open_total) == (1, 1, Decimal("1000000"))


def test_team_open_amount_is_in_the_viewer_currency(client, org, team):
    ExchangeRate.objects.create(currency="USD", date="2020-01-01", rate=Decimal("1000"))
    OpportunityFactory(account=team.account, sales_team=team, amount=Decimal("500"), currency="USD")
    org.vendedor_norte2.currency = "USD"
    org.vendedor_norte2.save()
    client.force_login(org.vendedor_norte2)
    row = client.get(reverse("org:sales_team_list")).context["teams"][0]
    assert row.open_total == Decimal("1500.00")  # 1,000,000 CLP + 500 USD


def test_team_detail_lists_members_and_only_visible_accounts_and_deals(client, org, team):
    hidden = AccountFactory(owner=org.vendedor_sur, legal_name="Cuenta Oculta SpA")
    OpportunityFactory(account=hidden, owner=org.vendedor_sur, name="Negocio oculto")
    client.force_login(org.vendedor_norte2)
    html = client.get(reverse("org:sales_team_detail", args=[team.pk])).content.decode()
    assert str(org.vendedor_norte2) in html and "Cuenta del Equipo SpA" in html and "Negocio del equipo" in html
    assert "Negocio ajeno" not in html and "Negocio oculto" not in html
    # The deal's account is not theirs to open: not named.
    assert org.south_account.legal_name not in html
    assert reverse("org:sales_team_member_add", args=[team.pk]) not in html


def test_team_pages_queries_are_bounded(client, org, team, django_assert_max_num_queries):
    client.force_login(org.director)
    list_url, detail_url = reverse("org:sales_team_list"), reverse("org:sales_team_detail", args=[team.pk])
    with django_assert_max_num_queries(14) as few_list:
        client.get(list_url)
    with django_assert_max_num_queries(16) as few_detail:
        client.get(detail_url)
    for _index in range(15):
        other = SalesTeamFactory()
        member = UserFactory()
        SalesTeamMember.objects.create(team=other, user=member)
        SalesTeamMember.objects.create(team=team, user=member)
        account = AccountFactory(owner=org.vendedor_norte, sales_team=team)
        OpportunityFactory(account=account, sales_team=team, currency="CLP")
        AccountFactory(owner=org.vendedor_norte, sales_team=other)
    with django_assert_max_num_queries(len(few_list.captured_queries)):
        assert client.get(list_url).status_code == 200
    with django_assert_max_num_queries(len(few_detail.captured_queries)):
        assert client.get(detail_url).status_code == 200


def test_only_permitted_users_add_and_remove_members(client, org, team):
    url = reverse("org:sales_team_member_add", args=[team.pk])
    client.force_login(org.gerente_norte)
    assert client.post(url, {"user": org.vendedor_norte.pk, "function": "sales_rep"}).status_code == 403
    remove = reverse("org:sales_team_member_remove", args=[team.pk, org.vendedor_norte2.pk])
    assert client.post(remove).status_code == 403
    client.force_login(org.admin)
    response = client.post(url, {"user": org.vendedor_norte.pk, "function": "leader"})
    assert response.status_code == 302
    assert team.memberships.get(user=org.vendedor_norte).function == "leader"
    response = client.post(url, {"user": org.vendedor_norte.pk, "function": "wizard"})
    assert response.status_code == 200 and "function" in response.context["member_form"].errors
    client.post(remove)
    assert set(team.memberships.values_list("user_id", flat=True)) == {org.vendedor_norte.pk}
    assert team.account.pk in visible(Account, org.vendedor_norte)


def test_a_user_with_change_salesteam_manages_members(client, org, team):
    org.gerente_norte.user_permissions.add(Permission.objects.get(codename="change_salesteam"))
    client.force_login(org.gerente_norte)
    html = client.get(reverse("org:sales_team_detail", args=[team.pk])).content.decode()
    assert reverse("org:sales_team_member_add", args=[team.pk]) in html
    client.post(reverse("org:sales_team_member_add", args=[team.pk]), {"user": org.vendedor_sur.pk,
                                                                       "function": "support"})
    assert team.memberships.filter(user=org.vendedor_sur).exists()


def test_api_lists_teams_with_members(org, team):
    response = ApiClient(org.vendedor_norte).get("/sales-teams")
    assert response.status_code == 200
    item = response.json()["items"][0]
    assert item["name"] == "Equipo Norte"
    assert item["members"] == [{"user": {"id": org.vendedor_norte2.pk, "name": str(org.vendedor_norte2)},
                                "function": "presales"}]
    assert ApiClient(org.vendedor_norte).get("/sales-teams", member=org.vendedor_norte.pk).json()["count"] == 0
    assert ApiClient(org.vendedor_norte).get(f"/sales-teams/{team.pk}").status_code == 200
    assert ApiClient(org.vendedor_norte).get("/sales-teams/99999").status_code == 404


def test_api_team_writes_are_for_admins(org, team):
    rep = ApiClient(org.vendedor_norte)
    assert rep.post("/sales-teams", {"name": "Equipo Sur"}).status_code == 403
    assert rep.patch(f"/sales-teams/{team.pk}", {"name": "X"}).status_code == 403
    assert rep.delete(f"/sales-teams/{team.pk}").status_code == 403
    admin = ApiClient(org.admin)
    response = admin.post("/sales-teams", {"name": "Equipo Sur", "members": [
        {"user": org.vendedor_sur.pk, "function": "leader"}, {"user": org.gerente_sur.pk}]})
    assert response.status_code == 201
    assert {member["function"] for member in response.json()["members"]} == {"leader", "sales_rep"}
    assert admin.post("/sales-teams", {"name": "Equipo Sur"}).status_code == 422
    response = admin.patch(f"/sales-teams/{team.pk}", {"members": [{"user": 99999}]})
    assert response.status_code == 422 and error_fields(response) == {"members"}
    response = admin.patch(f"/sales-teams/{team.pk}", {"members": [{"user": org.vendedor_norte.pk}]})
    assert [member["user"]["id"] for member in response.json()["members"]] == [org.vendedor_norte.pk]
    assert admin.delete(f"/sales-teams/{team.pk}").status_code == 204
    assert not SalesTeam.objects.filter(pk=team.pk).exists()
    team.account.refresh_from_db()
    assert team.account.sales_team is None


def test_api_lists_of_teams_and_territories_use_bounded_queries(org, team, django_assert_max_num_queries):
    from vinculo.org.models import Territory

    api = ApiClient(org.vendedor_norte)
    Territory.objects.create(name="Norte").users.add(org.vendedor_norte)
    with django_assert_max_num_queries(8) as few_teams:
        api.get("/sales-teams")
    with django_assert_max_num_queries(8) as few_territories:
        api.get("/territories")
    for index in range(20):
        other = SalesTeamFactory()
        SalesTeamMember.objects.create(team=other, user=UserFactory())
        Territory.objects.create(name=f"Zona {index}").users.add(org.vendedor_norte, org.vendedor_sur)
    with django_assert_max_num_queries(len(few_teams.captured_queries)):
        assert api.get("/sales-teams").json()["count"] == 21
    with django_assert_max_num_queries(len(few_territories.captured_queries)):
        assert api.get("/territories").json()["count"] == 21
