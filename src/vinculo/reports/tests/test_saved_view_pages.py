"""Saved views on the list pages: the views menu, saving the current view, applying one, changing and
deleting one (owner or administrator only), and the lists' query count with views."""

import pytest
from django.urls import reverse

from vinculo.org.tests.factories import SalesTeamFactory
from vinculo.reports.models import SavedReport, SavedView, Visibility
from vinculo.sales.tests.factories import LeadFactory, OpportunityFactory, default_pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def deals(org):
    first, second = default_pipeline()[:2]
    OpportunityFactory(name="Primera etapa", account=org.north_account, owner=org.vendedor_norte, stage=first)
    OpportunityFactory(name="Segunda etapa", account=org.north_account, owner=org.vendedor_norte, stage=second)
    return first, second


def _names(answer):
    return {str(row) for row in answer.context["object_list"]}


def test_save_the_current_view_then_apply_it_from_the_menu(client, org, deals):
    first, second = deals
    client.force_login(org.vendedor_norte)
    url = reverse("sales:opportunity_list")
    saved = client.post(reverse("reports:view_save"), {
        "list_key": "opportunities", "name": "Segunda", "query": f"stage={second.pk}&sort=-amount&page=3",
        "columns": "name,amount", "next": url, "share": "private"})
    view = SavedView.objects.get(name="Segunda")
    assert (view.owner, view.filters, view.sort, view.columns) == (
        org.vendedor_norte, {"stage": [str(second.pk)]}, "-amount", ["name", "amount"])
    assert saved.status_code == 302 and saved.url == f"{url}?{view.query()}"
    page = client.get(url)
    [item] = page.context["views_menu"]["views"]
    assert item["view"] == view and item["editable"] and not item["current"]
    applied = client.get(item["url"])
    assert _names(applied) == {"Segunda etapa"}
    assert [header["column"].name for header in applied.context["headers"]] == ["name", "amount"]
    assert applied.context["views_menu"]["views"][0]["current"]


def test_saving_a_view_without_a_name_or_a_team_says_what_is_missing(client, org):
    client.force_login(org.vendedor_norte)
    url = reverse("sales:opportunity_list")
    for data, message in (({"name": "  "}, "Give the view a name."),
                          ({"name": "Equipo", "visibility": "team"}, "Choose the team to share with."),
                          ({"name": "X", "list_key": "nothing"}, "There is no such list.")):
        answer = client.post(reverse("reports:view_save"), {"list_key": "opportunities", "query": "", "next": url,
                                                             **data}, follow=True)
        assert answer.status_code == 200
        assert message in [str(m) for m in answer.context["messages"]]
    assert not SavedView.objects.exists()


def test_a_view_shared_with_a_team_shows_on_members_lists_only(client, org, deals):
    team = SalesTeamFactory(name="Norte")
    team.memberships.create(user=org.vendedor_norte)
    team.memberships.create(user=org.gerente_norte)
    view = SavedView.objects.create(owner=org.vendedor_norte, name="Del equipo", list_key="opportunities",
                                    visibility=Visibility.TEAM, team=team)
    client.force_login(org.gerente_norte)
    menu = client.get(reverse("sales:opportunity_list")).context["views_menu"]
    assert [(item["view"], item["editable"]) for item in menu["views"]] == [(view, False)]
    # A member opens it, but neither changes nor deletes it.
    assert client.get(reverse("reports:view_edit", args=[view.pk])).status_code == 403
    assert client.post(reverse("reports:view_delete", args=[view.pk])).status_code == 403
    client.force_login(org.gerente_sur)
    assert client.get(reverse("sales:opportunity_list")).context["views_menu"]["views"] == []
    assert client.get(reverse("reports:view_edit", args=[view.pk])).status_code == 404
    assert client.post(reverse("reports:view_delete", args=[view.pk])).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_the_owner_renames_and_reshares_then_deletes_a_view(client, org):
    view = SavedView.objects.create(owner=org.vendedor_norte, name="Viejo", list_key="leads")
    client.force_login(org.vendedor_norte)
    edit = reverse("reports:view_edit", args=[view.pk])
    assert client.get(edit).status_code == 200
    answer = client.post(edit, {"name": "Nuevo", "visibility": "role", "role": org.vendedor_norte.role_id})
    assert answer.status_code == 302 and answer.url.startswith(reverse("sales:lead_list"))
    view.refresh_from_db()
    assert (view.name, view.visibility, view.role) == ("Nuevo", "role", org.vendedor_norte.role)
    assert client.post(edit, {"name": "Nuevo", "visibility": "role"}).status_code == 200  # no role: the form again
    client.post(reverse("reports:view_delete", args=[view.pk]))
    assert not SavedView.objects.exists()


def test_an_administrator_may_delete_a_view_shared_with_everyone(client, org):
    view = SavedView.objects.create(owner=org.vendedor_norte, name="Para todos", list_key="leads",
                                    visibility=Visibility.EVERYONE)
    client.force_login(org.admin)
    assert client.post(reverse("reports:view_delete", args=[view.pk])).status_code == 302
    assert not SavedView.objects.exists()


