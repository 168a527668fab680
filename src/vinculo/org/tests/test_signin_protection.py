"""Brute-force protection (django-axes): after AXES_FAILURE_LIMIT failures for a username, or from an
address, sign-in is locked on the login page and on the API's token endpoint alike, even with the right
password; X-Forwarded-For counts only from a trusted proxy; an administrator unlocks."""

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse

from vinculo.org.signin import client_ip, lockout_message
from vinculo.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIMIT = 3
PASSWORD = "correct horse 42"
TOKEN_URL = "/api/v1/auth/token"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.VINCULO_TRUSTED_PROXIES = []


@pytest.fixture
def maria(db):
    user = UserFactory(username="maria", language="en")
    user.set_password(PASSWORD)
    user.save()
    return user


def page_login(client, username, password, **headers):
    return client.post(reverse("login"), {"username": username, "password": password}, headers=headers)


def api_login(client, username, password, **headers):
    return client.post(TOKEN_URL, {"username": username, "password": password}, content_type="application/json",
                       headers=headers)


def _english(client):
    client.cookies["django_language"] = "en"
    return client


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# ---------- The login page ----------

def test_a_successful_sign_in_below_the_limit_works_and_forgets_the_failures(maria):
    client = _english(Client())
    for _ in range(LIMIT - 1):
        assert page_login(client, "maria", "wrong").status_code == 200
    assert page_login(client, "maria", PASSWORD).status_code == 302 and _signed_in(client)
    client.logout()
    for _ in range(LIMIT - 1):  # the count started again after the success
        page_login(client, "maria", "wrong")
    assert page_login(client, "maria", PASSWORD).status_code == 302


def test_the_login_page_locks_a_username_after_the_limit_even_for_the_right_password(maria):
    client = _english(Client())
    for attempt in range(LIMIT - 1):
        response = page_login(client, "maria", "wrong", X_Forwarded_For=f"10.0.0.{attempt}")
        assert response.status_code == 200 and "Please enter a correct username and password" in response.text
    response = page_login(client, "maria", "wrong")
    assert response.status_code == 429 and "Too many failed sign-in attempts" in response.text
    # Another address (a fresh client, REMOTE_ADDR changed) with the right password: the username is locked.
    other = _english(Client(REMOTE_ADDR="203.0.113.9"))
    response = page_login(other, "maria", PASSWORD)
    assert response.status_code == 429 and not _signed_in(other)
    assert "Too many failed sign-in attempts" in response.text and "30 minutes" in response.text


def test_the_login_page_locks_an_address_whatever_usernames_it_tries(maria):
    client = _english(Client(REMOTE_ADDR="198.51.100.7"))
    for attempt in range(LIMIT):
        page_login(client, f"nobody{attempt}", "wrong")
    response = page_login(client, "maria", PASSWORD)
    assert response.status_code == 429 and not _signed_in(client)
    # From elsewhere maria still signs in: only the address is locked.
    assert page_login(_english(Client(REMOTE_ADDR="198.51.100.8")), "maria", PASSWORD).status_code == 302


# ---------- The API's token endpoint ----------

def test_the_token_endpoint_locks_a_username_with_a_json_message(maria):
    client = Client()
    for _ in range(LIMIT - 1):
        assert api_login(client, "maria", "wrong").status_code == 401
    response = api_login(client, "maria", "wrong", accept_language="en")
    assert response.status_code == 429 and response.json()["detail"].startswith("Too many failed sign-in attempts")
    # In Spanish, the default language of a client that asks for none.
    response = api_login(client, "maria", "wrong")
    assert response.status_code == 429 and response.json()["detail"].startswith("Demasiados intentos fallidos")
    response = api_login(Client(REMOTE_ADDR="203.0.113.10"), "maria", PASSWORD)
    assert response.status_code == 429 and "token" not in response.json()


def test_the_token_endpoint_locks_an_address(maria):
    client = Client(REMOTE_ADDR="198.51.100.20")
    for attempt in range(LIMIT):
        api_login(client, f"ghost{attempt}", "wrong")
    assert api_login(client, "maria", PASSWORD).status_code == 429
    assert api_login(Client(REMOTE_ADDR="198.51.100.21"), "maria", PASSWORD).status_code == 200


def test_failures_on_one_channel_count_on_the_other(maria):
    client = _english(Client())
    for _ in range(LIMIT):
        api_login(client, "maria", "wrong")
    assert page_login(_english(Client(REMOTE_ADDR="203.0.113.30")), "maria", PASSWORD).status_code == 429


