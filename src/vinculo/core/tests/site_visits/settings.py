from vinculo.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "vinculo.core.tests.site_visits"]  # noqa: F405
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
# No worker runs in the subprocess: the search index follows each write at once.
VINCULO_EVENTS = {**VINCULO_EVENTS, "EAGER": True}  # noqa: F405
