"""Vínculo settings: one file, driven by environment variables, SQLite by default."""

import json
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("VINCULO_DATA_DIR", PROJECT_DIR / "var"))
DATA_DIR.mkdir(parents=True, exist_ok=True)
DEBUG = env_bool("DEBUG", False)
# ---- Serving profile: the secret key (README "Production") ----
# The fallback key is for development, the demo and the tests only: `vinculo serve` refuses to start with it
# (core/management/commands/serve.py).
DEV_SECRET_KEY = "dev-insecure-key-change-me"
SECRET_KEY = os.environ.get("SECRET_KEY") or DEV_SECRET_KEY
# ---- end serving profile ----
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    # Listed so the API docs page is served from ninja's bundled Swagger UI files rather than a CDN.
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "vinculo.core",
    "vinculo.org",
    "vinculo.accounts",
    "vinculo.contacts",
    "vinculo.customer360",
    "vinculo.plans",
    "vinculo.activities",
    "vinculo.marketing",
    "vinculo.sales",
    "vinculo.work",
    "vinculo.exchange",
    "vinculo.reports",
    "vinculo.api",
    "vinculo.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serving profile: static files straight from STATIC_ROOT (before sessions and the rest: nothing else runs
    # for them), then the Content-Security-Policy header on every other response.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Reads the org-wide access defaults once per request and builds each access rule once per user
    # (core.access.access_scope).
    "vinculo.core.access.AccessScopeMiddleware",
    # Reads each currency's exchange rates once per request (core.money.rates_read_once).
    "vinculo.core.money.RatesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Two-factor sign-in (org/twofactor.py): django-otp marks a session that proved a second factor, then a
    # session still owing one reaches only the pages that settle it.
    "django_otp.middleware.OTPMiddleware",
    "vinculo.org.middleware.SecondFactorMiddleware",
    "vinculo.org.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "vinculo.urls"
# Django's form templates, with a <select> written in Python (core/renderers.py): same output, a tenth of the time.
FORM_RENDERER = "vinculo.core.renderers.FormRenderer"
WSGI_APPLICATION = "vinculo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "vinculo.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'vinculo.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Persistent connections (CONN_MAX_AGE, 60 s by default) on SQLite too: reopening the file on every request
    # costs 6–20 ms and starts with a cold page cache. Each gunicorn worker keeps one; runserver's per-request
    # threads simply open their own, and the test suite sets 0 (conftest.py).
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run while one writer writes; IMMEDIATE avoids lock upgrades failing mid-transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            "PRAGMA cache_size=-64000; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456;"
        ),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No just-in-time compilation: PostgreSQL starts it for any query its planner prices high, which the
    # policy's OR-ed subqueries often are, and compiling takes longer than running our page-sized queries
    # (bench/, large dataset: the director's contact list, 663 ms of query and 1.8 s of compiling).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates shown and typed as each language writes them (31-12-2026 in Spanish, 2026-12-31 in English).