# ---------- Forwarded addresses ----------

def test_varying_x_forwarded_for_from_an_untrusted_client_changes_nothing(maria):
    client = Client(REMOTE_ADDR="198.51.100.40")
    for attempt in range(LIMIT):
        api_login(client, f"ghost{attempt}", "wrong", X_Forwarded_For=f"192.0.2.{attempt}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.40"}
    assert api_login(client, "maria", PASSWORD, X_Forwarded_For="192.0.2.200").status_code == 429


def test_from_a_trusted_proxy_the_forwarded_address_is_the_clients(settings, maria):
    settings.VINCULO_TRUSTED_PROXIES = ["10.1.0.0/16"]
    proxy = Client(REMOTE_ADDR="10.1.2.3")
    for attempt in range(LIMIT):
        api_login(proxy, f"ghost{attempt}", "wrong", X_Forwarded_For="192.0.2.50, 10.1.9.9")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"192.0.2.50"}
    # The client locked out is 192.0.2.50; another client behind the same proxy signs in.
    assert api_login(proxy, "maria", PASSWORD, X_Forwarded_For="192.0.2.50").status_code == 429
    assert api_login(proxy, "maria", PASSWORD, X_Forwarded_For="192.0.2.51").status_code == 200


@pytest.mark.parametrize("remote, forwarded, trusted, expected", [
    ("198.51.100.1", "1.2.3.4", [], "198.51.100.1"),  # no proxy trusted: the header is ignored
    ("198.51.100.1", "1.2.3.4", ["10.0.0.0/8"], "198.51.100.1"),  # the peer is no proxy of ours
    ("10.0.0.5", "1.2.3.4", ["10.0.0.0/8"], "1.2.3.4"),
    ("10.0.0.5", "6.6.6.6, 1.2.3.4", ["10.0.0.0/8"], "1.2.3.4"),  # a client's own spoofed hop stays left of it
    ("10.0.0.5", "1.2.3.4, 10.0.0.9", ["10.0.0.0/8"], "1.2.3.4"),  # two proxies of ours
    ("10.0.0.5", "", ["10.0.0.0/8"], "10.0.0.5"),
    ("10.0.0.5", "garbage, 10.0.0.9", ["10.0.0.0/8"], "10.0.0.9"),
    ("10.0.0.5", "2001:db8::1", ["10.0.0.5"], "2001:db8::1"),
])
def test_client_ip(settings, remote, forwarded, trusted, expected):
    settings.VINCULO_TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


# ---------- Unlocking ----------

def _lock(username="maria"):
    client = Client()
    for _ in range(LIMIT):
        api_login(client, username, "wrong")
    assert api_login(Client(REMOTE_ADDR="203.0.113.50"), username, PASSWORD).status_code == 429


def test_an_administrator_unlocks_in_the_admin(maria):
    _lock()
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    attempts = list(AccessAttempt.objects.filter(username="maria").values_list("pk", flat=True))
    changelist = reverse("admin:axes_accessattempt_changelist")
    assert client.get(changelist).status_code == 200
    response = client.post(changelist, {"action": "delete_selected", "_selected_action": attempts, "post": "yes"})
    assert response.status_code == 302
    assert api_login(Client(REMOTE_ADDR="203.0.113.51"), "maria", PASSWORD).status_code == 200


def test_the_unlock_command_frees_a_username(maria):
    _lock()
    call_command("axes_reset_username", "maria")
    assert api_login(Client(REMOTE_ADDR="203.0.113.52"), "maria", PASSWORD).status_code == 200


def test_without_a_cool_off_the_message_says_an_administrator_must_unlock(settings):
    settings.AXES_COOLOFF_TIME = None
    assert "until an administrator unlocks it" in lockout_message()


def test_the_token_endpoints_rate_limit_counts_by_the_same_client_address(settings):
    from vinculo.api.auth import ClientThrottle

    throttle = ClientThrottle("30/m")
    spoofed = RequestFactory().post(TOKEN_URL, REMOTE_ADDR="198.51.100.60", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert throttle.get_ident(spoofed) == "198.51.100.60"
    settings.VINCULO_TRUSTED_PROXIES = ["198.51.100.60"]
    assert throttle.get_ident(spoofed) == "192.0.2.1"
