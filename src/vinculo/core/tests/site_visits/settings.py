from vinculo.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "vinculo.core.tests.site_visits"]  # noqa: F405
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
