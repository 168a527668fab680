"""Scale-out shown, not claimed: two app servers and one worker, as separate processes, over one PostgreSQL
database and one Redis (the shared cache and the task queue), as the README's production layout has them.

Writes go through one server and reads through the other: each read sees every committed write at once, and
the access rules hold in both — a rep who loses sight of an account when an administrator makes accounts
private gets 404 (and no row in lists) from either server on the very next request.

Runs on the PostgreSQL leg of the suite (DATABASE_URL=postgres://…); Redis must answer on 127.0.0.1:6379.
"""

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from http.cookiejar import CookieJar
from pathlib import Path
from types import SimpleNamespace
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit, urlunsplit
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

import pytest
from django.db import connections

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="needs PostgreSQL: runs on the suite's PostgreSQL leg (DATABASE_URL=postgres://…)",
)

SRC = Path(__file__).resolve().parents[3]
# Database 14 of the machine's Redis, which nothing else uses (the RQ tests take 15); emptied at the end.
REDIS_URL = "redis://127.0.0.1:6379/14"
PASSWORD = "scale-out-test-password"

# Run in a fresh process on the new database: migrate, then the people of the test and their API tokens.
# Accounts start public read only, so a rep of another zone reads them until the administrator changes that.
SETUP = """
import json
import django

django.setup()
from django.core.management import call_command

if {migrate}:
    call_command("migrate", verbosity=0)
from vinculo.api.models import ApiToken
from vinculo.core.access import AccessLevel
from vinculo.org.models import OrgDefault, Role, User
from vinculo.sales.pipeline import active_stages

password = {password!r}
stages = active_stages()
director = Role.objects.create(name="Director")
admin = User.objects.create_superuser("scale.admin", "admin@example.com", password)
north = User.objects.create_user("scale.north", password=password,
                                 role=Role.objects.create(name="Rep North", parent=director))
south = User.objects.create_user("scale.south", password=password,
                                 role=Role.objects.create(name="Rep South", parent=director))
default, _ = OrgDefault.objects.update_or_create(record_type="accounts.account",
                                                 defaults={{"access": AccessLevel.PUBLIC_READ}})
print(json.dumps({{
    "tokens": {{user.username: ApiToken.issue(user)[1] for user in (admin, north, south)}},
    "org_default": default.pk, "stages": [stage.pk for stage in stages],
}}))
"""


