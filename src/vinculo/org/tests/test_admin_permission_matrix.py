"""The permission matrix of the organisation's administration, over every page and every endpoint in one
place: an administrator (the *administer organisation* permission, not a superuser), the sales director, a rep,
and an outsider (not signed in). Administrators reach every settings page and write through every endpoint;
the director and the rep read what everyone reads and are refused (403) every change; the outsider is sent to
sign in (pages) or gets 401 (API). /admin/ stays for superusers only."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from vinculo.core.tests.api_client import ApiClient
from vinculo.org.models import (
    BusinessUnit,
    ExchangeRate,
    Office,
    OrgSettings,
    Role,
    SalesTeam,
    Territory,
    TerritoryRule,
)
from vinculo.org.tests.factories import (
    BusinessUnitFactory,
    OfficeFactory,
    SalesTeamFactory,
    TerritoryFactory,
    UserFactory,
)
from vinculo.sales.models import PipelineStage

pytestmark = pytest.mark.django_db
WHO = ("admin", "director", "rep", "outsider")


@pytest.fixture
def boss(db):
    user = UserFactory(username="boss")
    user.user_permissions.add(Permission.objects.get(codename="administer_organisation"))
    return user


@pytest.fixture
def rows(org):
    territory = TerritoryFactory(name="Norte")
    return dict(
        territory=territory,
        rule=TerritoryRule.objects.create(territory=territory, field="region", value="Antofagasta"),
        team=SalesTeamFactory(name="Minería"),
        rate=ExchangeRate.objects.create(currency="USD", date=datetime.date(2026, 1, 2), rate="950.5"),
        stage=PipelineStage.objects.create(name="Sin uso", order=9, probability=5),
        unit=BusinessUnitFactory(name="Unidad"), office=OfficeFactory(name="Oficina"),
        spare_role=Role.objects.create(name="Sin uso"), spare_unit=BusinessUnitFactory(name="Sin uso"),
        spare_office=OfficeFactory(name="Sin uso"),
    )


def user_for(org, boss, who):
    return {"admin": boss, "director": org.director, "rep": org.vendedor_norte, "outsider": None}[who]


def admin_pages(org, rows):
    """Every page only administrators open (a settings page or a form that changes the organisation)."""
    rep = org.vendedor_norte
    return [reverse(name, args=args) for name, args in (
        ("org:settings", []), ("org:currencies", []), ("org:access_defaults", []), ("org:company_profile", []), ("org:structure", []),
        ("org:structure_add", ["role"]), ("org:structure_edit", ["role", rep.role.pk]),
        ("org:structure_edit", ["business_unit", rows["unit"].pk]), ("org:structure_edit", ["office", rows["office"].pk]),
        ("org:user_list", []), ("org:user_invite", []), ("org:user_edit", [rep.pk]), ("org:user_reassign", [rep.pk]),
        ("org:territory_create", []), ("org:territory_edit", [rows["territory"].pk]),
        ("org:sales_team_settings", []), ("org:sales_team_settings_edit", [rows["team"].pk]),
        ("org:exchange_rate_create", []), ("org:exchange_rate_edit", [rows["rate"].pk]),
        ("org:exchange_rate_import", []),
        ("sales:stage_settings", []), ("sales:stage_settings_edit", [rows["stage"].pk]),
    )]


def admin_posts(org, rows):
    """Every change made on a page, as a POST: (url, data)."""
    rep = org.vendedor_norte
    territory, team = rows["territory"], rows["team"]
    return [
        (reverse("org:settings"), {"second_factor": "optional"}),
        (reverse("org:access_defaults"), {"record_type": "accounts.account", "access": "public_read", "confirm": "yes"}),
        (reverse("org:company_profile"), {"name": "Nueva", "country": "CL"}),
        (reverse("org:currencies"), {"currencies": ["CLP", "USD", "EUR"], "default_currency": "CLP"}),
        (reverse("org:structure_add", args=["business_unit"]), {"business_unit-name": "Minería"}),
        (reverse("org:structure_delete", args=["role", rows["spare_role"].pk]), {}),
        (reverse("org:structure_delete", args=["business_unit", rows["spare_unit"].pk]), {}),
        (reverse("org:structure_delete", args=["office", rows["spare_office"].pk]), {}),
        (reverse("org:user_invite"), {"username": "nueva", "email": "nueva@example.com", "language": "es"}),
        (reverse("org:user_edit", args=[rep.pk]), {"email": rep.email, "language": "es"}),
        (reverse("org:user_reassign", args=[rep.pk]), {"to": org.vendedor_sur.pk, "kinds": ["account"]}),
        (reverse("org:territory_create"), {"name": "Sur", "kind": "region"}),
        (reverse("org:territory_rule_add", args=[territory.pk]), {"field": "region", "value": "Biobío", "priority": 1}),
        (reverse("org:territory_rule_delete", args=[territory.pk, rows["rule"].pk]), {}),
        (reverse("org:territory_apply_rules"), {"target": "both"}),
        (reverse("org:sales_team_settings"), {"name": "Retail"}),
        (reverse("org:sales_team_member_add", args=[team.pk]), {"user": rep.pk, "function": "sales_rep"}),
        (reverse("org:sales_team_settings_delete", args=[team.pk]), {}),
        (reverse("org:exchange_rate_create"), {"currency": "EUR", "date": "2026-01-02", "rate": "1000"}),
        (reverse("org:exchange_rate_delete", args=[rows["rate"].pk]), {}),
        (reverse("sales:stage_settings"), {"name": "Cierre", "order": 6, "probability": 90}),
        (reverse("sales:stage_settings_delete", args=[rows["stage"].pk]), {}),
    ]


def read_pages(org, rows):
    """Pages every signed-in user reads."""
    return [reverse("org:territory_list"), reverse("org:territory_detail", args=[rows["territory"].pk]),
            reverse("org:sales_team_list"), reverse("org:sales_team_detail", args=[rows["team"].pk]),
            reverse("org:exchange_rate_list"), reverse("profile"), reverse("two_factor")]


def snapshot():
    """What the refused writes must leave as it was."""
    currencies = OrgSettings.currency_settings()
    return (Territory.objects.count(), TerritoryRule.objects.count(), SalesTeam.objects.count(),
            ExchangeRate.objects.count(), PipelineStage.objects.count(), Role.objects.count(),
            BusinessUnit.objects.count(), Office.objects.count(), currencies,
            sorted(SalesTeam.objects.values_list("memberships__user", flat=True).exclude(memberships=None)))


@pytest.mark.parametrize("who", WHO)
def test_every_settings_page(org, boss, rows, who):
    client = Client()
    if user_for(org, boss, who):
        client.force_login(user_for(org, boss, who))
    expected = {"admin": 200, "director": 403, "rep": 403, "outsider": 302}[who]
    for url in admin_pages(org, rows):
        response = client.get(url)
        assert response.status_code == expected, url
        if who == "outsider":
            assert response["Location"].startswith(reverse("login")), url
    for url in read_pages(org, rows):
        assert client.get(url).status_code == (302 if who == "outsider" else 200), url
    before = snapshot()
    for url, data in admin_posts(org, rows):
        status = client.post(url, data).status_code
        if who == "admin":
            assert status in (200, 302), (url, status)
        else:
            assert status == expected, url
    if who != "admin":
        assert snapshot() == before


@pytest.mark.parametrize("who", WHO)
def test_the_django_admin_is_for_superusers_only(org, boss, who):
    client = Client()
    if user_for(org, boss, who):
        client.force_login(user_for(org, boss, who))
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    superuser = Client()
    superuser.force_login(org.admin)
    assert superuser.get("/admin/").status_code == 200


def api_reads(org):
    return ["/me", "/users", f"/users/{org.director.pk}", "/roles", "/business-units", "/offices", "/org-defaults",
            "/stages", "/territories", "/sales-teams", "/exchange-rates", "/currencies"]


def api_writes(org, rows):
    rep = org.vendedor_norte
    return [
        ("post", "/users", {"username": "nueva", "email": "nueva@example.com", "language": "es"}),
        ("patch", f"/users/{rep.pk}", {"manager": org.gerente_sur.pk}),
        ("post", "/roles", {"name": "Preventa", "parent": org.director.role.pk}),
        ("patch", f"/roles/{rep.role.pk}", {"name": "Ejecutivo"}),
        ("post", "/business-units", {"name": "Minería"}),
        ("patch", f"/business-units/{rows['unit'].pk}", {"code": "U1"}),
        ("post", "/offices", {"name": "Antofagasta", "city": "Antofagasta"}),
        ("patch", f"/offices/{rows['office'].pk}", {"city": "Calama"}),
        ("delete", f"/roles/{rows['spare_role'].pk}", None),
        ("delete", f"/business-units/{rows['spare_unit'].pk}", None),
        ("delete", f"/offices/{rows['spare_office'].pk}", None),
        ("patch", "/currencies", {"currencies": ["CLP", "USD", "EUR"], "default_currency": "EUR"}),
        ("get", "/org-defaults/accounts.account/preview", {"access": "public_read"}),
        ("patch", "/org-defaults/accounts.account", {"access": "public_read", "records_affected": 2}),
        ("post", "/stages", {"name": "Cierre", "order": 6, "probability": 90}),
        ("patch", f"/stages/{rows['stage'].pk}", {"probability": 15}),
        ("delete", f"/stages/{rows['stage'].pk}", None),
        ("post", "/territories", {"name": "Sur", "kind": "region"}),
        ("patch", f"/territories/{rows['territory'].pk}", {"name": "Norte Grande"}),
        ("post", "/territories/apply-rules", {"target": "both"}),
        ("post", "/sales-teams", {"name": "Retail"}),
        ("patch", f"/sales-teams/{rows['team'].pk}", {"name": "Minería y energía"}),
        ("delete", f"/sales-teams/{rows['team'].pk}", None),
        ("post", "/exchange-rates", {"currency": "EUR", "date": "2026-01-02", "rate": "1000"}),
        ("patch", f"/exchange-rates/{rows['rate'].pk}", {"rate": "951"}),
        ("delete", f"/exchange-rates/{rows['rate'].pk}", None),
    ]


@pytest.mark.parametrize("who", WHO)
def test_every_endpoint(org, boss, rows, who):
    user = user_for(org, boss, who)
    if user is None:
        api = ApiClient.__new__(ApiClient)
        api.client = Client()
    else:
        api = ApiClient(user)
    for path in api_reads(org):
        assert api.get(path).status_code == (401 if who == "outsider" else 200), path
    before = snapshot()
    for method, path, body in api_writes(org, rows):
        if method == "get":
            response = api.get(path, **body)
        elif method == "delete":
            response = api.delete(path)
        else:
            response = getattr(api, method)(path, body)
        if who == "admin":
            assert response.status_code in (200, 201, 204), (path, response.content)
        else:
            assert response.status_code == (401 if who == "outsider" else 403), path
    if who != "admin":
        assert snapshot() == before


@pytest.mark.parametrize("language, save", [("es", "Guardar"), ("en", "Save")])
def test_every_settings_page_speaks_the_administrators_language(org, boss, rows, language, save):
    boss.language = language
    boss.save()
    client = Client()
    client.force_login(boss)
    for url in admin_pages(org, rows):
        html = client.get(url).content.decode()
        assert f'<html lang="{language}">' in html, url
    for url in (reverse("org:structure"), reverse("org:company_profile"), reverse("org:currencies"),
                reverse("sales:stage_settings"),
                reverse("org:sales_team_settings")):
        assert save in client.get(url).content.decode(), url
