"""Standing users for permission tests, shaped like the demo organisation.

Director › Zone manager North › Rep North, and Director › Zone manager South › Rep South.
`org.north_account` is owned by vendedor.norte and private (the org default for accounts and
contacts is private), so every channel can be checked against the same matrix.
"""

import importlib
import os
from types import SimpleNamespace

import hypothesis
import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connections
from django.utils import translation

from vinculo.accounts.tests.factories import AccountFactory
from vinculo.contacts.tests.factories import ContactFactory
from vinculo.core.access import AccessLevel
from vinculo.org.models import OrgDefault, Role
from vinculo.org.tests.factories import UserFactory

# CI draws the same hypothesis examples on every run (derandomize), so a red CI is reproducible and not a
# lucky draw; at a desk hypothesis explores new examples each run and keeps failing ones in .hypothesis/.
# No deadline in CI: two workers on two cores make timings noisy. HYPOTHESIS_PROFILE picks one by hand.
hypothesis.settings.register_profile("ci", derandomize=True, database=None, deadline=None)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default"))


def pytest_configure(config):
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A process's own cache even when REDIS_URL is set: `_fresh_cache` clears it around every test, and
    # parallel workers (one test database each) must not share the org-default cache.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Persistent connections from the live server's threads would keep PostgreSQL from dropping the test database.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Event handlers (the search index) run inside the writing test's transaction, which never commits;
    # core/tests/test_events.py turns this off to check delivery after commit through each task backend.
    settings.VINCULO_EVENTS = {**settings.VINCULO_EVENTS, "EAGER": True}
    # Sign-in lockout (django-axes) stays on but out of reach of tests that fail a few sign-ins on purpose
    # (the token endpoint's rate limit); org/tests/test_signin_protection.py sets the limit it checks.
    settings.AXES_FAILURE_LIMIT = 1000
    # Nothing collects the static files for the tests: plain URLs, served from the apps' static folders.
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        _serve_one_request_at_a_time()


