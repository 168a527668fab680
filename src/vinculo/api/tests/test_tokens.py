"""API tokens expire (90 days by default, chosen per token on creation) and their owner lists and revokes
them, on the "API tokens" page and through GET/DELETE /api/v1/tokens; nobody else's are reachable."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vinculo.api.models import ApiToken
from vinculo.core import clock

pytestmark = pytest.mark.django_db

ENGLISH = {"Accept-Language": "en"}
NOW = timezone.make_aware(datetime.datetime(2026, 3, 10, 12, 0))


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}", **ENGLISH}


@pytest.fixture
def at(monkeypatch):
    """Move the clock: at(days) sets now to NOW + days."""
    def move(days=0, seconds=0):
        monkeypatch.setattr(clock, "now", lambda: NOW + datetime.timedelta(days=days, seconds=seconds))
    move()
    return move


# ---------- Expiry ----------

def test_a_token_lasts_ninety_days_by_default_and_is_refused_after_with_a_clear_401(org, client, at):
    token, key = ApiToken.issue(org.vendedor_norte)
    assert token.expires_at == NOW + datetime.timedelta(days=90)
    at(days=90, seconds=-1)
    assert client.get("/api/v1/accounts", headers=bearer(key)).status_code == 200
    at(days=90)
    response = client.get("/api/v1/accounts", headers=bearer(key))
    assert response.status_code == 401
    assert response.json()["detail"].startswith("This token expired on ")
    assert "2026" in response.json()["detail"]


def test_an_unknown_token_still_gets_the_plain_401(org, client):
    response = client.get("/api/v1/accounts", headers=bearer("made-up"))
    assert response.status_code == 401 and "Bearer" in response.json()["detail"]


def test_the_lifetime_is_chosen_on_creation_through_the_api(org, client, at):
    response = client.post("/api/v1/auth/token", {"username": "vendedor.norte", "password": "demo", "name": "ERP",
                                                  "expires_in_days": 7}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    token = ApiToken.objects.get(pk=body["id"])
    assert (token.name, token.expires_at) == ("ERP", NOW + datetime.timedelta(days=7))
    assert datetime.datetime.fromisoformat(body["expires_at"]) == token.expires_at
    at(days=7)
    assert client.get("/api/v1/accounts", headers=bearer(body["token"])).status_code == 401


@pytest.mark.parametrize("days", [0, -1, 367, "many"])
def test_a_lifetime_out_of_range_is_refused_naming_the_field(org, client, days):
    response = client.post("/api/v1/auth/token", {"username": "vendedor.norte", "password": "demo",
                                                  "expires_in_days": days}, content_type="application/json")
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["detail"]] == ["expires_in_days"]
    assert not ApiToken.objects.exists()


def test_the_lifetime_bounds_hold_in_the_model_too(org):
    from django.core.exceptions import ValidationError

    for days in (1, 366):
        assert ApiToken.issue(org.vendedor_norte, days=days)[0]
    for days in (0, 367, True):
        with pytest.raises(ValidationError):
            ApiToken.issue(org.vendedor_norte, days=days)


# ---------- The API ----------

def test_the_owner_lists_their_tokens_without_secrets(org, client, at):
    mine, key = ApiToken.issue(org.vendedor_norte, name="Sync")
    at(days=1)
    other, other_key = ApiToken.issue(org.vendedor_norte, days=1, name="Old")
    ApiToken.issue(org.vendedor_sur)
    at(days=2, seconds=1)  # "Old" has expired
    response = client.get("/api/v1/tokens", headers=bearer(key))
    assert response.status_code == 200
    listed = response.json()
    assert [(item["id"], item["name"], item["expired"], item["current"]) for item in listed] == [
        (other.pk, "Old", True, False), (mine.pk, "Sync", False, True)]
    assert listed[1]["prefix"] == key[:8] and listed[1]["last_used_at"] is not None
    assert key not in response.content.decode() and other_key not in response.content.decode()


def test_the_owner_revokes_a_token_and_another_users_token_is_404(org, client):
    _mine, key = ApiToken.issue(org.vendedor_norte)
    spare, spare_key = ApiToken.issue(org.vendedor_norte)
    theirs, their_key = ApiToken.issue(org.vendedor_sur)
    assert client.delete(f"/api/v1/tokens/{theirs.pk}", headers=bearer(key)).status_code == 404
    assert client.get("/api/v1/accounts", headers=bearer(their_key)).status_code == 200
    assert client.delete(f"/api/v1/tokens/{spare.pk}", headers=bearer(key)).status_code == 204
    assert client.get("/api/v1/accounts", headers=bearer(spare_key)).status_code == 401
    assert client.delete(f"/api/v1/tokens/{spare.pk}", headers=bearer(key)).status_code == 404
    assert client.get("/api/v1/tokens", headers=bearer("nope")).status_code == 401


# ---------- The page ----------

def test_the_page_creates_a_token_shows_it_once_and_lists_only_a_prefix(org, at):
    browser = Client()
    browser.force_login(org.vendedor_norte)
    ApiToken.issue(org.vendedor_sur, name="Not mine")
    response = browser.post(reverse("tokens:list"), {"name": "Planilla", "expires_in_days": "30"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=org.vendedor_norte)
    key = re.search(r'<code class="token-secret">([^<]+)</code>', response.content.decode()).group(1)
    assert ApiToken.find(key) == token
    assert (token.name, token.expires_at) == ("Planilla", NOW + datetime.timedelta(days=30))
    page = browser.get(reverse("tokens:list")).content.decode()
    assert key not in page and f"{token.prefix}…" in page and "Planilla" in page and "Not mine" not in page


def test_the_page_refuses_a_bad_lifetime(org):
    browser = Client(headers=ENGLISH)
    browser.force_login(org.vendedor_norte)
    response = browser.post(reverse("tokens:list"), {"name": "x", "expires_in_days": "400"})
    assert response.status_code == 422 and not ApiToken.objects.exists()
    assert "less than or equal to 366" in response.content.decode()


def test_the_page_revokes_the_owners_token_only(org, client):
    mine, key = ApiToken.issue(org.vendedor_norte)
    theirs, _their_key = ApiToken.issue(org.vendedor_sur)
    browser = Client()
    browser.force_login(org.vendedor_norte)
    assert browser.post(reverse("tokens:revoke", args=[theirs.pk])).status_code == 404
    assert browser.get(reverse("tokens:revoke", args=[mine.pk])).status_code == 405
    assert browser.post(reverse("tokens:revoke", args=[mine.pk])).status_code == 302
    assert not ApiToken.objects.filter(pk=mine.pk).exists() and ApiToken.objects.filter(pk=theirs.pk).exists()
    assert client.get("/api/v1/accounts", headers=bearer(key)).status_code == 401


def test_the_page_needs_a_signed_in_user_and_the_user_menu_links_to_it(org):
    assert Client().get(reverse("tokens:list")).status_code == 302
    browser = Client()
    browser.force_login(org.vendedor_norte)
    assert f'href="{reverse("tokens:list")}"' in browser.get(reverse("home")).content.decode()