def test_the_next_address_after_saving_stays_on_this_site(client, org):
    client.force_login(org.vendedor_norte)
    answer = client.post(reverse("reports:view_save"), {"list_key": "leads", "name": "Mía", "query": "",
                                                          "next": "https://evil.example/"})
    assert answer.url.startswith(reverse("sales:lead_list"))


@pytest.mark.parametrize("url_name", ["sales:opportunity_list", "sales:lead_list", "work:task_list",
                                      "accounts:invoice_list"])
def test_a_list_with_views_keeps_its_query_count_whatever_the_views(client, org, url_name,
                                                                    django_assert_max_num_queries):
    team = SalesTeamFactory(name="Norte")
    team.memberships.create(user=org.vendedor_norte)
    list_key = {"sales:opportunity_list": "opportunities", "sales:lead_list": "leads", "work:task_list": "tasks",
                "accounts:invoice_list": "invoices"}[url_name]
    OpportunityFactory(account=org.north_account, owner=org.vendedor_norte)
    LeadFactory(owner=org.vendedor_norte)
    client.force_login(org.vendedor_norte)
    client.get(reverse(url_name))
    SavedView.objects.create(owner=org.vendedor_norte, name="Una", list_key=list_key)
    with django_assert_max_num_queries(40) as one:
        assert client.get(reverse(url_name)).status_code == 200
    for n in range(6):
        SavedView.objects.create(owner=org.director, name=f"Del equipo {n}", list_key=list_key,
                                 visibility=Visibility.TEAM, team=team)
        SavedView.objects.create(owner=org.director, name=f"Para todos {n}", list_key=list_key,
                                 visibility=Visibility.EVERYONE, filters={"q": ["x"]})
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(reverse(url_name))
    assert len(page.context["views_menu"]["views"]) == 13


def test_a_report_saved_in_a_folder_for_a_team_is_listed_under_its_folder_for_the_team_only(
        client, org, django_assert_max_num_queries):
    team = SalesTeamFactory(name="Norte")
    team.memberships.create(user=org.vendedor_norte2)
    client.force_login(org.vendedor_norte)
    builder = client.get(reverse("reports:builder"), {"type": "opportunity", "col": ["name", "amount"]})
    assert builder.context["teams"] is not None
    client.post(reverse("reports:save"), {"name": "Embudo", "definition": builder.context["definition_json"],
                                          "folder": " Gerencia ", "visibility": "team", "team": team.pk})
    refused = client.post(reverse("reports:save"), {"name": "Sin rol", "visibility": "role",
                                                    "definition": builder.context["definition_json"]}, follow=True)
    assert "Choose the role to share with." in [str(m) for m in refused.context["messages"]]
    SavedReport.objects.create(owner=org.vendedor_norte, name="Suelto", record_type="lead")
    report = SavedReport.objects.get(name="Embudo")
    assert (report.folder, report.visibility, report.team) == ("Gerencia", "team", team)
    with django_assert_max_num_queries(12):
        folders = client.get(reverse("reports:list")).context["folders"]
    assert [(folder, [r.name for r in reports]) for folder, reports in folders] == [
        ("", ["Suelto"]), ("Gerencia", ["Embudo"])]
    client.force_login(org.vendedor_norte2)
    assert [(folder, [r.name for r in reports]) for folder, reports in
            client.get(reverse("reports:list")).context["folders"]] == [("Gerencia", ["Embudo"])]
    client.force_login(org.vendedor_sur)
    assert client.get(reverse("reports:list")).context["folders"] == []
    assert client.get(reverse("reports:saved", args=[report.pk])).status_code == 404
    assert client.post(reverse("reports:delete", args=[report.pk])).status_code == 404


def test_the_menu_shares_with_the_users_own_teams_and_role(client, org):
    team = SalesTeamFactory(name="Norte")
    team.memberships.create(user=org.vendedor_norte)
    SalesTeamFactory(name="Ajeno")
    client.force_login(org.vendedor_norte)
    choices = client.get(reverse("sales:lead_list")).context["views_menu"]["share_choices"]
    assert [(value, str(label)) for value, label in choices] == [
        ("private", "Only me"), (f"team:{team.pk}", "Team Norte"), (f"role:{org.vendedor_norte.role_id}", "Role Rep North"),
        ("everyone", "Everyone")]
    for share in (f"team:{team.pk}", f"role:{org.vendedor_norte.role_id}"):
        client.post(reverse("reports:view_save"), {"list_key": "leads", "name": share, "query": "rating=hot",
                                                   "share": share})
    by_name = {view.name: view for view in SavedView.objects.all()}
    assert (by_name[f"team:{team.pk}"].visibility, by_name[f"team:{team.pk}"].team) == ("team", team)
    assert (by_name[f"role:{org.vendedor_norte.role_id}"].visibility,
            by_name[f"role:{org.vendedor_norte.role_id}"].role) == ("role", org.vendedor_norte.role)


def test_choosing_columns_on_a_view_replaces_the_views_columns(client, org):
    client.force_login(org.vendedor_norte)
    url = reverse("sales:lead_list")
    answer = client.post(f"{url}?rating=hot&cols=name", {"columns": ["name", "company", "status"]})
    assert answer.status_code == 302 and answer.url == f"{url}?rating=hot"
