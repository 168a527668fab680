"""An org-wide default changed in one worker applies in every other worker at once: each worker is a
process of its own (core/tests/org_default_worker.py) with its own memory, over one database file."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from vinculo.core.access import AccessLevel
from vinculo.org.models import OrgDefault

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="copies the SQLite test database to a file")

SRC = Path(__file__).resolve().parents[3]


class Worker:
    def __init__(self, database: Path):
        env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
        env.update(DATABASE_URL=f"sqlite:///{database}", PYTHONPATH=str(SRC), VINCULO_DATA_DIR=str(database.parent))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "vinculo.core.tests.org_default_worker"], env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )
        assert self.answer() == "ready"

    def answer(self) -> str:
        return self.process.stdout.readline().strip()

    def ask(self, *words) -> str:
        self.process.stdin.write(" ".join(map(str, words)) + "\n")
        self.process.stdin.flush()
        return self.answer()

    def stop(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture
def two_workers(transactional_db, tmp_path):
    def start(database):
        first, second = Worker(database), Worker(database)
        started.extend([first, second])
        return first, second

    started = []
    yield start
    for worker in started:
        worker.stop()


def copy_of_the_test_database(tmp_path) -> Path:
    connection.ensure_connection()
    target = tmp_path / "vinculo.sqlite3"
    with sqlite3.connect(target) as copy:
        connection.connection.backup(copy)
    return target


def test_an_org_default_changed_in_one_worker_applies_in_the_other_at_once(org, two_workers, tmp_path):
    OrgDefault.objects.filter(record_type="accounts.account").update(access=AccessLevel.PUBLIC_READ)
    page = org.north_account.get_absolute_url()
    first, second = two_workers(copy_of_the_test_database(tmp_path))

    assert first.ask("get", page, "vendedor.sur") == "200"  # public read: the other zone's rep reads it
    assert second.ask("get", page, "vendedor.sur") == "200"
    assert second.ask("set", "accounts.account", AccessLevel.PRIVATE) == "ok"
    assert first.ask("get", page, "vendedor.sur") == "404"
    assert first.ask("set", "accounts.account", AccessLevel.PUBLIC_READ) == "ok"
    assert second.ask("get", page, "vendedor.sur") == "200"
