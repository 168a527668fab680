import pytest
from django.core.files.base import ContentFile

from vinculo.exchange import importing
from vinculo.exchange.models import ImportJob


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def run_import():
    """Import `data` as `user` and return the finished job (run here, as the worker would)."""

    def run(user, name, data, kind="contacts", on_duplicate="skip", **options):
        job = ImportJob(user=user, kind=kind, filename=name, on_duplicate=on_duplicate,
                        status=ImportJob.Status.QUEUED, **options)
        job.file.save(name, ContentFile(data), save=False)
        job.save()
        return importing.run(job)

    return run