def start_server(port: int, env: dict, log) -> subprocess.Popen:
    """One app server on `port`: the one place that says how a server is started (`vinculo serve`, the
    production server, with one gunicorn worker process). The servers share one VINCULO_DATA_DIR here, so the
    static files are collected once before they start (README, Production)."""
    return subprocess.Popen(
        [sys.executable, "-m", "vinculo", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--no-collectstatic"],
        env={**env, "GUNICORN_CMD_ARGS": "--graceful-timeout 5"}, stdout=log, stderr=subprocess.STDOUT,
    )


def start_worker(env: dict, log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "vinculo", "worker"], env=env, stdout=log,
                            stderr=subprocess.STDOUT)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _NoRedirects(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to look at (urllib raises it as an HTTPError)


def _send(opener, request) -> tuple[int, bytes]:
    try:
        with opener.open(request, timeout=20) as response:
            return response.status, response.read()
    except HTTPError as answer:
        return answer.code, answer.read()


def api(server: str, token: str, method: str, path: str, payload=None) -> tuple[int, dict]:
    """A call to the REST API with a bearer token: (status, decoded JSON or {})."""
    body = json.dumps(payload).encode() if payload is not None else None
    request = Request(f"{server}/api/v1{path}", data=body, method=method,
                      headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    status, content = _send(build_opener(), request)
    return status, json.loads(content) if content else {}


class Browser:
    """One user's browser: its cookies go with the host, not the port, so a session opened on one server is
    the session on the other (as behind a proxy)."""

    def __init__(self):
        self.jar = CookieJar()
        self.opener = build_opener(HTTPCookieProcessor(self.jar), _NoRedirects())

    def cookie(self, name: str) -> str:
        return next(cookie.value for cookie in self.jar if cookie.name == name)

    def get(self, url: str) -> tuple[int, bytes]:
        return _send(self.opener, Request(url))

    def post(self, url: str, fields: dict, headers: dict | None = None) -> tuple[int, bytes]:
        token = self.cookie("csrftoken")
        request = Request(url, data=urlencode({**fields, "csrfmiddlewaretoken": token}).encode(), method="POST",
                          headers={"X-CSRFToken": token, **(headers or {})})
        return _send(self.opener, request)

    def log_in(self, server: str, username: str) -> None:
        assert self.get(f"{server}/login/")[0] == 200
        status, _body = self.post(f"{server}/login/", {"username": username, "password": PASSWORD})
        assert status == 302, f"{username} could not log in on {server}: {status}"


def _wait_until_answering(server: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the process for {server} exited:\n{log.read_text()[-3000:]}")
        try:
            with build_opener().open(f"{server}/login/", timeout=2) as response:
                if response.status == 200:
                    return
        except (URLError, ConnectionError, OSError):
            pass
        time.sleep(0.2)
    pytest.fail(f"{server} did not answer within 40 s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def redis_reachable():
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    redis = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        redis.ping()
    except RedisConnectionError:
        if os.environ.get("CI"):
            pytest.fail("Redis is not answering on 127.0.0.1:6379: .ci/run starts it")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    redis.flushdb()
    yield redis
    redis.flushdb()
    redis.close()


@pytest.fixture
def site_database(transactional_db):
    """A PostgreSQL database of the test's own (vinculo_scaleout_<random>), dropped at the end: a copy of the
    suite's migrated test database (quicker than migrating; transactional_db leaves it committed and
    empty), or an empty one to migrate when another session is connected to that."""
    import psycopg

    settings_dict = connections["default"].settings_dict
    name = f"vinculo_scaleout_{uuid.uuid4().hex[:10]}"
    connections.close_all()
    server = {"host": settings_dict["HOST"] or None, "port": settings_dict["PORT"] or None,
              "user": settings_dict["USER"] or None, "password": settings_dict["PASSWORD"] or None}
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        try:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{settings_dict["NAME"]}"')
            migrated = True
        except psycopg.errors.ObjectInUse:  # someone is connected to the test database: migrate from scratch
            admin.execute(f'CREATE DATABASE "{name}"')
            migrated = False
    url = urlsplit(os.environ["DATABASE_URL"])
    yield SimpleNamespace(url=urlunsplit((url.scheme, url.netloc, f"/{name}", url.query, url.fragment)),
                          migrated=migrated)
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def site(site_database, redis_reachable, tmp_path):
    """Two app servers and a worker on the new database and Redis; stopped at the end."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=site_database.url, REDIS_URL=REDIS_URL, TASKS_USE_RQ="1", PYTHONPATH=str(SRC),
        VINCULO_DATA_DIR=str(tmp_path), SECRET_KEY=uuid.uuid4().hex * 2, DEBUG="0", VINCULO_EVENTS_EAGER="0",
        ALLOWED_HOSTS="127.0.0.1", DJANGO_SETTINGS_MODULE="vinculo.settings",
    )
    setup = subprocess.run([sys.executable, "-c", SETUP.format(password=PASSWORD, migrate=not site_database.migrated)], env=env, capture_output=True,
                           text=True, timeout=120)
    assert setup.returncode == 0, setup.stderr[-3000:]
    people = json.loads(setup.stdout.strip().splitlines()[-1])
    collect = subprocess.run([sys.executable, "-m", "vinculo", "collectstatic", "--no-input", "-v0"], env=env,
                             capture_output=True, text=True, timeout=120)
    assert collect.returncode == 0, collect.stderr[-3000:]
    processes, servers = [], []
    try:
        for letter in "ab":
            port, log = free_port(), tmp_path / f"server-{letter}.log"
            processes.append((start_server(port, env, log.open("w")), log))
            servers.append(f"http://127.0.0.1:{port}")
        log = tmp_path / "worker.log"
        processes.append((start_worker(env, log.open("w")), log))
        for server, (process, log) in zip(servers, processes[:2], strict=True):
            _wait_until_answering(server, process, log)
        yield {"a": servers[0], "b": servers[1], **people}
    finally:
        for process, _log in processes:
            process.terminate()
        for process, _log in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def visible_account_ids(server: str, token: str) -> set[int]:
    status, page = api(server, token, "GET", "/accounts?limit=100")
    assert status == 200
    return {item["id"] for item in page["items"]}


def test_two_servers_and_a_worker_share_every_write_at_once_and_keep_the_access_rules(site):
    a, b, tokens = site["a"], site["b"], site["tokens"]
    north, south, admin = tokens["scale.north"], tokens["scale.south"], tokens["scale.admin"]
    word = "escala" + uuid.uuid4().hex[:6]

    # An account created through A is read through B at once, by its owner and (public read) by a rep of the
    # other zone.
    status, account = api(a, north, "POST", "/accounts", {"legal_name": f"Minera {word.title()} SpA"})
    assert status == 201, account
    status, read = api(b, north, "GET", f"/accounts/{account['id']}")
    assert status == 200 and read["legal_name"] == account["legal_name"]
    assert api(b, south, "GET", f"/accounts/{account['id']}")[0] == 200
    assert account["id"] in visible_account_ids(b, south)

    # A deal created through B is read through A; moved on B's board (a session opened on B), its new stage
    # is what A answers next, and the session works on A too (sessions live in the database).
    status, deal = api(b, north, "POST", "/opportunities", {"name": f"Deal {word}", "account": account["id"]})
    assert status == 201, deal
    assert api(a, north, "GET", f"/opportunities/{deal['id']}")[1]["stage"]["id"] == deal["stage"]["id"]
    next_stage = next(stage for stage in site["stages"] if stage != deal["stage"]["id"])
    rep = Browser()
    rep.log_in(b, "scale.north")
    status, board = rep.post(f"{b}/sales/opportunities/{deal['id']}/move/",
                             {"stage": next_stage, "version": deal["version"], "board": ""},
                             headers={"HX-Request": "true"})
    assert status == 200, board[:500]
    status, moved = api(a, north, "GET", f"/opportunities/{deal['id']}")
    assert status == 200 and moved["stage"]["id"] == next_stage and moved["version"] == deal["version"] + 1
    assert rep.get(f"{a}/sales/opportunities/{deal['id']}/")[0] == 200

    # The worker (RQ on Redis) indexes the new account for search, whichever server wrote it; both servers
    # find it.
    deadline = time.monotonic() + 20
    while api(b, north, "GET", f"/accounts?q={word}")[1]["count"] != 1:
        assert time.monotonic() < deadline, "the worker did not index the new account within 20 s"
        time.sleep(0.2)
    assert api(a, south, "GET", f"/accounts?q={word}")[1]["count"] == 1

    # The administrator makes accounts private through A's admin; B applies it on the next request: the rep of
    # the other zone gets 404 and no row (list, search) from both servers, while the owner still reads it.
    assert api(b, admin, "GET", f"/accounts/{account['id']}")[0] == 200
    staff = Browser()
    staff.log_in(a, "scale.admin")
    change = f"{a}/admin/org/orgdefault/{site['org_default']}/change/"
    assert staff.get(change)[0] == 200
    status, _body = staff.post(change, {"record_type": "accounts.account", "access": "private", "_save": "Save"})
    assert status == 302
    for server in (b, a):
        assert api(server, south, "GET", f"/accounts/{account['id']}")[0] == 404
        assert account["id"] not in visible_account_ids(server, south)
        assert api(server, south, "GET", f"/accounts?q={word}")[1]["count"] == 0
        assert api(server, north, "GET", f"/accounts/{account['id']}")[0] == 200
    outsider = Browser()
    outsider.log_in(b, "scale.south")
    assert outsider.get(f"{a}/accounts/{account['id']}/")[0] == 404
    assert outsider.get(f"{b}/accounts/{account['id']}/")[0] == 404
