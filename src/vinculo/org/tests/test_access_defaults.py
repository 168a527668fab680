"""The org-wide default access per record type, in the app: administrators only, a warning with the count of
records a change touches before it applies, the change in history and at once in every channel."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from vinculo.api.models import ApiToken
from vinculo.core.access import AccessLevel
from vinculo.core.models import ChangeLog
from vinculo.org.models import OrgDefault
from vinculo.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = reverse("org:access_defaults")


@pytest.fixture
def boss(db):
    user = UserFactory(username="boss")
    user.user_permissions.add(Permission.objects.get(codename="administer_organisation"))
    return user


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("who, status", [("admin", 200), ("director", 403), ("rep", 403), ("outsider", 302)])
def test_permission_matrix(org, boss, who, status):
    client = client_for({"admin": boss, "director": org.director, "rep": org.vendedor_norte, "outsider": None}[who])
    assert client.get(URL).status_code == status
    response = client.post(URL, {"record_type": "accounts.account", "access": "public_read", "confirm": "yes"})
    assert response.status_code == (302 if who in ("admin", "outsider") else 403)
    if who != "admin":
        assert OrgDefault.objects.get(record_type="accounts.account").access == AccessLevel.PRIVATE


def test_a_change_first_shows_how_many_records_it_touches(org, boss):
    response = client_for(boss).post(URL, {"record_type": "accounts.account", "access": "public_read"})
    assert response.status_code == 200
    # The org fixture has two accounts: both become visible to everyone.
    assert response.context["confirm"]["count"] == 2
    assert "2 records of accounts change visibility for everyone" in response.content.decode()
    assert OrgDefault.objects.get(record_type="accounts.account").access == AccessLevel.PRIVATE


def test_keeping_the_same_level_touches_no_record(org, boss):
    response = client_for(boss).post(URL, {"record_type": "accounts.account", "access": "private"})
    assert response.context["confirm"]["count"] == 0


def test_an_unknown_record_type_changes_nothing(org, boss):
    response = client_for(boss).post(URL, {"record_type": "org.user", "access": "public_read", "confirm": "yes"})
    assert response.status_code == 200 and response.context["confirm"] is None
    assert not OrgDefault.objects.filter(record_type="org.user").exists()


def test_a_confirmed_change_applies_at_once_in_pages_and_api_and_is_in_history(org, boss):
    rep = org.vendedor_norte
    token = ApiToken.issue(rep)[1]
    south = f"/api/v1/accounts/{org.south_account.pk}"
    assert Client().get(south, headers={"Authorization": f"Bearer {token}"}).status_code == 404
    assert client_for(rep).get(org.south_account.get_absolute_url()).status_code == 404
    response = client_for(boss).post(URL, {"record_type": "accounts.account", "access": "public_read",
                                           "confirm": "yes"})
    assert response.status_code == 302
    assert Client().get(south, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client_for(rep).get(org.south_account.get_absolute_url()).status_code == 200
    entry = ChangeLog.objects.get(content_type__model="orgdefault", user=boss)
    assert [(c["old"], c["new"]) for c in entry.changes] == [("Private", "Public read only")]


def channels_showing(rep, account) -> set[str]:
    """The channels in which `rep` meets `account` (another rep's, private by default)."""
    from vinculo.accounts.models import Account
    from vinculo.core import search

    search.index_record(account)
    page, api = client_for(rep), Client(headers={"Authorization": f"Bearer {ApiToken.issue(rep)[1]}"})
    name = account.legal_name.split()[0]
    shown = {
        "page": page.get(account.get_absolute_url()).status_code == 200,
        "list": account in page.get(reverse("accounts:list")).context["object_list"],
        "search": account in page.get(reverse("search"), {"q": name}).context["accounts"],
        "form choices": account.legal_name in page.get(reverse("accounts:autocomplete"), {"q": name}).content.decode(),
        "export": account.legal_name in b"".join(
            page.get(reverse("exchange:export", args=["accounts", "csv"])).streaming_content).decode(),
        "api list": account.pk in {item["id"] for item in api.get("/api/v1/accounts", {"limit": 200}).json()["items"]},
        "api detail": api.get(f"/api/v1/accounts/{account.pk}").status_code == 200,
        "who may see": Account.policy.users_who_may_see(account).filter(pk=rep.pk).exists(),
    }
    return {channel for channel, seen in shown.items() if seen}


ALL_CHANNELS = {"page", "list", "search", "form choices", "export", "api list", "api detail", "who may see"}


@pytest.mark.parametrize("via", ["page", "api"])
def test_a_change_applies_at_once_in_every_channel(org, boss, via):
    rep, south = org.vendedor_norte, org.south_account
    assert channels_showing(rep, south) == set()
    if via == "page":
        client_for(boss).post(URL, {"record_type": "accounts.account", "access": "public_read", "confirm": "yes"})
    else:
        response = Client(headers={"Authorization": f"Bearer {ApiToken.issue(boss)[1]}"}).patch(
            "/api/v1/org-defaults/accounts.account", {"access": "public_read", "records_affected": 2},
            content_type="application/json")
        assert response.status_code == 200
    assert channels_showing(rep, south) == ALL_CHANNELS
    # Back to private: gone again everywhere, in the same process (no cache keeps the old level).
    client_for(boss).post(URL, {"record_type": "accounts.account", "access": "private", "confirm": "yes"})
    assert channels_showing(rep, south) == set()
