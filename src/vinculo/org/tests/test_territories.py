"""Territories: assignment by rule (service, page, API), the tree pages, the territory filter of lists."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import translation

from vinculo.accounts.models import Account
from vinculo.accounts.tests.factories import AccountFactory, AddressFactory, IndustryFactory
from vinculo.core.models import ChangeLog
from vinculo.core.tests.api_client import ApiClient, error_fields
from vinculo.org.forms import TerritoryFilterField, in_territory
from vinculo.org.models import Territory, TerritoryRule
from vinculo.org.services import assign_territories
from vinculo.org.tests.factories import UserFactory
from vinculo.sales.models import Lead
from vinculo.sales.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(db):
    chile = Territory.objects.create(name="Chile", kind=Territory.Kind.COUNTRY)
    north = Territory.objects.create(name="Norte", kind=Territory.Kind.REGION, parent=chile)
    antofagasta = Territory.objects.create(name="Antofagasta", parent=north)
    south = Territory.objects.create(name="Sur", kind=Territory.Kind.REGION, parent=chile)
    spain = Territory.objects.create(name="España", kind=Territory.Kind.COUNTRY)
    return type("Tree", (), dict(chile=chile, north=north, antofagasta=antofagasta, south=south, spain=spain))


def territory_manager():
    user = UserFactory(username="territorios")
    user.user_permissions.add(Permission.objects.get(codename="change_territory"))
    return user


def billed_to(account, **address):
    AddressFactory(account=account, **address)
    return account


# The service

def test_rules_put_accounts_in_the_territory_of_the_first_matching_rule(org, tree):
    mining = IndustryFactory(name="Minería")
    TerritoryRule.objects.create(territory=tree.antofagasta, field="city", value="Antofagasta", priority=10)
    TerritoryRule.objects.create(territory=tree.north, field="region", value="Región de Antofagasta", priority=20)
    TerritoryRule.objects.create(territory=tree.north, field="industry", value=str(mining.pk), priority=30)
    TerritoryRule.objects.create(territory=tree.south, field="postal_code", value="40", priority=40)
    TerritoryRule.objects.create(territory=tree.spain, field="country", value="ES", priority=50)
    by_city = billed_to(AccountFactory(owner=org.vendedor_norte), city="ANTOFAGASTA", region="Región de Antofagasta")
    by_region = billed_to(AccountFactory(owner=org.vendedor_norte), city="Calama", region="region de antofagasta")
    by_industry = AccountFactory(owner=org.vendedor_norte, industry=mining)
    by_postal_code = billed_to(AccountFactory(owner=org.vendedor_sur), city="Concepción", postal_code="4030000")
    by_country = AccountFactory(owner=org.vendedor_sur, country="ES", tax_id="")
    shipping_only = AccountFactory(owner=org.vendedor_sur)
    AddressFactory(account=shipping_only, kind="shipping", city="Antofagasta")

    result = assign_territories(Account.objects.all(), by=org.admin)

    territory = dict(Account.objects.values_list("pk", "territory_id"))
    assert territory[by_city.pk] == tree.antofagasta.pk
    assert territory[by_region.pk] == tree.north.pk  # accents and case ignored
    assert territory[by_industry.pk] == tree.north.pk
    assert territory[by_postal_code.pk] == tree.south.pk
    assert territory[by_country.pk] == tree.spain.pk
    assert territory[shipping_only.pk] is None  # only the billing address counts
    assert (result.assigned, result.unchanged) == (5, 0)
    assert result.unmatched == 3  # shipping_only and the org fixture's two accounts


def test_priority_decides_between_two_matching_rules(org, tree):
    TerritoryRule.objects.create(territory=tree.chile, field="country", value="cl", priority=90)
    TerritoryRule.objects.create(territory=tree.north, field="city", value="Iquique", priority=5)
    account = billed_to(AccountFactory(owner=org.vendedor_norte), city="Iquique")
    assign_territories(Account.objects.filter(pk=account.pk), by=org.admin)
    account.refresh_from_db()
    assert account.territory == tree.north


def test_only_unassigned_leaves_territories_set_by_hand(org, tree):
    TerritoryRule.objects.create(territory=tree.north, field="country", value="CL")
    by_hand = AccountFactory(owner=org.vendedor_norte, territory=tree.south)
    without = AccountFactory(owner=org.vendedor_norte)

    result = assign_territories(Account.objects.filter(pk__in=[by_hand.pk, without.pk]), by=org.admin)
    by_hand.refresh_from_db()
    without.refresh_from_db()
    assert (by_hand.territory, without.territory) == (tree.south, tree.north)
    assert result.assigned == 1

    result = assign_territories(Account.objects.filter(pk__in=[by_hand.pk, without.pk]), by=org.admin,
                                only_unassigned=False)
    by_hand.refresh_from_db()
    assert by_hand.territory == tree.north
    assert (result.assigned, result.unchanged) == (1, 1)


def test_each_assigned_record_gets_a_new_version_and_a_history_entry(org, tree):
    TerritoryRule.objects.create(territory=tree.north, field="country", value="CL")
    account = AccountFactory(owner=org.vendedor_norte, territory=tree.south)
    version = account.version
    assign_territories(Account.objects.filter(pk=account.pk), by=org.gerente_norte, only_unassigned=False)
    account.refresh_from_db()
    assert account.version == version + 1
    assert account.updated_by == org.gerente_norte
    entry = account.history().first()
    assert entry.user == org.gerente_norte
    label = str(Account._meta.get_field("territory").verbose_name)
    assert entry.changes == [{"field": "territory", "label": label, "old": "Sur", "new": "Norte"}]


def test_leads_are_matched_on_their_own_country_region_city_and_industry(org, tree):
    retail = IndustryFactory(name="Retail")
    TerritoryRule.objects.create(territory=tree.antofagasta, field="city", value="Antofagasta", priority=1)
    TerritoryRule.objects.create(territory=tree.south, field="region", value="Biobío", priority=2)
    TerritoryRule.objects.create(territory=tree.north, field="industry", value=str(retail.pk), priority=3)
    TerritoryRule.objects.create(territory=tree.spain, field="country", value="ES", priority=4)
    city = LeadFactory(owner=org.vendedor_norte, city="antofagasta")
    region = LeadFactory(owner=org.vendedor_norte, region="BIOBIO")
    industry = LeadFactory(owner=org.vendedor_norte, industry=retail)
    country = LeadFactory(owner=org.vendedor_norte, country="ES")
    nothing = LeadFactory(owner=org.vendedor_norte)

    result = assign_territories(Lead.objects.all(), by=org.admin)

    territory = dict(Lead.objects.values_list("pk", "territory_id"))
    assert territory == {city.pk: tree.antofagasta.pk, region.pk: tree.south.pk, industry.pk: tree.north.pk,
                         country.pk: tree.spain.pk, nothing.pk: None}
    assert (result.assigned, result.unmatched) == (4, 1)
    assert ChangeLog.objects.filter(content_type=ContentType.objects.get_for_model(Lead)).count() == 4


def test_assignment_queries_stay_bounded_as_records_grow(org, tree, django_assert_max_num_queries):
    TerritoryRule.objects.create(territory=tree.north, field="city", value="Antofagasta")
    TerritoryRule.objects.create(territory=tree.south, field="city", value="Temuco")
    for index in range(60):
        billed_to(AccountFactory(owner=org.vendedor_norte), city="Antofagasta" if index % 2 else "Temuco")
    # rules, names, content type, one batch (+ addresses), one UPDATE per territory, one history insert,
    # the empty next batch, savepoints.
    with django_assert_max_num_queries(14):
        result = assign_territories(Account.objects.all(), by=org.admin)
    assert result.assigned == 60


def test_rule_values_are_checked(tree):
    from django.core.exceptions import ValidationError

    for field, value in [("country", "Chile"), ("industry", "999"), ("city", "  ")]:
        with pytest.raises(ValidationError) as caught:
            TerritoryRule(territory=tree.chile, field=field, value=value).full_clean()
        assert "value" in caught.value.message_dict


# The shared filter

def test_in_territory_includes_sub_territories_and_not_siblings(org, tree):
    in_north = AccountFactory(owner=org.vendedor_norte, territory=tree.north)
    below = AccountFactory(owner=org.vendedor_norte, territory=tree.antofagasta)
    AccountFactory(owner=org.vendedor_norte, territory=tree.south)
    assert set(in_territory(Account.objects.all(), tree.north)) == {in_north, below}
    assert in_territory(Account.objects.all(), None).count() == Account.objects.count()


def test_territory_filter_field_lists_the_tree_indented(tree):
    with translation.override("en"):
        labels = [str(label) for _value, label in TerritoryFilterField().choices]
    assert labels[0] == "All territories"
    assert [label.strip("\u00a0") for label in labels[1:]] == ["Chile", "Norte", "Antofagasta", "Sur", "España"]
    assert labels[3].startswith("\u00a0" * 6)  # Antofagasta is two levels down


def test_account_list_filters_by_territory_subtree_and_shows_visible_accounts_only(client, org, tree):
    mine = AccountFactory(owner=org.vendedor_norte, territory=tree.antofagasta, legal_name="Cobre Andino SpA")
    AccountFactory(owner=org.vendedor_sur, territory=tree.antofagasta, legal_name="Salitre Oculto SpA")
    AccountFactory(owner=org.vendedor_norte, territory=tree.south, legal_name="Maderas del Sur SpA")
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("accounts:list"), {"territory": tree.north.pk}).content.decode()
    assert mine.legal_name in html
    assert "Salitre Oculto" not in html and "Maderas del Sur" not in html


def test_account_list_counts_the_filtered_visible_accounts_by_territory(client, org, tree, django_assert_max_num_queries):
    client.force_login(org.vendedor_norte)
    url = reverse("accounts:list")

    def grow(count):
        for _index in range(count):
            AccountFactory(owner=org.vendedor_norte, territory=tree.antofagasta)
            AccountFactory(owner=org.vendedor_norte, territory=tree.north)
            AccountFactory(owner=org.vendedor_sur, territory=tree.antofagasta)  # hidden from vendedor.norte

    grow(1)
    with django_assert_max_num_queries(20) as few:
        client.get(url, {"group_by_territory": "on"})
    grow(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url, {"group_by_territory": "on", "territory": tree.chile.pk})
    groups = [(group["territory"].name if group["territory"] else None, group["count"], group["total"])
              for group in response.context["territory_groups"]]
    assert groups == [("Chile", 0, 22), ("Norte", 11, 22), ("Antofagasta", 11, 11)]
    assert "territory_groups" not in client.get(url).context
    everything = client.get(url, {"group_by_territory": "on"}).context["territory_groups"]
    assert everything[-1] == {"territory": None, "depth": 0, "count": 1, "total": 1}  # org.north_account


# Pages

def test_territory_list_counts_only_visible_records_including_sub_territories(client, org, tree):
    AccountFactory(owner=org.vendedor_norte, territory=tree.antofagasta)
    AccountFactory(owner=org.vendedor_norte, territory=tree.north)
    AccountFactory(owner=org.vendedor_sur, territory=tree.antofagasta)  # not visible to vendedor.norte
    LeadFactory(owner=org.vendedor_norte, territory=tree.antofagasta)
    client.force_login(org.vendedor_norte)
    response = client.get(reverse("org:territory_list"))
    territories = {territory.name: territory for territory in response.context["territories"]}
    assert (territories["Chile"].accounts_total, territories["Norte"].accounts_total) == (2, 2)
    assert (territories["Antofagasta"].accounts_total, territories["Norte"].own_accounts) == (1, 1)
    assert territories["Norte"].leads_total == 1
    assert response.context["apply_form"] is None
    assert reverse("org:territory_apply_rules") not in response.content.decode()


def test_territory_list_queries_are_bounded(client, org, tree, django_assert_max_num_queries):
    client.force_login(org.gerente_norte)

    def grow(count):
        for index in range(count):
            parent = Territory.objects.create(name=f"Zona {index}", parent=tree.north)
            parent.users.add(org.vendedor_norte, org.vendedor_norte2)
            AccountFactory(owner=org.vendedor_norte, territory=parent)
            LeadFactory(owner=org.vendedor_norte, territory=parent)

    grow(2)
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("org:territory_list"))
    grow(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("org:territory_list")).status_code == 200


def test_territory_detail_shows_rules_users_children_and_links_to_the_filtered_account_list(client, org, tree):
    TerritoryRule.objects.create(territory=tree.north, field="city", value="Calama", priority=3)
    tree.north.users.add(org.vendedor_norte)
    client.force_login(org.admin)
    html = client.get(reverse("org:territory_detail", args=[tree.north.pk])).content.decode()
    assert "Calama" in html and str(org.vendedor_norte) in html and "Antofagasta" in html
    assert f'{reverse("accounts:list")}?territory={tree.north.pk}' in html
    assert reverse("org:territory_rule_add", args=[tree.north.pk]) in html


def test_territory_detail_queries_are_bounded(client, org, tree, django_assert_max_num_queries):
    client.force_login(org.director)
    url = reverse("org:territory_detail", args=[tree.north.pk])
    with django_assert_max_num_queries(16) as few:
        client.get(url)
    for index in range(20):
        child = Territory.objects.create(name=f"Zona {index}", parent=tree.north)
        TerritoryRule.objects.create(territory=tree.north, field="city", value=f"Ciudad {index}")
        tree.north.users.add(UserFactory())
        AccountFactory(owner=org.vendedor_norte, territory=child)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_a_rep_can_read_territories_but_not_change_them(client, org, tree):
    client.force_login(org.vendedor_norte)
    html = client.get(reverse("org:territory_detail", args=[tree.north.pk])).content.decode()
    assert reverse("org:territory_edit", args=[tree.north.pk]) not in html
    assert reverse("org:territory_rule_add", args=[tree.north.pk]) not in html
    rule = TerritoryRule.objects.create(territory=tree.north, field="city", value="Calama")
    assert client.get(reverse("org:territory_create")).status_code == 403
    assert client.post(reverse("org:territory_rule_add", args=[tree.north.pk]),
                       {"field": "city", "value": "Iquique", "priority": 1}).status_code == 403
    assert client.post(reverse("org:territory_rule_delete", args=[tree.north.pk, rule.pk])).status_code == 403
    assert client.post(reverse("org:territory_apply_rules")).status_code == 403
    assert TerritoryRule.objects.count() == 1


def test_a_user_with_the_permission_adds_and_removes_rules(client, tree):
    client.force_login(territory_manager())
    url = reverse("org:territory_rule_add", args=[tree.north.pk])
    response = client.post(url, {"field": "country", "value": "Chile", "priority": 1})
    assert response.status_code == 200
    assert "two-letter country code" in response.content.decode()
    response = client.post(url, {"field": "industry", "value": "", "priority": 1})
    assert "Choose the industry" in response.content.decode()
    mining = IndustryFactory(name="Minería")
    client.post(url, {"field": "industry", "industry": mining.pk, "priority": 1})
    client.post(url, {"field": "city", "value": "Calama", "priority": 2})
    assert list(tree.north.rules.values_list("field", "value")) == [("industry", str(mining.pk)), ("city", "Calama")]
    html = client.get(reverse("org:territory_detail", args=[tree.north.pk])).content.decode()
    assert "Minería" in html
    rule = tree.north.rules.get(field="city")
    client.post(reverse("org:territory_rule_delete", args=[tree.north.pk, rule.pk]))
    assert tree.north.rules.count() == 1


def test_apply_rules_now_assigns_only_records_the_user_may_edit(client, org, tree):
    TerritoryRule.objects.create(territory=tree.north, field="country", value="CL")
    manager = territory_manager()
    manager.role = org.gerente_norte.role
    manager.save()
    lead = LeadFactory(owner=org.vendedor_norte)
    client.force_login(org.gerente_norte)
    assert client.post(reverse("org:territory_apply_rules"), {"target": "both"}).status_code == 403
    org.gerente_norte.user_permissions.add(Permission.objects.get(codename="change_territory"))
    response = client.post(reverse("org:territory_apply_rules"), {"target": "both", "only_unassigned": "on"},
                           follow=True)
    assert "Accounts: 1 assigned" in response.content.decode()
    org.north_account.refresh_from_db()
    org.south_account.refresh_from_db()
    lead.refresh_from_db()
    assert (org.north_account.territory, org.south_account.territory, lead.territory) == (tree.north, None, tree.north)


def test_territory_form_moves_a_territory_but_never_under_itself(client, org, tree):
    client.force_login(org.admin)
    url = reverse("org:territory_edit", args=[tree.north.pk])
    response = client.post(url, {"name": "Norte", "kind": "region", "parent": tree.antofagasta.pk})
    assert response.status_code == 200 and "parent" in response.context["form"].errors
    response = client.post(url, {"name": "Norte Grande", "kind": "region", "parent": tree.spain.pk,
                                 "grants_access": "on", "users": [org.vendedor_norte.pk]})
    assert response.status_code == 302
    tree.antofagasta.refresh_from_db()
    assert tree.antofagasta.path == f"{tree.spain.pk}/{tree.north.pk}/{tree.antofagasta.pk}/"
    assert list(tree.north.users.all()) == [org.vendedor_norte]


# API

def test_api_lists_the_tree_with_path_depth_and_parent(org, tree):
    response = ApiClient(org.vendedor_norte).get("/territories")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["name"] for item in items] == ["Chile", "Norte", "Antofagasta", "Sur", "España"]
    antofagasta = items[2]
    assert antofagasta["parent"] == tree.north.pk and antofagasta["depth"] == 2
    assert antofagasta["path"] == tree.antofagasta.path
    within = ApiClient(org.vendedor_norte).get("/territories", within=tree.north.pk).json()
    assert within["count"] == 2
    assert ApiClient(org.vendedor_norte).get(f"/territories/{tree.north.pk}").json()["name"] == "Norte"
    assert ApiClient(org.vendedor_norte).get("/territories/99999").status_code == 404


def test_api_territory_writes_are_for_admins(org, tree):
    rep = ApiClient(org.vendedor_norte)
    assert rep.post("/territories", {"name": "Centro", "parent": tree.chile.pk}).status_code == 403
    assert rep.patch(f"/territories/{tree.north.pk}", {"name": "X"}).status_code == 403
    admin = ApiClient(org.admin)
    response = admin.post("/territories", {"name": "Centro", "kind": "region", "parent": tree.chile.pk,
                                           "users": [org.vendedor_norte.pk]})
    assert response.status_code == 201
    assert response.json()["path"].startswith(tree.chile.path)
    assert [user["id"] for user in response.json()["users"]] == [org.vendedor_norte.pk]
    response = admin.patch(f"/territories/{tree.north.pk}", {"parent": tree.antofagasta.pk})
    assert response.status_code == 422 and error_fields(response) == {"parent"}
    response = admin.patch(f"/territories/{tree.north.pk}", {"kind": "galaxy"})
    assert response.status_code == 422 and error_fields(response) == {"kind"}
    response = admin.patch(f"/territories/{tree.north.pk}", {"grants_access": True})
    assert response.status_code == 200 and response.json()["grants_access"] is True


def test_api_applies_rules(org, tree):
    TerritoryRule.objects.create(territory=tree.south, field="country", value="CL")
    assert ApiClient(org.vendedor_sur).post("/territories/apply-rules", {}).status_code == 403
    response = ApiClient(org.admin).post("/territories/apply-rules", {"target": "accounts"})
    assert response.status_code == 200
    assert response.json() == {"accounts": {"assigned": 2, "unchanged": 0, "unmatched": 0}, "leads": None}


def test_the_preview_says_what_the_rules_would_move_and_moves_nothing(client, org, tree):
    TerritoryRule.objects.create(territory=tree.north, field="country", value="CL")
    lead = LeadFactory(owner=org.vendedor_norte)
    client.force_login(org.admin)
    response = client.post(reverse("org:territory_apply_rules"),
                           {"target": "both", "only_unassigned": "on", "preview": "yes"})
    assert response.status_code == 200
    # Both accounts and the lead are in Chile; nothing has a territory yet.
    assert [(kind.key, done.assigned, moves) for kind, done, moves in response.context["previews"]] == [
        ("accounts", 2, [(tree.north, 2)]), ("leads", 1, [(tree.north, 1)])]
    org.north_account.refresh_from_db()
    lead.refresh_from_db()
    assert (org.north_account.territory, lead.territory) == (None, None)
    assert client.post(reverse("org:territory_apply_rules"), {"target": "both", "only_unassigned": "on"}
                       ).status_code == 302
    lead.refresh_from_db()
    assert lead.territory == tree.north
