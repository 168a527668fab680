"""A new record type plugs in by registering, touching only its own app.

`site_visits/` (next to this file) is such an app: a model, two templates and an AppConfig that registers
the type's account-page section, global search entry and recycle-bin entry. A subprocess runs Vínculo
with it installed (its settings add only that app) and checks each of the three places shows it — and
shows nothing of it to a user who may not see the account. The suite's own settings leave it out, so no
other test sees the extra section.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import vinculo

APP = Path(__file__).parent / "site_visits"

SCRIPT = r"""
import json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", run_syncdb=True, verbosity=0)
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
from django.urls import reverse
from vinculo.accounts.tests.factories import AccountFactory
from vinculo.core.services import soft_delete
from vinculo.core.tests.site_visits.models import SiteVisit
from vinculo.org.models import OrgDefault
from vinculo.org.tests.factories import UserFactory

OrgDefault.objects.update_or_create(record_type="accounts.account", defaults={"access": "private"})
owner, outsider = UserFactory(username="owner"), UserFactory(username="outsider")
account = AccountFactory(owner=owner, legal_name="Minera Andina SpA")
SiteVisit.objects.create(account=account, place="Planta Calama")
gone = SiteVisit.objects.create(account=account, place="Bodega Antofagasta")
soft_delete(gone, owner)
seen = {}
for user in (owner, outsider):
    client = Client()
    client.force_login(user)
    page = client.get(reverse("accounts:detail", args=[account.pk]))
    # The section loads on demand: the page holds its placeholder, the fragment its rows.
    section = client.get(reverse("accounts:related", args=[account.pk, "site_visits"]), HTTP_HX_REQUEST="true")
    found = client.get(reverse("search"), {"q": "calama"}).content.decode()
    bin_page = client.get(reverse("core:recycle_bin")).content.decode()
    seen[user.username] = {
        "page": page.status_code,
        "section": 'id="site_visits"' in page.content.decode() and section.status_code == 200
        and "Planta Calama" in section.content.decode(),
        "search": "Planta Calama" in found,
        "recycle_bin": "Bodega Antofagasta" in bin_page,
    }
client = Client()
client.force_login(owner)
restore = client.post(reverse("core:restore", args=["site_visit", gone.pk]))
seen["restored"] = SiteVisit.objects.filter(pk=gone.pk, deleted_at__isnull=True).exists()
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def seen():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "vinculo.core.tests.site_visits.settings"}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_new_type_shows_in_its_account_page_section_search_and_recycle_bin(seen):
    assert seen["owner"] == {"page": 200, "section": True, "search": True, "recycle_bin": True}
    assert seen["restored"] is True


def test_a_user_who_may_not_see_the_account_sees_none_of_it(seen):
    assert seen["outsider"] == {"page": 404, "section": False, "search": False, "recycle_bin": False}


def test_no_other_app_names_the_new_type():
    """The app is self-contained: nothing outside its folder mentions it (this test file aside)."""
    package = Path(vinculo.__file__).parent
    mentions = [
        str(path.relative_to(package)) for path in package.rglob("*")
        if path.is_file() and path.suffix in {".py", ".html", ".toml", ".cfg"}
        and APP not in path.parents and path != Path(__file__)
        and ("site_visits" in path.read_text(encoding="utf-8", errors="ignore")
             or "SiteVisit" in path.read_text(encoding="utf-8", errors="ignore"))
    ]
    assert mentions == []
