import datetime
import re

import pytest
from django.test import Client

from vinculo.api.models import ApiToken, hash_key
from vinculo.core import clock

pytestmark = pytest.mark.django_db


# Anonymous calls speak the browser's language; these tests read the English messages.
ENGLISH = {"Accept-Language": "en"}


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}", **ENGLISH}


def test_token_from_username_and_password_then_authenticates_requests(org, client):
    response = client.post("/api/v1/auth/token", {"username": "vendedor.norte", "password": "demo"},
                           content_type="application/json")
    assert response.status_code == 200
    key = response.json()["token"]
    listed = client.get("/api/v1/accounts", headers=bearer(key))
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["items"]] == [org.north_account.pk]


def test_only_a_hash_of_the_token_is_stored(org):
    token, key = ApiToken.issue(org.vendedor_norte)
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hash_key(key) != key
    assert key.startswith(stored.prefix)
    assert not ApiToken.objects.filter(key_hash=key).exists()


def test_using_a_token_records_when_it_was_last_used(org, client):
    token, key = ApiToken.issue(org.vendedor_norte)
    assert token.last_used_at is None
    client.get("/api/v1/accounts", headers=bearer(key))
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_last_use_is_written_again_only_after_more_than_a_minute(org, client, monkeypatch):
    token, key = ApiToken.issue(org.vendedor_norte)
    first = datetime.datetime(2026, 3, 10, 12, 0, 0, tzinfo=datetime.timezone.utc)

    def use_at(seconds_later):
        monkeypatch.setattr(clock, "now", lambda: first + datetime.timedelta(seconds=seconds_later))
        assert client.get("/api/v1/accounts", headers=bearer(key)).status_code == 200
        return ApiToken.objects.get(pk=token.pk).last_used_at

    assert use_at(0) == first
    assert use_at(60) == first  # exactly a minute: not written again
    assert use_at(61) == first + datetime.timedelta(seconds=61)
    assert use_at(121) == first + datetime.timedelta(seconds=61)  # a minute after the last write
    assert use_at(122) == first + datetime.timedelta(seconds=122)


@pytest.mark.parametrize("credentials", [
    {"username": "vendedor.norte", "password": "wrong"},
    {"username": "nobody", "password": "demo"},
])
def test_wrong_credentials_answer_401_json(org, client, credentials):
    response = client.post("/api/v1/auth/token", credentials, content_type="application/json", headers=ENGLISH)
    assert response.status_code == 401
    assert response.json() == {"detail": "Wrong username or password."}
    assert not ApiToken.objects.exists()


def test_password_guessing_is_throttled(org, client):
    statuses = [
        client.post("/api/v1/auth/token", {"username": "admin", "password": f"guess{n}"},
                    content_type="application/json").status_code
        for n in range(31)
    ]
    assert statuses == [401] * 30 + [429]


def test_missing_credentials_answer_422_naming_the_field(client):
    response = client.post("/api/v1/auth/token", {"username": "x"}, content_type="application/json")
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["detail"]] == ["password"]


def test_malformed_json_answers_a_json_error(client):
    response = client.post("/api/v1/auth/token", "{not json", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert "detail" in response.json()


@pytest.mark.parametrize("headers", [ENGLISH, bearer("made-up"), {"Authorization": "Token abc", **ENGLISH}])
def test_requests_without_a_valid_token_answer_401_json(org, client, headers):
    response = client.get("/api/v1/accounts", headers=headers)
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


def test_token_of_a_deactivated_user_stops_working(org, client):
    _token, key = ApiToken.issue(org.vendedor_norte)
    org.vendedor_norte.is_active = False
    org.vendedor_norte.save()
    assert client.get("/api/v1/accounts", headers=bearer(key)).status_code == 401


def test_revoked_token_stops_working(org, client):
    _token, key = ApiToken.issue(org.vendedor_norte)
    assert client.delete("/api/v1/auth/token", headers=bearer(key)).status_code == 204
    assert client.get("/api/v1/accounts", headers=bearer(key)).status_code == 401


def test_browser_session_works_and_writes_need_the_csrf_token(org):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(org.vendedor_norte)
    assert browser.get("/api/v1/accounts").status_code == 200
    path = f"/api/v1/accounts/{org.north_account.pk}"
    refused = browser.patch(path, {"trade_name": "X", "version": 1}, content_type="application/json")
    assert refused.status_code == 403
    assert "detail" in refused.json()
    browser.get("/api/v1/docs")  # sets the CSRF cookie, as a page would
    allowed = browser.patch(path, {"trade_name": "X", "version": 1}, content_type="application/json",
                            headers={"X-CSRFToken": browser.cookies["csrftoken"].value})
    assert allowed.status_code == 200


def test_unknown_api_path_answers_json_404(org, client):
    response = client.get("/api/v1/no-such-thing", headers=bearer(ApiToken.issue(org.admin)[1]))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_openapi_document_describes_the_endpoints(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/auth/token", "/api/v1/accounts", "/api/v1/accounts/{account_id}", "/api/v1/contacts",
            "/api/v1/contacts/{contact_id}"} <= set(schema["paths"])
    assert set(schema["paths"]["/api/v1/accounts/{account_id}"]) == {"get", "patch", "delete"}


def test_docs_page_loads_swagger_from_this_server_not_a_cdn(client):
    html = client.get("/api/v1/docs").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/ninja/swagger-ui-bundle.js" in sources
    assert all(source.startswith("/static/") for source in sources)
