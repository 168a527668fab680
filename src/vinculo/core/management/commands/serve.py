"""`vinculo serve`: the production web server (README, "Production")."""

import os
import shlex

from django.conf import settings
from django.core.checks.security.base import SECRET_KEY_INSECURE_PREFIX
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from gunicorn.app.base import BaseApplication

# Django's own test for a weak key (check --deploy, security.W009).
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5
MAKE_A_KEY = 'python3 -c "import secrets; print(secrets.token_urlsafe(50))"'


def cpu_count() -> int:
    """The cores this process may run on (a container's CPU set, not the whole machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_workers() -> int:
    # gunicorn's rule of thumb: while one worker waits on the database, another computes.
    return 2 * cpu_count() + 1


def secret_key_problem() -> str | None:
    """Why the configured SECRET_KEY must not serve the site, or None when it may."""
    key = settings.SECRET_KEY
    if not os.environ.get("SECRET_KEY"):
        return "SECRET_KEY is not set."
    if key == settings.DEV_SECRET_KEY:
        return "SECRET_KEY is the development key, which is public."
    if (len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
            or key.startswith(SECRET_KEY_INSECURE_PREFIX)):
        return (f"SECRET_KEY is too weak: it needs at least {SECRET_KEY_MIN_LENGTH} characters, "
                f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} of them different.")
    return None


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "Serve Vínculo in production: gunicorn with DEBUG off, static files collected and served by WhiteNoise. "
        "Refuses to start without a SECRET_KEY of its own. Run `vinculo migrate` first, once per release."
    )
    # Run below with the deployment checks, once.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind", default=os.environ.get("VINCULO_BIND", "127.0.0.1:8000"),
            help="Address to listen on, HOST:PORT or unix:PATH (env VINCULO_BIND; default 127.0.0.1:8000).")
        parser.add_argument(
            "--workers", type=positive_int, default=None,
            help="Worker processes (env VINCULO_WORKERS; default 2 × cores + 1).")
        parser.add_argument(
            "--no-collectstatic", action="store_false", dest="collectstatic",
            help="Do not collect the static files first (they are already in STATIC_ROOT).")

    def handle(self, *args, bind, workers, collectstatic, **options):
        if settings.DEBUG:
            raise CommandError("DEBUG is on: `vinculo serve` is the production server and serves with DEBUG off. "
                               "Unset DEBUG (the development server is `make run`).")
        problem = secret_key_problem()
        if problem:
            raise CommandError(f"{problem} `vinculo serve` refuses to start: set SECRET_KEY in the environment "
                               f"to a long random value kept secret, the same on every app server, e.g. from "
                               f"`{MAKE_A_KEY}`.")
        if workers is None:
            try:
                workers = positive_int(os.environ.get("VINCULO_WORKERS") or str(default_workers()))
            except ValueError:
                raise CommandError(f"VINCULO_WORKERS must be a whole number of at least 1, not "
                                   f"{os.environ['VINCULO_WORKERS']!r}.") from None
        verbosity = options["verbosity"]
        say = self.stdout.write if verbosity else lambda text: None

        # The deployment checks (check --deploy) print their warnings; errors stop here.
        self.check(include_deployment_checks=True)
        if collectstatic:
            call_command("collectstatic", interactive=False, verbosity=0)
        self.warn_unapplied_migrations()
        # Workers are forked from this process: none may inherit its database connection.
        connections.close_all()

        config = {
            "bind": [bind],
            "workers": workers,
            # The application is loaded once, before the workers fork, so they share its memory.
            "preload_app": True,
            # X-Forwarded-Proto (is it HTTPS?) is believed from the same proxies as X-Forwarded-For for the
            # sign-in lockout (org.signin): none unless configured, not gunicorn's default of this machine.
            "forwarded_allow_ips": ",".join(settings.VINCULO_TRUSTED_PROXIES),
        }
        say(f"Vínculo serving on {bind} with {workers} worker{'s' if workers != 1 else ''}.")
        VinculoGunicorn(config).run()

    def warn_unapplied_migrations(self):
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            self.stderr.write(self.style.WARNING(
                f"{len(pending)} migration(s) are not applied: run `vinculo migrate` (once, from one server)."))


class VinculoGunicorn(BaseApplication):
    """gunicorn running Vínculo's WSGI application, configured by `vinculo serve`; any other gunicorn
    setting comes from GUNICORN_CMD_ARGS, as with the gunicorn command."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn ≥ 24 opens a control socket at one path per user: two servers on one machine would
            # fight over it, and nothing here uses it.
            self.cfg.set("control_socket_disable", True)
        for key, value in self.options.items():
            self.cfg.set(key, value)
        extra = os.environ.get("GUNICORN_CMD_ARGS")
        if extra:
            parsed = self.cfg.parser().parse_args(shlex.split(extra))
            for key, value in vars(parsed).items():
                if value is not None and key in self.cfg.settings and key != "args":
                    self.cfg.set(key.lower(), value)

    def load(self):
        from django.core.wsgi import get_wsgi_application

        from vinculo.core.startup import prepare_to_serve

        application = without_head_bodies(get_wsgi_application())
        prepare_to_serve()
        return application


def without_head_bodies(application):
    """Django answers HEAD with the GET body, which HTTP forbids; gunicorn drops it and logs a warning for
    each such response, so a proxy's HEAD health checks would fill the log. Drop it here instead (as
    Django's development server does), closing the response so Django's request-finished work still runs."""

    def wsgi(environ, start_response):
        result = application(environ, start_response)
        if environ.get("REQUEST_METHOD") != "HEAD":
            return result
        close = getattr(result, "close", None)
        if close:
            close()
        return []

    return wsgi
