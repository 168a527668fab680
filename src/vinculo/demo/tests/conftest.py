import pytest
from django.db import transaction
from django.test import override_settings

from vinculo.demo.builders import SIZES, load_demo
from vinculo.org.models import User


@pytest.fixture(scope="module")
def _small_demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The small demo, loaded once per test module inside a transaction that is rolled back at its end;
    each test runs in a savepoint of it, so what a test changes is undone too."""
    # Demo files go through the default storage: keep them out of the project's var/.
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        with transaction.atomic():
            load_demo(SIZES["small"])
            yield
            transaction.set_rollback(True)


@pytest.fixture
def demo(_small_demo, db):
    return {user.username: user for user in User.objects.all()}