FORMAT_MODULE_PATH = ["vinculo.core.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "America/Santiago")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The shell's stylesheet and script; each app keeps its own static/ too.
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"

# One cache shared by every worker (a table, created by migration core.0004; Redis when configured): what
# is cached there, such as the org-wide access defaults, changes for all workers at once.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "vinculo_cache"}}
if os.environ.get("REDIS_URL"):
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
if os.environ.get("REDIS_URL") and env_bool("TASKS_USE_RQ"):
    # django_rq brings the `rqworker` command (and RQBackend's system check requires it).
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": os.environ["REDIS_URL"]}}

# Events on commit (core.events): their handlers run as tasks of the backend above, started by `vinculo worker`.
VINCULO_EVENTS = {
    # Run handlers inside the writing request instead (the tests do, so they need no worker).
    "EAGER": env_bool("VINCULO_EVENTS_EAGER", False),
    "QUEUE": "default",
    # A failing handler is tried this many times in all, waiting BACKOFF_SECONDS, then twice as long each time.
    "ATTEMPTS": 5,
    "BACKOFF_SECONDS": 10,
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "vinculo@localhost")
# Where users reach Vínculo: the links in e-mails sent from the background (no request to ask).
VINCULO_SITE_URL = os.environ.get("VINCULO_SITE_URL", "http://localhost:8000")

SESSION_COOKIE_HTTPONLY = True

# ---- Serving profile: static files, HTTPS and security headers (README "Production") ----
# `vinculo serve` collects the static files into STATIC_ROOT, under hashed names (cached for ever by browsers)
# and compressed (core/staticfiles.py); WhiteNoise serves them. With DEBUG on (`make run`) the unhashed source
# files are served; the test process uses plain storage too (conftest.py), as nothing collects for it.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Uploaded files go through Django's storage API, in MEDIA_ROOT by default. Several app servers share them
# through object storage instead, e.g. VINCULO_FILE_STORAGE=storages.backends.s3.S3Storage (django-storages)
# with VINCULO_FILE_STORAGE_OPTIONS='{"bucket_name": "vinculo-files"}' (JSON, the backend's options).
STORAGES = {
    "default": {
        "BACKEND": os.environ.get("VINCULO_FILE_STORAGE") or "django.core.files.storage.FileSystemStorage",
        "OPTIONS": json.loads(os.environ.get("VINCULO_FILE_STORAGE_OPTIONS") or "{}"),
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG else "vinculo.core.staticfiles.StaticFilesStorage"
    },
}
# Behind a proxy that ends TLS: VINCULO_HTTPS=1 redirects plain HTTP to HTTPS, sends HSTS and marks the
# cookies Secure. Whether a request came over HTTPS is told by gunicorn, which believes X-Forwarded-Proto only
# from VINCULO_TRUSTED_PROXIES (`vinculo serve`), so SECURE_PROXY_SSL_HEADER, which would believe anyone, stays
# unset.
VINCULO_HTTPS = env_bool("VINCULO_HTTPS", False)
SECURE_SSL_REDIRECT = VINCULO_HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("VINCULO_HSTS_SECONDS", "31536000")) if VINCULO_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = VINCULO_HTTPS
SECURE_HSTS_PRELOAD = VINCULO_HTTPS and env_bool("VINCULO_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", VINCULO_HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [
    # security.W021 asks for HSTS preload. Preloading is the domain owner's decision, it binds every
    # subdomain of the registrable domain for months and browsers only take it from the apex domain, which
    # a CRM at crm.example.com does not serve: opt in with VINCULO_HSTS_PRELOAD=1.
    "security.W021",
    # django-otp-webauthn wants a fixed list of origins; ours come from its helper (org.twofactor.WebAuthnHelper):
    # VINCULO_WEBAUTHN_ORIGINS, or the site the browser reached.
    "otp_webauthn.E030",
]
# Content-Security-Policy (django-csp): scripts and styles only from our own static files, no inline script
# or style, no eval (htmx is told so in base.html's htmx-config). data: images are the stylesheets' icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# ---- end serving profile ----

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

VINCULO = {
    # Default country for tax ids and phone numbers typed without a prefix.
    "DEFAULT_COUNTRY": os.environ.get("VINCULO_DEFAULT_COUNTRY", "CL"),
    # Whose way of writing money Spanish follows for users without an office (es_CL, es_ES…; README "Formats").
    "LOCALE_COUNTRY": os.environ.get("VINCULO_LOCALE_COUNTRY") or os.environ.get("VINCULO_DEFAULT_COUNTRY", "CL"),
    "PAGE_SIZE": 25,
    # Lists count their rows exactly up to this many; past it they say "more than" and count on request.
    "EXACT_COUNT_UP_TO": int(os.environ.get("VINCULO_EXACT_COUNT_UP_TO", "10000")),
    # Invoice and payment amounts count as restricted financial data (org choice).
    "INVOICE_AMOUNTS_RESTRICTED": env_bool("VINCULO_INVOICE_AMOUNTS_RESTRICTED", False),
    "MAX_UPLOAD_MB": int(os.environ.get("VINCULO_MAX_UPLOAD_MB", "20")),
    # Exchange rates are stored against this currency.
    "BASE_CURRENCY": os.environ.get("VINCULO_BASE_CURRENCY", "CLP"),
}
# A list or report export of more rows than this runs in the background (a recorded job with progress and a
# download link) instead of inside the request.
VINCULO_EXPORT_INLINE_MAX_ROWS = int(os.environ.get("VINCULO_EXPORT_INLINE_MAX_ROWS", "5000"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024

# --- Sign-in protection and API tokens (harden-auth) -------------------------------------------------------
# django-axes counts failed sign-ins on every channel that calls `authenticate(request, …)` (the login page,
# the admin's, the API's POST /token) and locks by username and, separately, by client address after
# VINCULO_LOGIN_FAILURE_LIMIT failures, for VINCULO_LOGIN_COOLOFF_MINUTES (0: until an administrator unlocks,
# in /admin/ → Access attempts, or `vinculo axes_reset_username NAME` / `axes_reset_ip ADDRESS`).
from datetime import timedelta  # noqa: E402

INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as django-axes asks: it turns a lockout into the answer
AUTHENTICATION_BACKENDS = ["vinculo.org.signin.SignInGuard", "vinculo.org.signin.PermissionBackend",
                           "vinculo.org.permissions.AdministratorGrants"]
AXES_FAILURE_LIMIT = int(os.environ.get("VINCULO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("VINCULO_LOGIN_COOLOFF_MINUTES", "30"))) or None
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks
AXES_RESET_ON_SUCCESS = True  # a successful sign-in below the limit forgets the earlier failures
AXES_LOCKOUT_CALLABLE = "vinculo.org.signin.lockout_response"
AXES_CLIENT_IP_CALLABLE = "vinculo.org.signin.client_ip"
AXES_HTTP_RESPONSE_CODE = 429
# The proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed. None by default: the
# client is the peer address (REMOTE_ADDR), whatever a header says.
VINCULO_TRUSTED_PROXIES = env_list("VINCULO_TRUSTED_PROXIES")
# The lifetime of a new API token, unless its creator chooses another (1 to API_TOKEN_MAX_DAYS days).
VINCULO_API_TOKEN_DAYS = int(os.environ.get("VINCULO_API_TOKEN_DAYS", "90"))
VINCULO_API_TOKEN_MAX_DAYS = 366
# Two-factor sign-in (org/twofactor.py, docs/two-factor.md). The authenticator app's entry is named after the
# issuer; passkeys belong to the relying party, the host the browser reached unless VINCULO_WEBAUTHN_RP_ID fixes
# it (e.g. "crm.example.com"), and are accepted from VINCULO_WEBAUTHN_ORIGINS (default: that same site).
OTP_TOTP_ISSUER = "Vínculo"
OTP_WEBAUTHN_RP_NAME = "Vínculo"
OTP_WEBAUTHN_RP_ID_CALLABLE = "vinculo.org.twofactor.relying_party_id"
OTP_WEBAUTHN_HELPER_CLASS = "vinculo.org.twofactor.WebAuthnHelper"
# A passkey is a second factor after the password (counted by django-axes), never a way around it.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
VINCULO_WEBAUTHN_RP_ID = os.environ.get("VINCULO_WEBAUTHN_RP_ID", "")
VINCULO_WEBAUTHN_ORIGINS = env_list("VINCULO_WEBAUTHN_ORIGINS")
# --- end of sign-in protection and API tokens ----------------------------------------------------------------
