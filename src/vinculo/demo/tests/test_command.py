from io import StringIO

import pytest
from django.core.management import call_command

from vinculo.accounts.models import Account, Address, DocumentVersion
from vinculo.activities.models import Activity
from vinculo.contacts.models import Contact
from vinculo.core.models import ChangeLog, SearchEntry
from vinculo.demo.records import MODELS as RECORD_MODELS
from vinculo.org.models import OrgDefault, User


def _counts():
    models = (User, Account, Address, Contact, ChangeLog, SearchEntry, OrgDefault, *RECORD_MODELS, DocumentVersion,
              Activity.contacts.through, Activity.participants.through)
    return {model.__name__: model._base_manager.count() for model in models}


@pytest.mark.django_db
def test_demo_command_loads_the_small_set_and_a_second_run_changes_nothing(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    first, second = StringIO(), StringIO()

    call_command("demo", "--size", "small", stdout=first)
    loaded = _counts()
    files = sorted(path for path in tmp_path.rglob("*") if path.is_file())
    call_command("demo", "--size", "small", stdout=second)

    assert "60 accounts, 250 contacts, 2,500 activities, 700 invoices" in first.getvalue()
    assert "nothing changed" in second.getvalue()
    assert _counts() == loaded
    assert sorted(path for path in tmp_path.rglob("*") if path.is_file()) == files
    assert len(files) == loaded["DocumentVersion"]
    assert loaded["Account"] == 60 and loaded["Contact"] == 250
    assert loaded["Activity"] == 2500 and loaded["Invoice"] == 700
    assert loaded["SearchEntry"] == 310  # every account and contact is searchable
    # and every record has its "created" history entry
    assert loaded["ChangeLog"] == 310 + sum(loaded[model.__name__] for model in RECORD_MODELS)