def _serve_one_request_at_a_time():
    """The browser tests' live server answers one request at a time on SQLite. Its test database lives in
    memory, so Django hands the server the test's own connection, and a threaded server shares that one
    sqlite3 connection between every request thread: a page firing several htmx requests at once then saw
    "database table is locked" or hung with two threads inside the same connection (a make test run stuck at
    98 % on an account page). One thread serves them in turn (each response closes its connection, so the
    browser's parallel requests queue); PostgreSQL gives each thread its own connection and stays threaded."""
    from django.core.servers.basehttp import WSGIServer
    from django.test.testcases import LiveServerThread

    class OneRequestAtATime(WSGIServer):
        def __init__(self, *args, connections_override=None, **kwargs):
            super().__init__(*args, **kwargs)  # the serving thread already uses the overridden connections

    LiveServerThread.server_class = OneRequestAtATime


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, request):
    """With --nomigrations (`make mutate`), tables come straight from the models: add the two things only
    migrations create, the search index and the default pipeline."""
    if request.config.getoption("nomigrations"):
        from django.db import connection

        from vinculo.sales.pipeline import active_stages

        search_index = importlib.import_module("vinculo.core.migrations.0003_search_index")
        with django_db_blocker.unblock():
            if "core_searchentry_fts" not in connection.introspection.table_names():
                with connection.schema_editor() as editor:
                    search_index.forward(None, editor)
            active_stages()
    yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The org-default cache must not leak across tests whose transactions roll back; the process-wide
    # content-type cache starts cold too, so a test counts the same queries whatever ran before it.
    cache.clear()
    ContentType.objects.clear_cache()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _migrated_pipeline(request):
    """Every test that uses the database finds the default pipeline that migration sales.0002 created.
    A transactional test ends by flushing every table: content types and permissions come back by
    themselves (post_migrate), the pipeline stages do not, and whichever test runs next on that database
    (another file's, under xdist or a random order) would find none."""
    database_fixtures = {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    if database_fixtures or request.node.get_closest_marker("django_db"):
        from vinculo.sales.pipeline import active_stages

        request.getfixturevalue("db")  # the test's own database fixture (transactional_db wins), set up first
        active_stages()


@pytest.fixture(autouse=True)
def _english():
    # Code run outside a request speaks the active language, which a previous test's request may have
    # left in Spanish (the site default): start every test in English, the msgids' language.
    with translation.override("en"):
        yield


@pytest.fixture
def org(db):
    director_role = Role.objects.create(name="Sales director")
    north_role = Role.objects.create(name="Zone manager North", parent=director_role)
    south_role = Role.objects.create(name="Zone manager South", parent=director_role)
    rep_north_role = Role.objects.create(name="Rep North", parent=north_role)
    rep_south_role = Role.objects.create(name="Rep South", parent=south_role)
    for record_type in ("accounts.account", "contacts.contact"):
        OrgDefault.objects.update_or_create(record_type=record_type, defaults={"access": AccessLevel.PRIVATE})

    admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    director = UserFactory(username="director", role=director_role)
    gerente_norte = UserFactory(username="gerente.norte", role=north_role, manager=director)
    gerente_sur = UserFactory(username="gerente.sur", role=south_role, manager=director)
    vendedor_norte = UserFactory(username="vendedor.norte", role=rep_north_role, manager=gerente_norte)
    vendedor_norte2 = UserFactory(username="vendedor.norte2", role=rep_north_role, manager=gerente_norte)
    vendedor_sur = UserFactory(username="vendedor.sur", role=rep_south_role, manager=gerente_sur)
    finance = UserFactory(username="finanzas", role=director_role)
    finance.user_permissions.add(Permission.objects.get(codename="view_financial_data"))
    catalogue_manager = UserFactory(username="catalogo", role=director_role)
    catalogue_manager.user_permissions.add(Permission.objects.get(codename="manage_catalogue"))

    north_account = AccountFactory(owner=vendedor_norte, legal_name="Minera Norte Grande SpA",
                                   credit_grade="B", bank_details="Banco de Chile 123")
    south_account = AccountFactory(owner=vendedor_sur, legal_name="Pesquera Sur Austral SpA")
    return SimpleNamespace(
        admin=admin, director=director, gerente_norte=gerente_norte, gerente_sur=gerente_sur,
        vendedor_norte=vendedor_norte, vendedor_norte2=vendedor_norte2, vendedor_sur=vendedor_sur,
        finance=finance, catalogue_manager=catalogue_manager, north_account=north_account, south_account=south_account,
        north_contact=ContactFactory(account=north_account, last_name="Araya", email="araya@norte.cl"),
        south_contact=ContactFactory(account=south_account, last_name="Bustos", email="bustos@sur.cl"),
    )


CHROMIUM = "/usr/bin/chromium"


def require_chromium(path: str) -> None:
    """Skip a browser test when VINCULO_SKIP_BROWSER is set; fail it when the browser is missing. A missing
    browser must not pass quietly: a green `make test` means the browser tests ran (README, Quick start)."""
    import shutil

    if os.environ.get("VINCULO_SKIP_BROWSER", "").strip().lower() in {"1", "true", "yes", "on"}:
        pytest.skip("VINCULO_SKIP_BROWSER is set")
    if not shutil.which(path):
        pytest.fail(f"{path} is missing, so the browser tests cannot run: install it with "
                    f"`apt-get install chromium`, or set VINCULO_SKIP_BROWSER=1 to skip them on purpose.",
                    pytrace=False)


@pytest.fixture
def browser_page(live_server, transactional_db, monkeypatch):
    """A Playwright page in Debian's chromium, pointed at the live server. CI must have chromium."""
    require_chromium(CHROMIUM)
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test are safe.
    # (Only during this test: later tests must still be told when they call the ORM from async code.)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        context = browser.new_context(base_url=live_server.url, locale="es-CL", viewport={"width": 1280, "height": 900})
        # Generous waits: CI runs two test workers on two cores, and a page of the live server (one thread per
        # request, a test database on a loaded disk) has been seen to take over 10 s to load there.
        context.set_default_timeout(30_000)
        expect.set_options(timeout=15_000)
        page = context.new_page()
        yield page
        context.close()
        browser.close()
        # While Playwright's loop runs in this thread, Django keeps the connections the test opened apart from
        # the thread's own (asgiref sees a running loop): close them, or PostgreSQL keeps a session on the
        # test database and cannot drop it at the end of the run.
        connections.close_all()
