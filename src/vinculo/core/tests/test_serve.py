"""The serving profile (README, "Production"): `vinculo serve` is run for real, as a process on a free port over
a fresh SQLite database, with DEBUG off; `vinculo check --deploy` is run with the documented environment."""

import gzip
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from vinculo.core.management.commands import serve

SRC = Path(__file__).resolve().parents[3]
STATIC_SOURCE = SRC / "vinculo" / "static"
# Strong by Django's measure (50+ characters, varied); fixed, so parallel workers collect the same test ids.
A_KEY = "tests-only-Qm7vX2pL9wK4sR8tY1uB5nC3zJ6hD0fG2aE6iO9rT"
# Variables the machine or the test run may have set that would change what is measured.
PASSWORD = "a-long-password-for-the-served-site"
NOT_INHERITED = {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "TASKS_USE_RQ", "ALLOWED_HOSTS",
                 "CSRF_TRUSTED_ORIGINS", "SECURE_COOKIES", "GUNICORN_CMD_ARGS", "FORWARDED_ALLOW_IPS"}


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in NOT_INHERITED and not key.startswith("VINCULO_")}
    env.update(PYTHONPATH=str(SRC), VINCULO_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="vinculo.settings")
    env.update(extra)
    return env


def vinculo(*args: str, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vinculo", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`vinculo serve` running in the background, one worker."""

    def __init__(self, data_dir: Path, *args: str, **env: str):
        self.port = free_port()
        self.log = data_dir / f"serve-{self.port}.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "vinculo", "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", "1",
                 *args],
                env=environment(data_dir, SECRET_KEY=A_KEY, **env), stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 120
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"vinculo serve exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"vinculo serve did not listen within 120 s:\n{self.log.read_text()}")
                time.sleep(0.2)

    def get(self, path: str, method: str = "GET", **headers: str):
        """(status, headers, body) of a GET; redirects are not followed."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers, method=method)
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def sign_in(self, username: str, password: str) -> urllib.request.OpenerDirector:
        """A browser-like client (cookies kept) signed in through the login form, CSRF token included."""
        client = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        form = client.open(f"http://127.0.0.1:{self.port}/login/", timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password})
        with client.open(f"http://127.0.0.1:{self.port}/login/", data=data.encode(), timeout=30) as response:
            assert response.url == f"http://127.0.0.1:{self.port}/", "the login did not land on the home page"
        return client

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A data directory with a migrated SQLite database of its own (not the test database)."""
    path = tmp_path_factory.mktemp("served")
    result = vinculo("migrate", "--no-input", "-v0", env=environment(path))
    assert result.returncode == 0, result.stderr
    result = vinculo("createsuperuser", "--no-input", "--username", "admin", "--email", "admin@example.cl",
                     env=environment(path, DJANGO_SUPERUSER_PASSWORD=PASSWORD))
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def server(data_dir):
    started = []

    def start(*args, **env) -> Server:
        started.append(Server(data_dir, *args, **env))
        return started[-1]

    yield start
    for each in started:
        each.stop()


def assert_security_headers(headers):
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe" not in policy
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_serve_with_debug_off_serves_the_pages_and_their_hashed_compressed_static_files(server):
    site = server()

    status, headers, body = site.get("/login/")
    assert status == 200
    assert_security_headers(headers)
    assert "Strict-Transport-Security" not in headers  # HTTPS is off: no HSTS, no redirect
    assert "Secure" not in headers["Set-Cookie"]
    page = body.decode()
    # The page names its static files by content hash (cached for ever); each is served, with its content.
    stylesheet = re.search(r'href="(/static/vinculo/app\.[0-9a-f]{12}\.css)"', page).group(1)
    script = re.search(r'src="(/static/vinculo/app\.[0-9a-f]{12}\.js)"', page).group(1)
    assert re.search(r'src="/static/django_htmx/htmx-2\.min\.[0-9a-f]{12}\.js"', page)

    status, headers, body = site.get(stylesheet)
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert "immutable" in headers["Cache-Control"] and "max-age=315360000" in headers["Cache-Control"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert body == (STATIC_SOURCE / "vinculo" / "app.css").read_bytes()

    status, headers, body = site.get(script, **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == (STATIC_SOURCE / "vinculo" / "app.js").read_bytes()

    # A signed-in page, reached through the login form (its CSRF check included).
    client = site.sign_in("admin", PASSWORD)
    with client.open(f"http://127.0.0.1:{site.port}/accounts/", timeout=30) as response:
        assert response.status == 200
        assert_security_headers(response.headers)
        assert b'id="global-search"' in response.read()

    # HEAD (a proxy's health check) answers the headers alone, and leaves nothing in the log.
    status, headers, body = site.get("/login/", method="HEAD")
    assert (status, body) == (200, b"")
    assert_security_headers(headers)

    # DEBUG is off: a missing page is the plain 404, not Django's debug page listing the URLs.
    status, headers, body = site.get("/no-such-page/")
    assert status == 404
    assert b"URLconf" not in body and b"Traceback" not in body
    assert "no-body response" not in site.log.read_text()


def test_with_https_on_plain_http_is_redirected_and_https_gets_hsts_and_secure_cookies(server):
    # The proxy in front is this machine: its X-Forwarded-Proto says whether the browser used HTTPS.
    site = server("--no-collectstatic", VINCULO_HTTPS="1", VINCULO_TRUSTED_PROXIES="127.0.0.1")

    status, headers, _ = site.get("/login/")
    assert status == 301
    assert headers["Location"] == f"https://127.0.0.1:{site.port}/login/"

    status, headers, _ = site.get("/login/", **{"X-Forwarded-Proto": "https"})
    assert status == 200
    assert_security_headers(headers)
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert re.search(r"csrftoken=[^;]+;.*\bSecure\b", headers["Set-Cookie"])


def test_x_forwarded_proto_from_an_untrusted_address_is_not_believed(server):
    # Only 192.0.2.1 is a proxy: the same header sent from 127.0.0.1 does not make the request HTTPS.
    site = server("--no-collectstatic", VINCULO_HTTPS="1", VINCULO_TRUSTED_PROXIES="192.0.2.1")

    status, headers, _ = site.get("/login/", **{"X-Forwarded-Proto": "https"})
    assert status == 301
    assert "Strict-Transport-Security" not in headers


def test_serve_exits_with_a_clear_message_without_a_secret_key(data_dir):
    result = vinculo("serve", "--bind", f"127.0.0.1:{free_port()}", env=environment(data_dir), timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("CommandError: SECRET_KEY is not set. `vinculo serve` refuses to start: set "
                                    "SECRET_KEY in the environment")
    assert "Listening at" not in result.stdout + result.stderr


@pytest.mark.parametrize(("key", "debug", "message"), [
    pytest.param("dev-insecure-key-change-me", False, "SECRET_KEY is the development key", id="development-key"),
    pytest.param("x" * 60, False, "SECRET_KEY is too weak", id="one-character-repeated"),
    pytest.param("a1b2c" * 9 + "d", False, "SECRET_KEY is too weak", id="46-characters"),
    # Django marks the keys startproject generates for development with this prefix.
    pytest.param("django-insecure-" + A_KEY, False, "SECRET_KEY is too weak", id="django-insecure-prefix"),
    pytest.param(A_KEY, True, "DEBUG is on", id="debug-on"),
])
def test_serve_refuses_a_weak_or_development_key_and_debug(db, monkeypatch, settings, key, debug, message):
    from django.core.management import CommandError, call_command

    ran = []
    monkeypatch.setattr(serve.VinculoGunicorn, "run", lambda app: ran.append(app))
    monkeypatch.setenv("SECRET_KEY", key)
    settings.SECRET_KEY = key
    settings.DEBUG = debug
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("serve", "--no-collectstatic", verbosity=0)
    assert ran == []


def test_a_strong_key_of_fifty_characters_is_accepted(db, monkeypatch, settings):
    from django.core.management import call_command

    ran = []
    monkeypatch.setattr(serve.VinculoGunicorn, "run", lambda app: ran.append(app))
    key = "a1b2c" * 10  # exactly 50 characters, 5 distinct: the lowest Django's check accepts
    monkeypatch.setenv("SECRET_KEY", key)
    settings.SECRET_KEY = key
    call_command("serve", "--no-collectstatic", "--workers", "1", verbosity=0)
    assert len(ran) == 1


def test_check_deploy_reports_nothing_with_the_documented_settings(data_dir):
    documented = environment(data_dir, SECRET_KEY=A_KEY, VINCULO_HTTPS="1", ALLOWED_HOSTS="crm.example.com",
                             CSRF_TRUSTED_ORIGINS="https://crm.example.com")

    result = vinculo("check", "--deploy", "--fail-level", "WARNING", env=documented)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert result.stderr == ""


def test_check_deploy_warns_when_https_is_off(data_dir):
    result = vinculo("check", "--deploy", "--fail-level", "WARNING", env=environment(data_dir, SECRET_KEY=A_KEY))
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr


def test_workers_default_to_twice_the_cores_plus_one_and_follow_vinculo_workers(db, monkeypatch, settings):
    started = []
    monkeypatch.setattr(serve.VinculoGunicorn, "run", lambda app: started.append(app.options))
    # Closing the connections before forking would end the test's transaction (PostgreSQL): nothing forks here.
    monkeypatch.setattr(serve.connections, "close_all", lambda: None)
    monkeypatch.setattr(serve, "cpu_count", lambda: 3)
    monkeypatch.delenv("VINCULO_WORKERS", raising=False)
    monkeypatch.delenv("VINCULO_BIND", raising=False)
    monkeypatch.setenv("SECRET_KEY", A_KEY)
    settings.SECRET_KEY = A_KEY
    settings.DEBUG = False

    from django.core.management import call_command

    call_command("serve", "--no-collectstatic", verbosity=0)
    monkeypatch.setenv("VINCULO_WORKERS", "4")
    call_command("serve", "--no-collectstatic", "--bind", "0.0.0.0:9000", verbosity=0)
    call_command("serve", "--no-collectstatic", "--workers", "2", verbosity=0)

    assert [(options["workers"], options["bind"]) for options in started] == [
        (7, ["127.0.0.1:8000"]), (4, ["0.0.0.0:9000"]), (2, ["127.0.0.1:8000"])]
    assert all(options["preload_app"] for options in started)


def test_vinculo_workers_must_be_a_positive_whole_number(db, monkeypatch, settings):
    from django.core.management import CommandError, call_command

    monkeypatch.setenv("SECRET_KEY", A_KEY)
    settings.SECRET_KEY = A_KEY
    monkeypatch.setenv("VINCULO_WORKERS", "0")
    with pytest.raises(CommandError, match="VINCULO_WORKERS must be a whole number of at least 1, not '0'"):
        call_command("serve", "--no-collectstatic", verbosity=0)


def test_uploaded_files_go_to_the_storage_backend_the_environment_names(data_dir):
    env = environment(data_dir, VINCULO_FILE_STORAGE="django.core.files.storage.InMemoryStorage",
                      VINCULO_FILE_STORAGE_OPTIONS='{"base_url": "/files/"}')
    result = vinculo("shell", "-c", "from django.core.files.storage import storages; "
                     "print(type(storages['default']).__name__, storages['default'].base_url)", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "InMemoryStorage /files/"


def test_static_names_are_hashed_from_the_manifest_and_plain_before_anything_is_collected(tmp_path):
    import json

    from vinculo.core.staticfiles import StaticFilesStorage

    storage = StaticFilesStorage(location=tmp_path, base_url="/static/")
    assert storage.url("vinculo/app.css") == "/static/vinculo/app.css"

    (tmp_path / "staticfiles.json").write_text(
        json.dumps({"version": "1.1", "hash": "x", "paths": {"vinculo/app.css": "vinculo/app.0123456789ab.css"}}))
    storage = StaticFilesStorage(location=tmp_path, base_url="/static/")
    assert storage.url("vinculo/app.css") == "/static/vinculo/app.0123456789ab.css"
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry for 'vinculo/new.css'"):
        storage.url("vinculo/new.css")


def test_other_gunicorn_settings_come_from_gunicorn_cmd_args(monkeypatch):
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--access-logfile - --timeout 60")
    app = serve.VinculoGunicorn({"bind": ["127.0.0.1:9999"], "workers": 3, "forwarded_allow_ips": "10.0.0.0/8"})
    assert (app.cfg.accesslog, app.cfg.timeout, app.cfg.workers, app.cfg.bind) == ("-", 60, 3, ["127.0.0.1:9999"])
    assert app.cfg.forwarded_allow_ips == ["10.0.0.0/8"]
